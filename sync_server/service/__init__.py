"""What the server does, independent of HTTP: push, pull, resolve, snapshot, administration.

Each operation runs in one database transaction; a ``Refused`` raised inside rolls it back.
"""
