"""The central sync server: accepts devices' operations, orders them, and serves them back.

FastAPI over SQLModel storage (an SQLite file by default, PostgreSQL by URL).  Merge rules are
``shared.merge``: the server applies exactly the code the devices apply.
"""
