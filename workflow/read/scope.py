"""Who sees what: a person of an inspected unit sees and acts on that unit's items only; the county
level (people of no unit) and auditors see every unit (`states.guards.sees`, of which `Scope.clause`
is the SQL twin). Enforced here and in the write path (`workflow/items/actions.py::_check`), not in
an entry point, so the CLI and the web inherit it alike; an item out of scope is reported exactly as
an item that does not exist (`not_found`), so nothing tells a town's clerk which ids another town has.

A read with no acting person (the CLI without --as, on a SQLite file whose holder reads it all
anyway) sees everything; on PostgreSQL the login's person is always the actor (workflow/cli/app.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor
from workflow.db.tables.core import ITEM, UNIT
from workflow.errors import NotFound
from workflow.read.people import load_actor


@dataclass(frozen=True)
class Scope:
    """The unit (by name) a reader is confined to; None: every unit."""

    unit: str | None = None

    @classmethod
    def of(cls, actor: Actor | None) -> Scope:
        return cls(None if actor is None or actor.sees_every_unit else actor.unit)

    def clause(self, unit_id: Any = ITEM.c.unit_id) -> Any:
        """The SQL condition on an item's (or aspect's) unit id; TRUE for every unit."""
        if self.unit is None:
            return sa.true()
        return unit_id.in_(sa.select(UNIT.c.id).where(UNIT.c.name == self.unit))

    def holds(self, unit: str | None) -> bool:
        return self.unit is None or self.unit == unit


EVERYTHING = Scope()


def scope_of(conn: Connection, actor_name: str | None) -> Scope:
    """The scope of the named person (everything when nobody is named)."""
    return EVERYTHING if not actor_name else Scope.of(load_actor(conn, actor_name))


def not_found(item_id: int) -> NotFound:
    """The one error for an unknown item and an item out of the reader's scope."""
    return NotFound(f"没有编号为 {item_id} 的事项（用 zhenggai item list 查看）")
