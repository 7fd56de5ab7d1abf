"""Who reminders go to: the people by role and department, with their e-mail addresses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.lifecycle import Role
from workflow.db.tables.core import PERSON


@dataclass
class People:
    emails: dict[str, str | None]
    office: list[str]
    leaders: list[str]
    by_department: dict[str, list[str]]  # handler-role people of each department

    def department(self, name: str | None) -> list[str]:
        if not name:
            return []
        # A department nobody is registered for still gets its reminder, as a file under its name.
        return self.by_department.get(name) or [f"dept:{name}"]


def load_people(conn: Connection) -> People:
    emails: dict[str, str | None] = {}
    office: list[str] = []
    leaders: list[str] = []
    by_department: dict[str, list[str]] = defaultdict(list)
    rows = conn.execute(
        sa.select(PERSON.c.name, PERSON.c.roles, PERSON.c.department, PERSON.c.email).order_by(PERSON.c.id)
    )
    for row in rows:
        roles = set(row.roles.split(","))
        emails[row.name] = row.email or None
        if Role.office.value in roles:
            office.append(row.name)
        if Role.leader.value in roles:
            leaders.append(row.name)
        if Role.handler.value in roles and row.department:
            by_department[row.department].append(row.name)
    return People(emails, office, leaders, dict(by_department))


def unique(names: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
