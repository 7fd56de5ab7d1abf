"""Accounts of the web server: passwords (Argon2id), sessions, API tokens, the login log and its
throttling. Operational state of the server, not facts of the rectification: nothing here is in the
audit trail (see workflow/db/tables/web.py)."""
