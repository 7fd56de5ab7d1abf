"""The tables, one module per purpose: `core` (people, rounds, items and their parts, rules,
accountability, the audit log), `ledger` (import batches and 序号 keys), `reminders` (firings,
messages, the outbox), `web` (passwords, sessions, tokens, logins: the server's, not audited facts). Each module registers its tables in SQLModel.metadata when imported; commands
import only the modules they use, so start-up does not build every table class."""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    """SQLModel.metadata with every table module loaded (migrations, grants, schema checks)."""
    from sqlmodel import SQLModel

    from workflow.db.tables import core, ledger, reminders, web  # noqa: F401

    return SQLModel.metadata
