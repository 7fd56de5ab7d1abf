"""The trail replayed into the records outside items: people (and their logins), rounds, units,
aspects, rules, accountability records and ledger batches (with the ledger keys they adopt).
"""

from __future__ import annotations

from typing import Any

from workflow.audit import payloads as p
from workflow.audit.expected import ABSENT, Replayer, Row, day
from workflow.audit.expected import payload as _payload


class RecordReplay(Replayer):
    """The entries on records outside items; one method per kind of entry."""

    def person(self, row: Row) -> None:
        data = _payload(row)
        if "title" in data:
            a = p.PersonAdded.from_dict(data)
            values = {
                "roles": a.roles,
                "department": a.department,
                "title": a.title,
                "email": a.email,
                "unit": a.unit,
            }
            name = a.name
        else:
            b = p.LedgerPersonAdded.from_dict(data)
            values = {
                "roles": b.roles,
                "department": b.department,
                "title": None,
                "email": None,
                "unit": b.unit,
            }
            name = b.name
        self.out.people[name] = {**values, "db_login": None, "active": True}

    def _known_person(self, row: Row, name: str) -> dict[str, Any] | None:
        person = self.out.people.get(name)
        if person is None:
            self.fail(row, "person", name, "", "（先有这个人员）", ABSENT)
        return person

    def person_edited(self, row: Row) -> None:
        e = p.PersonEdited.from_dict(_payload(row))
        person = self._known_person(row, e.name)
        if person is not None:
            person.update({k: new for k, (_old, new) in e.changes.items() if k in person})

    def person_deactivated(self, row: Row) -> None:
        d = p.PersonDeactivated.from_dict(_payload(row))
        person = self._known_person(row, d.name)
        if person is not None:
            person["active"] = False

    def login(self, row: Row) -> None:
        s = p.LoginSet.from_dict(_payload(row))
        person = self._known_person(row, s.name)
        if person is not None:
            person["db_login"] = s.login

    def round(self, row: Row) -> None:
        data = _payload(row)
        r = p.RoundImported.from_dict(data)
        values = {
            k: (day(v) if k.endswith(("_start", "_end", "_date")) else v) for k, v in r.to_dict().items()
        }
        self.out.rounds[r.id] = {
            **{k: v for k, v in values.items() if k not in ("id", "source")},
            "created_at": row[1],
        }
        self.new_round = (r.id, r.unit, row[1])

    def finish(self) -> None:
        """A round entry not followed by its first unit's entry (position 0) implies that unit: the
        round's id, its `unit` as the name (workflow/items/units.py::own_unit; migration 0007 gave every
        older round the same)."""
        if self.new_round is not None:
            round_id, name, at = self.new_round
            self.out.units[round_id] = {"round_id": round_id, "name": name, "position": 0, "created_at": at}
            self.new_round = None

    def unit(self, row: Row) -> None:
        u = p.UnitAdded.from_dict(_payload(row))
        if self.new_round is not None and u.position == 0 and u.round_id == self.new_round[0]:
            self.new_round = None  # the round's own unit, with an entry: nothing implied
        self.out.units[u.id] = {
            "round_id": u.round_id,
            "name": u.name,
            "position": u.position,
            "created_at": row[1],
        }

    def aspect(self, row: Row) -> None:
        data = _payload(row)
        a = p.AspectAdded.from_dict(data)
        self.out.aspects[a.id] = {
            "round_id": a.round_id,
            "unit_id": a.round_id if a.unit_id is None else a.unit_id,
            "number": a.number,
            "title": a.title,
            "position": a.position,
        }

    def rule(self, row: Row) -> None:
        data = _payload(row)
        r = p.RuleAdded.from_dict(data)
        self.out.rules[r.id] = {
            **{k: v for k, v in r.to_dict().items() if k != "id"},
            "issued_on": day(r.issued_on),
            "created_at": row[1],
        }

    def accountability(self, row: Row) -> None:
        data = _payload(row)
        a = p.AccountabilityAdded.from_dict(data)
        values = {k: v for k, v in a.to_dict().items() if k != "id"}
        self.out.accountability[a.id] = {**values, "decided_on": day(a.decided_on), "created_at": row[1]}

    def batch(self, row: Row) -> None:
        data = _payload(row)
        b = p.LedgerBatch.from_dict(data)
        self.out.batches[b.batch] = {
            "round_id": b.round_id,
            "file_name": b.file,
            "sha256": b.sha256,
            "sheet": b.sheet,
            "rows": b.rows,
            "created": b.created,
            "updated": b.updated,
            "unchanged": b.unchanged,
            "actor": row[2],
            "created_at": row[1],
        }
        for item_id, ledger_no in b.adopted:
            adopted = self.out.items.get(item_id)
            self.out.keys[item_id] = {
                "round_id": b.round_id,
                "unit_id": None if adopted is None else adopted["unit_id"],
                "ledger_no": ledger_no,
                "batch_id": b.batch,
            }


def first_unit_of(row: Row) -> int | None:
    """The round of a `unit_add` entry that adds a round's first unit (position 0), else None."""
    u = p.UnitAdded.from_dict(_payload(row))
    return u.round_id if u.position == 0 else None
