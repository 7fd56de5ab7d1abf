"""The privileges of a PostgreSQL deployment, generated from the schema so that a new table cannot be
forgotten: people's logins in the application role, the scheduler's login in a role of its own.

What the grants prevent and what the triggers of migration 0003 add is written out in the SQL
itself (`sql()`), and per backend in the README's "tamper-evident" section."""

from __future__ import annotations

import re

from workflow.db.tables import metadata

# The reminder machinery's tables: written by the scheduler (`remind run`, `outbox deliver`,
# `scheduler run`), never by a command a person runs.
SCHEDULER_TABLES = ("reminder_firing", "reminder_message", "outbox")
OUTBOX_UPDATED = (
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "claimed_by",
    "claimed_until",
    "sent_at",
)
# The web server's own tables (passwords, sessions, tokens): only the server's role (the owner)
# reads or writes them; a person's login sees none of them, not even the hashes.
WEB_TABLES = ("web_account", "web_session", "web_token", "web_login", "web_inbox_read")
# Read-only for everyone: the schema's own bookkeeping.
READ_ONLY = ("alembic_version", "meta")
# Tables people's use cases change in place, less the columns no use case ever changes (a row's
# identity: an item does not move to another round, a measure to another item).
UPDATED = {
    "item": ("id", "round_id", "unit_id", "parent_id", "created_at"),
    "measure": ("id", "item_id", "seq"),
}
# A person is added with these columns only: never an id of one's choosing, never a db_login (that
# is `zhenggai person login`, run by the owner: whoever sets a db_login decides whose name a login
# writes in).
PERSON_FIXED = ("id", "db_login")
# What the office changes of a person (`person edit`, `person deactivate`); never the name (the trail
# and the items refer to it) nor the login. Migration 0008's trigger wants the matching entry.
PERSON_UPDATED = ("roles", "department", "title", "email", "unit", "active")

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def sql(role: str = "zhenggai_app", schema: str = "public", scheduler: str = "zhenggai_scheduler") -> str:
    for what, name in (("人员角色", role), ("模式", schema), ("调度程序角色", scheduler)):
        if not _NAME.fullmatch(name):
            raise ValueError(f"无效的{what}名：{name!r}（小写字母、数字和下划线，最多 63 个字符）")
    if role == scheduler:
        raise ValueError(f"人员的角色与调度程序的角色不能同名：{role}")
    tables = metadata().tables
    everything = sorted({*tables, *READ_ONLY} - set(WEB_TABLES))
    appended = sorted(t for t in tables if t not in (*READ_ONLY, *SCHEDULER_TABLES, *WEB_TABLES, "person"))
    person = [c.name for c in tables["person"].columns if c.name not in PERSON_FIXED]
    both = f"{role}, {scheduler}"
    lines = [
        "-- zhenggai: the privileges of a PostgreSQL deployment. Run as the owner of the tables (the",
        "-- role that ran `zhenggai init` / `db upgrade`), again after every upgrade. Each person then",
        f"-- gets a login in {role}, mapped with `zhenggai person login NAME LOGIN`; the scheduler",
        f"-- gets one login in {scheduler}, mapped to nobody:",
        f"--   CREATE ROLE xubo LOGIN PASSWORD '…' IN ROLE {role};",
        f"--   CREATE ROLE zhenggai_cron LOGIN PASSWORD '…' IN ROLE {scheduler};",
        *(
            f"DO $$ BEGIN CREATE ROLE {r} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
            for r in (role, scheduler)
        ),
        "-- From nothing: re-run after an upgrade, this also takes back what an older version granted.",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {both};",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {both};",
        "-- No login creates objects that a lookup could find before ours: not in the schema, and no",
        "-- temporary tables (pg_temp is searched first by default). TEMP is held by PUBLIC, and what",
        "-- PUBLIC holds cannot be withheld from one role: it is revoked from PUBLIC (grant it back to",
        "-- another application's role if one shares this database and needs it).",
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC;",
        "DO $$ BEGIN EXECUTE 'REVOKE TEMPORARY ON DATABASE ' || quote_ident(current_database()) || "
        f"' FROM PUBLIC, {both}'; END $$;",
        f"GRANT USAGE ON SCHEMA {schema} TO {both};",
        f"GRANT SELECT ON {', '.join(everything)} TO {both};",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {both};",
        "-- People: append to the record, change items and measures in place, add and change people",
        "-- (office).",
        "-- The triggers add what grants cannot say: each such write needs an audit entry of the same",
        "-- transaction (for the same item), every row names only the login's own person as its",
        "-- author, and a new person needs the office's person_add entry. Prevented for a person's",
        "-- login, then: any write without an entry in their own name; UPDATE/DELETE/TRUNCATE of the",
        "-- audit table (the triggers refuse those to the owner too); changing people without the",
        "-- office's person_edit/person_deactivate entry saying so, names or logins; any entry by a",
        "-- deactivated person;",
        "-- deleting anything; writing the outbox, the reminder tables, meta. Left to the deep verify:",
        "-- a direct write that comes with an entry in their own name (the entry names them).",
        f"GRANT INSERT ON {', '.join(appended)} TO {role};",
        f"GRANT INSERT ({', '.join(person)}) ON person TO {role};",
        f"GRANT UPDATE ({', '.join(PERSON_UPDATED)}) ON person TO {role};",
        *(
            f"GRANT UPDATE ({', '.join(c.name for c in tables[t].columns if c.name not in fixed)}) "
            f"ON {t} TO {role};"
            for t, fixed in UPDATED.items()
        ),
        "-- The scheduler: fire reminders, queue and deliver messages; nothing else, and no audit entry.",
        f"GRANT INSERT ON {', '.join(SCHEDULER_TABLES)} TO {scheduler};",
        f"GRANT UPDATE ({', '.join(OUTBOX_UPDATED)}) ON outbox TO {scheduler};",
    ]
    return "\n".join(lines) + "\n"
