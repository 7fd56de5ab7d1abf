"""Use cases that make or change an item outside its lifecycle: a single new problem added by hand
(`item add`, without a YAML or ledger import) and a correction of its descriptive text (`item edit`).
The state moves only by the triggers, the deadline only by `extend`, the people only by `reassign`:
`edit_item` refuses those, naming the command to use."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import not_permitted
from workflow.audit import chain
from workflow.audit.payloads import ImportedMeasure, ItemAdded, ItemEdited
from workflow.dates import parse_deadline
from workflow.db.tables.core import ASPECT, ITEM, MEASURE
from workflow.errors import InvalidInput, PermissionDenied, Refused
from workflow.inputs import MAX_TEXT, clean_line, clean_line_optional, clean_text
from workflow.items import units
from workflow.items.actions import Outcome, _check, _record
from workflow.read.people import load_actor
from workflow.read.rounds import resolve_round
from workflow.read.scope import Scope
from workflow.read.units import resolve_unit

COOPERATING_MAX = 1000
# What `item edit` may not change, and the command that does: the lifecycle keeps these.
KEPT_BY_LIFECYCLE: dict[str, str] = {
    "state": "状态只能通过生命周期操作改变（zhenggai item assign/start/submit/approve …，见 item show 的「可执行」）",
    "deadline": "完成时限只能通过延期改变（zhenggai item extend ID --to 日期 --reason … --approved-by …）",
    "leader": "责任领导只能通过调整责任改变（zhenggai item reassign ID --leader … --reason …）",
    "department": "责任部门只能通过调整责任改变（zhenggai item reassign ID --dept … --reason …）",
    "handler": "责任人只能通过调整责任改变（zhenggai item reassign ID --handler … --reason …）",
    "cooperating": "配合单位只能通过调整责任改变（zhenggai item reassign ID --cooperating … --reason …）",
}
_LIMITS = {
    "title": ("问题标题", 500),
    "description": ("问题描述", MAX_TEXT),
    "instance": ("典型表现", MAX_TEXT),
}
_DIGITS = re.compile(r"\d+")


def _aspect(conn: Connection, unit_id: int, wanted: str) -> Any:
    """The unit's aspect named by its number (一) or its title; the choices when there is none."""
    text = clean_line(wanted, "方面", 500, required=True)
    rows = conn.execute(
        sa.select(ASPECT).where(ASPECT.c.unit_id == unit_id).order_by(ASPECT.c.position, ASPECT.c.id)
    ).all()
    found = [a for a in rows if text in (a.number, a.title, f"{a.number}、{a.title}")]
    if len(found) == 1:
        return found[0]
    listed = "；".join(f"{a.number}、{a.title}" for a in rows) or "（本轮次还没有方面）"
    raise InvalidInput(f"本轮次没有编号或标题为 {text!r} 的方面（可用：{listed}）")


def _next_number(conn: Connection, unit_id: int, aspect: Any) -> tuple[str, int]:
    """The next problem number in the aspect (一/4 after 一/3) and the position after its last item
    (numbers are the unit's: every town has its 一/1)."""
    numbers = conn.execute(sa.select(ITEM.c.number).where(ITEM.c.unit_id == unit_id)).scalars()
    prefix = f"{aspect.number}/"
    tops = [n[len(prefix) :] for n in numbers if n.startswith(prefix)]
    # One past the largest numeric suffix cannot be taken: whatever other numbers a ledger gave
    # (一/3a, 一/（2）) do not end in digits alone.
    number = f"{prefix}{max((int(n) for n in tops if _DIGITS.fullmatch(n)), default=0) + 1}"
    in_aspect = conn.execute(
        sa.select(sa.func.max(ITEM.c.position)).where(ITEM.c.aspect_id == aspect.id)
    ).scalar()
    return number, (in_aspect if in_aspect is not None else -1) + 1


def _responsible(conn: Connection, name: str | None, label: str) -> str | None:
    """A leader or handler: one line, an active person."""
    value = clean_line_optional(name, label, 64)
    if value is not None:
        load_actor(conn, value)  # must exist and be active
    return value


def add_item(
    conn: Connection,
    actor_name: str | None,
    now: datetime,
    *,
    aspect: str,
    title: str,
    round_name: str | None = None,
    description: str | None = None,
    instance: str | None = None,
    leader: str | None = None,
    department: str | None = None,
    handler: str | None = None,
    cooperating: str | None = None,
    deadline: str | date | None = None,
    measures: tuple[str, ...] = (),
    unit: str | None = None,
) -> tuple[int, str]:
    """新增问题: one problem in 已登记 of a unit (the round's only one, `unit`, or a unit's office's
    own), numbered after the last of its aspect; office only. Returns (id, number)."""
    actor = load_actor(conn, actor_name)
    if refused := not_permitted(actor, "item_add"):
        raise PermissionDenied(refused)
    rnd = resolve_round(conn, round_name)
    scope = Scope.of(actor)
    target = resolve_unit(conn, rnd, unit or scope.unit, scope)
    found = _aspect(conn, target.id, aspect)
    kind, day = parse_deadline(deadline) if deadline not in (None, "") else (None, None)
    if day is not None and day < rnd.feedback_date:
        raise InvalidInput(f"完成时限 {day} 早于本轮次的反馈日期 {rnd.feedback_date}")
    number, position = _next_number(conn, target.id, found)
    texts = [clean_text(m, "整改措施", 5000, required=True) for m in measures]
    record = ItemAdded(
        round_id=rnd.id,
        aspect_id=found.id,
        parent_id=None,
        number=number,
        position=position,
        title=clean_text(title, "问题标题", 500, required=True),
        description=clean_text(description, "问题描述"),
        instance=clean_text(instance, "典型表现"),
        leader=_responsible(conn, leader, "责任领导"),
        department=clean_line_optional(department, "责任部门", 200),
        cooperating=clean_line(cooperating, "配合单位", COOPERATING_MAX),
        handler=_responsible(conn, handler, "责任人"),
        deadline_kind=kind,
        deadline=day,
        measures=[ImportedMeasure(seq=n, text=t, owner=None, due=None) for n, t in enumerate(texts, 1)],
        unit_id=units.in_payload(target.id, rnd.id),
    )
    return _write_item(conn, record, target.id, actor.name, now), number


def _write_item(conn: Connection, record: ItemAdded, unit_id: int, actor: str, now: datetime) -> int:
    """The new item's row, its measures and its `item_add` entry; its id."""
    values = {k: v for k, v in record.to_dict().items() if k != "measures"} | {"unit_id": unit_id}
    inserted = conn.execute(
        ITEM.insert().values(state="reported", version=1, created_at=now, updated_at=now, **values)
    )
    item_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
    if record.measures:
        conn.execute(MEASURE.insert(), [{"item_id": item_id, **m.to_dict()} for m in record.measures])
    chain.append(
        conn,
        at=now,
        actor=actor,
        action="item_add",
        item_id=item_id,
        to_state="reported",
        payload=record,
    )
    return item_id


def edit_item(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    fields: dict[str, str | None],
    expect_version: int | None = None,
) -> Outcome:
    """Correct an item's title, description or typical instance (None: unchanged). Any other field is
    refused with the command that changes it (KEPT_BY_LIFECYCLE)."""
    actor = load_actor(conn, actor_name)
    given = {k: v for k, v in fields.items() if v is not None}
    kept = [KEPT_BY_LIFECYCLE[k] for k in given if k in KEPT_BY_LIFECYCLE]
    if kept:
        raise Refused(f"item edit 不能修改这些内容：{'；'.join(kept)}")
    unknown = sorted(set(given) - set(_LIMITS))
    if unknown:
        raise InvalidInput(
            f"item edit 不能修改 {'、'.join(unknown)}（可修改：--title、--description、--instance）"
        )
    row, _ = _check(conn, item_id, "edit", actor, now, {}, expect_version)
    old = (
        conn.execute(sa.select(*(ITEM.c[k] for k in ItemEdited.FIELDS)).where(ITEM.c.id == item_id))
        .one()
        ._mapping
    )
    changes: dict[str, list[str]] = {}
    for key, value in given.items():
        label, limit = _LIMITS[key]
        new = clean_text(value, label, limit, required=key == "title")
        if new != old[key]:
            changes[key] = [old[key], new]
    if not changes:
        raise InvalidInput(
            f"事项 {item_id} 没有要修改的内容（所给的与现有的相同，或未给 --title/--description/--instance）"
        )
    payload = ItemEdited(changes=changes)
    return _record(conn, row, actor, now, "edit", payload, **{k: v[1] for k, v in changes.items()})
