"""Import a round from YAML: people, aspects, items (nested for instances) and measures.

All or nothing: the whole file is validated first, every problem is reported with its path in the
file (aspects[0].items[2].deadline), and only a clean file is written, in one transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from sqlalchemy.engine import Connection

from states.guards import Actor, not_permitted
from states.lifecycle import Role
from workflow.audit import chain
from workflow.audit.payloads import ImportedMeasure, ItemImported, PersonAdded, RoundImported
from workflow.config import PERIOD_DAYS
from workflow.dates import parse_date, parse_deadline
from workflow.db.tables.core import ASPECT, ITEM, MEASURE, PERSON, ROUND, UNIT
from workflow.errors import InvalidInput, PermissionDenied
from workflow.inputs import clean_email, clean_line, clean_text, read_file
from workflow.intake import yaml_file
from workflow.intake.yaml_file import load_yaml as load_yaml  # the demo reads its events with it
from workflow.items import units
from workflow.read.people import load_actor

MAX_FILE_BYTES = 20 * 1024 * 1024
COOPERATING_MAX = 1000  # stored joined by 、


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _strip(value: Any) -> Any:
    # Python's strip, as clean_text's, before the field's max_length is measured.
    return value.strip() if isinstance(value, str) else value


def _clean(value: str) -> str:
    try:
        return clean_text(value, "", 10**9)  # lengths are each field's own max_length
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None  # so pydantic reports it with its place in the file


def _clean_line(value: str) -> str:
    try:
        return clean_line(value, "", 10**9)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


def _email(value: str | None) -> str | None:
    try:
        return clean_email(value, "邮箱", 10**9)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


# Every text in the file, also inside lists: stripped and checked like every text the use cases store
# (pydantic itself refuses lone surrogates, which a YAML escape such as "\ud800" can produce).
Text = Annotated[str, BeforeValidator(_strip), AfterValidator(_clean)]
# An optional text left empty is absent, as the use cases store it: an empty leader or handler would
# otherwise name a person who does not exist.
OptionalText = Annotated[Text | None, AfterValidator(lambda value: value or None)]
# Names, departments, units, titles, numbers: one line (a line break in a name breaks mail headers).
Line = Annotated[str, BeforeValidator(_strip), AfterValidator(_clean_line)]
OptionalLine = Annotated[Line | None, AfterValidator(lambda value: value or None)]


def _date(value: Any) -> date:
    return parse_date(value)


class RoundIn(_Strict):
    name: Line = Field(min_length=1, max_length=200)
    group: Line = Field(min_length=1, max_length=200)
    unit: Line = Field(min_length=1, max_length=200)
    visit_start: date | None = None
    visit_end: date | None = None
    feedback_date: date
    rectification_end: date | None = None

    _dates = field_validator("visit_start", "visit_end", "feedback_date", "rectification_end", mode="before")(
        lambda v: None if v is None else _date(v)
    )


class PersonIn(_Strict):
    name: Line = Field(min_length=1, max_length=64)
    roles: list[Role] = Field(min_length=1)
    department: OptionalLine = Field(default=None, max_length=200)
    title: OptionalLine = Field(default=None, max_length=200)
    email: Annotated[OptionalLine, AfterValidator(_email)] = Field(default=None, max_length=200)
    # The inspected unit they work in (this round's, or one already in the database); none: the county.
    unit: OptionalLine = Field(default=None, max_length=200)


class MeasureIn(_Strict):
    text: Text = Field(min_length=1, max_length=5000)
    owner: OptionalLine = Field(default=None, max_length=200)
    due: date | None = None

    _due = field_validator("due", mode="before")(lambda v: None if v is None else _date(v))


class ItemIn(_Strict):
    number: Line = Field(min_length=1, max_length=20)
    title: Text = Field(min_length=1, max_length=500)
    description: Text = Field(default="", max_length=20000)
    instance: Text = Field(default="", max_length=20000)
    leader: OptionalLine = Field(default=None, max_length=64)
    department: OptionalLine = Field(default=None, max_length=200)
    cooperating: list[Line] = Field(default_factory=list)
    handler: OptionalLine = Field(default=None, max_length=64)
    deadline: tuple[str, date | None] | None = None
    measures: list[MeasureIn] = Field(default_factory=list)
    items: list[ItemIn] = Field(default_factory=list, description="specific instances: (1), (2) …")

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError('应为文本或整数，如 "1"')
        text = str(value).strip()
        if "/" in text:
            raise ValueError("编号中不能含有 /（层级由文件结构决定）")
        return text

    @field_validator("cooperating")
    @classmethod
    def _cooperating(cls, value: list[str]) -> list[str]:
        if len("、".join(value)) > COOPERATING_MAX:
            raise ValueError(f"配合单位合计过长（最多 {COOPERATING_MAX} 字）")
        return value

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> tuple[str, date | None] | None:
        return None if value is None else parse_deadline(value)


class AspectIn(_Strict):
    number: Line = Field(min_length=1, max_length=20)
    title: Text = Field(min_length=1, max_length=500)
    items: list[ItemIn] = Field(min_length=1)


class RoundFile(_Strict):
    round: RoundIn
    people: list[PersonIn] = Field(default_factory=list)
    aspects: list[AspectIn] = Field(min_length=1)


def load_file(path: Path) -> RoundFile:
    """Parse and validate; every error in one InvalidInput naming its place in the file."""
    raw = yaml_file.parse(path, read_file(path, MAX_FILE_BYTES))
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path} 应是一个包含 round、people、aspects 的 YAML 映射")
    try:
        data = RoundFile.model_validate(raw)
    except ValidationError as exc:
        raise yaml_file.invalid(path, exc) from None
    _check_consistency(data)
    return data


def _walk(items: list[ItemIn], prefix: str, loc: str) -> list[tuple[str, str, ItemIn, str | None]]:
    out = []
    for i, item in enumerate(items):
        number = f"{prefix}/{item.number}"
        out.append((number, f"{loc}[{i}]", item, prefix if prefix.count("/") else None))
        out.extend(_walk(item.items, number, f"{loc}[{i}].items"))
    return out


def _check_consistency(data: RoundFile) -> None:
    errors: list[str] = []
    names = [p.name for p in data.people]
    for i, name in enumerate(names):
        if name in names[:i]:
            errors.append(f"people[{i}].name: 人员 {name!r} 重复")
    seen: dict[str, str] = {}
    for a, aspect in enumerate(data.aspects):
        if aspect.number in [x.number for x in data.aspects[:a]]:
            errors.append(f"aspects[{a}].number: 方面编号 {aspect.number!r} 重复")
        for number, loc, _item, _parent in _walk(aspect.items, aspect.number, f"aspects[{a}].items"):
            if number in seen:
                errors.append(f"{loc}.number: 编号 {number} 与 {seen[number]} 重复")
            seen.setdefault(number, loc)
    if errors:
        raise InvalidInput(f"导入文件有 {len(errors)} 处错误：\n" + "\n".join(errors))


def _inactive(conn: Connection, data: RoundFile, existing: set[str]) -> set[str]:
    """The deactivated among the people already in the database whom the file makes responsible
    (asked only when there are such people: a first import reads no more than it did)."""
    named = {
        who
        for a, aspect in enumerate(data.aspects)
        for _number, _loc, item, _parent in _walk(aspect.items, aspect.number, f"aspects[{a}].items")
        for who in (item.leader, item.handler)
        if who in existing
    }
    if not named:
        return set()
    query = sa.select(PERSON.c.name).where(PERSON.c.name.in_(named), PERSON.c.active.is_(False))
    return set(conn.execute(query).scalars())


def _check_import(conn: Connection, data: RoundFile, actor_name: str | None) -> set[str]:
    """Refuse what the file cannot do to this database; return the names of the people already in it."""
    if not actor_name:
        raise InvalidInput("请用 --as NAME 或环境变量 ZHENGGAI_USER 指明操作人")
    in_file = {p.name: p for p in data.people}
    existing = {name for (name,) in conn.execute(sa.select(PERSON.c.name))}
    errors: list[str] = []
    if conn.execute(sa.select(ROUND.c.id).where(ROUND.c.name == data.round.name)).first():
        errors.append(f"round.name: 巡察轮次 {data.round.name!r} 已经导入过")
    if actor_name not in existing and actor_name in in_file:
        roles = frozenset(in_file[actor_name].roles)
    else:
        roles = load_actor(conn, actor_name).roles
    if refused := not_permitted(Actor(actor_name, roles), "round_import"):
        raise PermissionDenied(refused)
    units = {data.round.unit, *conn.execute(sa.select(UNIT.c.name)).scalars()}
    for n, p in enumerate(data.people):
        if p.unit is not None and p.unit not in units:
            errors.append(
                f"people[{n}].unit: 没有名为「{p.unit}」的被巡察单位（本轮次的是「{data.round.unit}」）"
            )
    known = existing | set(in_file)
    inactive = _inactive(conn, data, existing)
    for a, aspect in enumerate(data.aspects):
        for _number, loc, item, _parent in _walk(aspect.items, aspect.number, f"aspects[{a}].items"):
            for key in ("leader", "handler"):
                who = getattr(item, key)
                if who and who not in known:
                    errors.append(f"{loc}.{key}: 人员 {who!r} 不存在（在 people 中列出）")
                elif who in inactive:
                    errors.append(f"{loc}.{key}: 人员 {who!r} 已停用，不能承担事项")
    if errors:
        raise InvalidInput(f"导入文件有 {len(errors)} 处错误：\n" + "\n".join(errors))
    return existing


def _add_round(conn: Connection, r: RoundIn, actor: str, now: datetime) -> tuple[int, int]:
    """The round and its own unit (the round's `unit`): (round id, unit id)."""
    record = RoundImported(
        id=0,  # until inserted
        name=r.name,
        group_name=r.group,
        unit=r.unit,
        visit_start=r.visit_start,
        visit_end=r.visit_end,
        feedback_date=r.feedback_date,
        rectification_end=r.rectification_end,
    )
    values = {k: v for k, v in record.to_dict().items() if k != "id"}
    round_id = int(conn.execute(ROUND.insert().values(created_at=now, **values)).inserted_primary_key[0])  # type: ignore[index]
    chain.append(conn, at=now, actor=actor, action="round_import", payload=replace(record, id=round_id))
    return round_id, units.own_unit(conn, round_id, r.unit, actor, now)


def _add_item(conn: Connection, record: ItemImported, actor: str, now: datetime) -> int:
    values = {k: v for k, v in record.to_dict().items() if k != "measures"}
    values["unit_id"] = record.unit_id or record.round_id
    item_id = int(
        conn.execute(
            ITEM.insert().values(state="reported", version=1, created_at=now, updated_at=now, **values)
        ).inserted_primary_key[0]  # type: ignore[index]
    )
    if record.measures:
        conn.execute(MEASURE.insert(), [{"item_id": item_id, **m.to_dict()} for m in record.measures])
    chain.append(
        conn, at=now, actor=actor, action="import", item_id=item_id, to_state="reported", payload=record
    )
    return item_id


def import_round(
    conn: Connection,
    data: RoundFile,
    actor_name: str | None,
    now: datetime,
    *,
    period_days: int = PERIOD_DAYS,
) -> dict[str, int]:
    """Write a validated round in the caller's transaction. The actor must be office staff, either
    already in the database or listed with the office role in the file itself (first import).
    A 立行立改 item is due at the end of the concentrated period ([rectification] period_days)."""
    existing = _check_import(conn, data, actor_name)
    assert actor_name is not None  # checked above
    people = _add_people(conn, data, existing, actor_name, now)
    round_id, unit_id = _add_round(conn, data.round, actor_name, now)
    counts = {"people": people, "aspects": 0, "items": 0, "measures": 0}
    for a_pos, aspect in enumerate(data.aspects):
        aspect_id = conn.execute(
            ASPECT.insert().values(
                round_id=round_id, unit_id=unit_id, number=aspect.number, title=aspect.title, position=a_pos
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        counts["aspects"] += 1
        ids: dict[str, int] = {}
        for pos, (number, _loc, item, parent) in enumerate(_walk(aspect.items, aspect.number, "")):
            parent_id = ids.get(parent) if parent else None
            record = _item_record(
                item, (round_id, unit_id, aspect_id), number, pos, parent_id, data.round, period_days
            )
            ids[number] = _add_item(conn, record, actor_name, now)
            counts["items"] += 1
            counts["measures"] += len(record.measures)
    return counts


def _add_people(conn: Connection, data: RoundFile, existing: set[str], actor_name: str, now: datetime) -> int:
    """Add the file's people not yet known (those from an earlier round are kept as they are); how many."""
    new_people = [p for p in data.people if p.name not in existing]
    for p in new_people:
        person = PersonAdded(
            name=p.name,
            roles=",".join(sorted(r.value for r in p.roles)),
            department=p.department,
            title=p.title,
            email=p.email,
            unit=p.unit,
        )
        conn.execute(PERSON.insert().values(**person.to_dict()))
        chain.append(conn, at=now, actor=actor_name, action="person_add", payload=person)
    return len(new_people)


def _item_record(
    item: ItemIn,
    where: tuple[int, int, int],
    number: str,
    pos: int,
    parent_id: int | None,
    r: RoundIn,
    period_days: int,
) -> ItemImported:
    """The import entry of one item of the file (round, unit, aspect ids in `where`)."""
    round_id, unit_id, aspect_id = where
    kind, day = item.deadline or (None, None)
    if kind == "immediate" and day is None:  # due when the concentrated period ends
        day = r.rectification_end or r.feedback_date + timedelta(days=period_days)
    return ItemImported(
        round_id=round_id,
        aspect_id=aspect_id,
        parent_id=parent_id,
        number=number,
        position=pos,
        title=item.title,
        description=item.description,
        instance=item.instance,
        leader=item.leader,
        department=item.department,
        cooperating="、".join(item.cooperating),
        handler=item.handler,
        deadline_kind=kind,
        deadline=day,
        measures=[
            ImportedMeasure(seq=n, text=m.text, owner=m.owner, due=m.due)
            for n, m in enumerate(item.measures, 1)
        ],
        unit_id=units.in_payload(unit_id, round_id),
    )
