"""The web server's tables: passwords, sessions, API tokens, the log of logins and what each person
has read in the web inbox.

None of these is a fact of the rectification: they are not in the audit trail (a login, a session or
a token changes no item), `audit verify` does not compare them, and on PostgreSQL no person's login
may read or write them (workflow/db/grants.py) — only the server's own database role does. Secrets
are stored as hashes only: Argon2id for passwords, SHA-256 for the random session ids and tokens.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.db.tables.core import moment_field


class Account(SQLModel, table=True):
    """A person's password (Argon2id). `must_change`: set by an administrator's reset."""

    __tablename__ = "web_account"
    person: str = Field(primary_key=True, max_length=64, foreign_key="person.name")
    password_hash: str = Field(max_length=200)
    must_change: bool = False
    changed_at: datetime = moment_field()


class WebSession(SQLModel, table=True):
    """A logged-in browser. The cookie holds a random id; the table only its SHA-256."""

    __tablename__ = "web_session"
    id_hash: str = Field(primary_key=True, max_length=64)
    person: str = Field(max_length=64, index=True)
    csrf: str = Field(max_length=64, description="the token every form of this session carries")
    created_at: datetime = moment_field()
    last_seen: datetime = moment_field()
    address: str | None = Field(default=None, max_length=64)


class ApiToken(SQLModel, table=True):
    """A personal API token: shown once when made, stored as its SHA-256, revocable."""

    __tablename__ = "web_token"
    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(max_length=64, index=True)
    label: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = moment_field()
    last_used: datetime | None = moment_field(nullable=True)
    revoked_at: datetime | None = moment_field(nullable=True)


class LoginEvent(SQLModel, table=True):
    """Every login attempt, failed or not: the security log, and what throttling counts."""

    __tablename__ = "web_login"
    __table_args__ = (
        sa.Index("ix_web_login_name_at", "name", "at"),
        sa.Index("ix_web_login_address_at", "address", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = moment_field()
    name: str = Field(max_length=64, description="the name typed (not necessarily a person)")
    address: str = Field(max_length=64)
    ok: bool
    note: str = Field(default="", max_length=200)


class InboxRead(SQLModel, table=True):
    """A reminder (by message key) a person has marked read in the web inbox."""

    __tablename__ = "web_inbox_read"
    message_key: str = Field(primary_key=True, max_length=32)
    person: str = Field(primary_key=True, max_length=64)
    read_at: datetime = moment_field()


_tables = SQLModel.metadata.tables
ACCOUNT = _tables["web_account"]
SESSION = _tables["web_session"]
TOKEN = _tables["web_token"]
LOGIN = _tables["web_login"]
INBOX_READ = _tables["web_inbox_read"]
WEB_TABLES = ("web_account", "web_session", "web_token", "web_login", "web_inbox_read")
