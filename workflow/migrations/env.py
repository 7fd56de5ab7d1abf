"""Alembic environment: the caller (workflow.migrate) hands over an open connection."""

from __future__ import annotations

from alembic import context

from workflow import schema  # noqa: F401  (every table module, for autogenerate)
from workflow.models import SQLModel

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
