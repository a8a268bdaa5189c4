"""Who is calling: password hashing, tokens, logon sessions and role checks."""
