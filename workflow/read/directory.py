"""Everyone, for the pages and the API that list people (name, roles, department, post, e-mail, active)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.core import PERSON


def people(conn: Connection) -> list[dict[str, Any]]:
    q = sa.select(
        PERSON.c.name, PERSON.c.roles, PERSON.c.department, PERSON.c.title, PERSON.c.email, PERSON.c.active
    )
    return [dict(r._mapping) for r in conn.execute(q.order_by(PERSON.c.id))]
