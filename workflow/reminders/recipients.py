"""Who reminders go to: the people by role and department, with their e-mail addresses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.lifecycle import Role
from workflow.db.tables.core import PERSON, UNIT


@dataclass
class People:
    emails: dict[str, str | None]
    office: list[str]
    leaders: list[str]
    by_department: dict[str, list[str]]  # handler-role people of each department
    inactive: frozenset[str] = frozenset()  # deactivated people: named on items, never reminded
    unit_of: dict[str, str | None] = field(default_factory=dict)  # person → their unit (None: county)
    unit_names: dict[int, str] = field(default_factory=dict)  # unit id → name

    def reachable(self, name: str | None) -> bool:
        """Someone a reminder may go to: named, and not deactivated."""
        return bool(name) and name not in self.inactive

    def within(self, names: list[str], unit_id: int) -> list[str]:
        """Of `names`, those who may see an item of the unit (workflow/read/scope.py): a person of
        another unit is told nothing of it; a department file or a group robot is kept."""
        unit = self.unit_names.get(unit_id)
        return [n for n in names if n not in self.unit_of or self.unit_of[n] in (None, unit)]

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
    inactive: set[str] = set()
    unit_of: dict[str, str | None] = {}
    rows = conn.execute(
        sa.select(
            PERSON.c.name, PERSON.c.roles, PERSON.c.department, PERSON.c.email, PERSON.c.active, PERSON.c.unit
        ).order_by(PERSON.c.id)
    )
    for row in rows:
        emails[row.name] = row.email or None  # known (escalate_to may name them), if not reachable
        if not row.active:
            inactive.add(row.name)
            continue
        roles = set(row.roles.split(","))
        unit_of[row.name] = None if Role.auditor.value in roles else row.unit
        if Role.office.value in roles:
            office.append(row.name)
        if Role.leader.value in roles:
            leaders.append(row.name)
        if Role.handler.value in roles and row.department:
            by_department[row.department].append(row.name)
    unit_names = dict(conn.execute(sa.select(UNIT.c.id, UNIT.c.name)).all())
    return People(emails, office, leaders, dict(by_department), frozenset(inactive), unit_of, unit_names)


def unique(names: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
