"""The privileges of the application role in a PostgreSQL deployment, generated from the schema so
that a new table cannot be forgotten."""

from __future__ import annotations

import re

from workflow.db.tables import metadata

# Tables the application changes in place; everything else it only reads and appends to.
UPDATED = ("item", "measure", "outbox")
# Read-only for the application: the schema's own bookkeeping.
READ_ONLY = ("alembic_version", "meta")


def sql(role: str = "zhenggai_app", schema: str = "public") -> str:
    for name in (role, schema):
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"无效的名称：{name!r}（小写字母、数字和下划线）")
    appendable = sorted(t for t in metadata().tables if t not in READ_ONLY)
    tables = sorted({*metadata().tables, *READ_ONLY})
    lines = [
        f"-- zhenggai: privileges of the application role {role}. Run as the owner of the database.",
        "-- Each person then gets a login in this role, mapped with `zhenggai person login NAME LOGIN`:",
        f"--   CREATE ROLE xubo LOGIN PASSWORD '…' IN ROLE {role};",
        f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        f"GRANT SELECT ON {', '.join(tables)} TO {role};",
        f"GRANT INSERT ON {', '.join(appendable)} TO {role};",
        f"GRANT UPDATE ON {', '.join(UPDATED)} TO {role};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};",
        "-- Never: UPDATE, DELETE or TRUNCATE on audit (the triggers refuse them as well), nor UPDATE on",
        "-- person (its db_login decides who an audit entry may name).",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM {role};",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON person FROM {role};",
    ]
    return "\n".join(lines) + "\n"
