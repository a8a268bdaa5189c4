"""The dispatcher's app: an encrypted local store, a sync client and a Flet UI over them.

Everything a dispatcher does works offline first, against ``mobile_app.store``; the sync client
and the UI are built on that store's public API.
"""
