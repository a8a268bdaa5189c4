"""Pure, I/O-free core shared by the app and the server so every replica converges.

The domain model, the lifecycles, the hybrid logical clock, the sync protocol and the merge
rules live here exactly once.
"""
