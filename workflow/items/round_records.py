"""Records of a round beyond its items: rules made or revised (建章立制) and accountability actions
(问责), recorded as data so that the report's figures come from records, not from numbers typed into
it. Each record is audited; office only."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor, not_permitted
from workflow.audit import chain
from workflow.audit.payloads import AccountabilityAdded, RuleAdded
from workflow.db.tables.core import ACCOUNTABILITY, ITEM, RULE
from workflow.errors import InvalidInput, PermissionDenied
from workflow.inputs import clean_line, clean_text, occurred
from workflow.read.people import load_actor
from workflow.read.rounds import (
    RULE_KINDS,
    resolve_round,
)
from workflow.read.scope import Scope, not_found
from workflow.read.units import units_of

# The usual forms, mildest first (中共中央《中国共产党问责条例》 and practice).
ACCOUNTABILITY_MEASURES = (
    "提醒谈话",
    "批评教育",
    "责令检查",
    "诫勉谈话",
    "通报批评",
    "约谈",
    "组织处理",
    "党纪处分",
    "政务处分",
    "其他",
)


def _permitted(conn: Connection, actor_name: str | None, operation: str) -> Actor:
    actor = load_actor(conn, actor_name)
    if refused := not_permitted(actor, operation):
        raise PermissionDenied(refused)
    return actor


def _round_and_item(
    conn: Connection, round_name: str | None, item_id: int | None, actor: Actor
) -> tuple[int, int | None]:
    """The record's round and item; an item out of the actor's scope is not found, and a person of a
    unit names an item of it when the round has several units (the record then counts for the unit)."""
    scope = Scope.of(actor)
    if item_id is not None:
        round_id = conn.execute(
            sa.select(ITEM.c.round_id).where(ITEM.c.id == item_id, scope.clause())
        ).scalar()
        if round_id is None:
            raise not_found(item_id)
        if round_name and resolve_round(conn, round_name).id != round_id:
            raise InvalidInput(f"事项 {item_id} 不属于巡察轮次「{round_name}」")
        return round_id, item_id
    rnd = resolve_round(conn, round_name)
    if scope.unit is not None and len(units_of(conn, rnd.id)) > 1:
        raise InvalidInput(
            f"巡察轮次「{rnd.name}」有多个被巡察单位：请用 --item 指明本单位（{scope.unit}）的事项"
        )
    return rnd.id, None


def _insert(conn: Connection, table: sa.Table, record: RuleAdded | AccountabilityAdded, now: datetime) -> int:
    """Insert the record's row (its fields but the id, and when it was recorded); return the new id."""
    values = {k: v for k, v in record.to_dict().items() if k != "id"}
    return int(conn.execute(table.insert().values(created_at=now, **values)).inserted_primary_key[0])  # type: ignore[index]


def add_rule(
    conn: Connection,
    actor_name: str | None,
    now: datetime,
    *,
    title: str,
    kind: str,
    issued_on: date,
    round_name: str | None = None,
    item_id: int | None = None,
    doc_ref: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record a rule made (制定) or revised (修订); office only."""
    who = _permitted(conn, actor_name, "rule_add")
    actor = who.name
    kind = {label: value for value, label in RULE_KINDS.items()}.get(
        kind.strip(), kind.strip()
    )  # 制定 → made
    if kind not in RULE_KINDS:
        raise InvalidInput(f"未知的类型 {kind!r}（可用：made 制定、revised 修订）")
    round_id, item_id = _round_and_item(conn, round_name, item_id, who)
    record = RuleAdded(
        id=0,  # until inserted
        round_id=round_id,
        item_id=item_id,
        title=clean_text(title, "制度名称", 500, required=True),
        kind=kind,
        issued_on=occurred(issued_on, now, "印发日期"),
        doc_ref=clean_text(doc_ref, "文号", 200) or None,
        note=clean_text(note, "说明", 5000) or None,
        actor=actor,
    )
    record = replace(record, id=_insert(conn, RULE, record, now))
    chain.append(conn, at=now, actor=actor, action="rule_add", item_id=item_id, payload=record)
    return record.to_dict()


def add_accountability(
    conn: Connection,
    actor_name: str | None,
    now: datetime,
    *,
    person: str,
    measure: str,
    decided_on: date,
    post: str | None = None,
    round_name: str | None = None,
    item_id: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Record an accountability action (问责): who, by what measure, when, why; office only."""
    who = _permitted(conn, actor_name, "accountability_add")
    actor = who.name
    if measure not in ACCOUNTABILITY_MEASURES:
        raise InvalidInput(f"未知的问责方式 {measure!r}（可用：{'、'.join(ACCOUNTABILITY_MEASURES)}）")
    round_id, item_id = _round_and_item(conn, round_name, item_id, who)
    record = AccountabilityAdded(
        id=0,  # until inserted
        round_id=round_id,
        item_id=item_id,
        person=clean_line(person, "被问责人", 64, required=True),
        post=clean_line(post, "单位及职务", 200) or None,
        measure=measure,
        decided_on=occurred(decided_on, now, "问责日期"),
        reason=clean_text(reason, "问责事由", 5000) or None,
        actor=actor,
    )
    record = replace(record, id=_insert(conn, ACCOUNTABILITY, record, now))
    chain.append(conn, at=now, actor=actor, action="accountability_add", item_id=item_id, payload=record)
    return record.to_dict()
