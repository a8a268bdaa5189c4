"""Persistence: SQLModel tables and one repository module per concern.

Repository functions take an open ``Session`` and never commit: the caller's transaction
decides what is stored together (``store.db.Database.write``).
"""
