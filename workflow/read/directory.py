"""Everyone, for the pages and the API that list people (name, roles, department, post, e-mail, active)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.core import PERSON


def people(conn: Connection, unit: str | None = None) -> list[dict[str, Any]]:
    """Everyone; for a reader confined to `unit`, as `read.people.list_people`: that unit's people and
    the county level's."""
    q = sa.select(
        PERSON.c.name, PERSON.c.roles, PERSON.c.department, PERSON.c.title, PERSON.c.email, PERSON.c.active,
        PERSON.c.unit,
    )  # fmt: skip
    if unit is not None:
        q = q.where(sa.or_(PERSON.c.unit.is_(None), PERSON.c.unit == unit))
    return [dict(r._mapping) for r in conn.execute(q.order_by(PERSON.c.id))]
