"""Import a round from YAML: people, aspects, items (nested for instances) and measures.

All or nothing: the whole file is validated first, every problem is reported with its path in the
file (aspects[0].items[2].deadline), and only a clean file is written, in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import Connection

from states.lifecycle import Role
from workflow import audit
from workflow.dates import parse_date, parse_deadline
from workflow.errors import InvalidInput, PermissionDenied
from workflow.models import ASPECT, ITEM, MEASURE, PERSON, ROUND
from workflow.services import clean_text, load_actor

MAX_FILE_BYTES = 20 * 1024 * 1024


class Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date (2025-13-01) reaches our own parser and is
    reported with its path, instead of failing the whole load inside PyYAML."""


Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=Loader)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_chars(cls, value: Any) -> Any:
        if isinstance(value, str):
            clean_text(value, "文本")  # raises on control characters and overlong text
        return value


def _date(value: Any) -> date:
    return parse_date(value)


class RoundIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    group: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=200)
    visit_start: date | None = None
    visit_end: date | None = None
    feedback_date: date
    rectification_end: date | None = None

    _dates = field_validator("visit_start", "visit_end", "feedback_date", "rectification_end", mode="before")(
        lambda v: None if v is None else _date(v)
    )


class PersonIn(_Strict):
    name: str = Field(min_length=1, max_length=64)
    roles: list[Role] = Field(min_length=1)
    department: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)


class MeasureIn(_Strict):
    text: str = Field(min_length=1, max_length=5000)
    owner: str | None = Field(default=None, max_length=200)
    due: date | None = None

    _due = field_validator("due", mode="before")(lambda v: None if v is None else _date(v))


class ItemIn(_Strict):
    number: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=20000)
    instance: str = Field(default="", max_length=20000)
    leader: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=200)
    cooperating: list[str] = Field(default_factory=list)
    handler: str | None = Field(default=None, max_length=64)
    deadline: tuple[str, date | None] | None = None
    measures: list[MeasureIn] = Field(default_factory=list)
    items: list[ItemIn] = Field(default_factory=list, description="specific instances: (1), (2) …")

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> str:
        text = str(value).strip()
        if "/" in text:
            raise ValueError("编号中不能含有 /（层级由文件结构决定）")
        return text

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> tuple[str, date | None] | None:
        return None if value is None else parse_deadline(value)


class AspectIn(_Strict):
    number: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=500)
    items: list[ItemIn] = Field(min_length=1)


class RoundFile(_Strict):
    round: RoundIn
    people: list[PersonIn] = Field(default_factory=list)
    aspects: list[AspectIn] = Field(min_length=1)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（文件）"


def load_file(path: Path) -> RoundFile:
    """Parse and validate; every error in one InvalidInput naming its place in the file."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"无法读取 {path}：{exc.strerror}") from None
    if len(raw_bytes) > MAX_FILE_BYTES:
        raise InvalidInput(f"{path} 太大（{len(raw_bytes)} 字节）")
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} 不是 UTF-8 文本（第 {exc.start} 字节）：请另存为 UTF-8") from None
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{path} 不是有效的 YAML：{where}{problem}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path} 应是一个包含 round、people、aspects 的 YAML 映射")
    try:
        data = RoundFile.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{_path(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise InvalidInput(f"{path} 有 {len(lines)} 处错误：\n" + "\n".join(lines)) from None
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


def import_round(conn: Connection, data: RoundFile, actor_name: str | None, now: datetime) -> dict[str, int]:
    """Write a validated round in the caller's transaction. The actor must be office staff, either
    already in the database or listed with the office role in the file itself (first import)."""
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
    if Role.office not in roles:
        raise PermissionDenied(f"{actor_name} 没有导入的权限（需要角色：整改办）")
    known = existing | set(in_file)
    for a, aspect in enumerate(data.aspects):
        for _number, loc, item, _parent in _walk(aspect.items, aspect.number, f"aspects[{a}].items"):
            for key in ("leader", "handler"):
                who = getattr(item, key)
                if who and who not in known:
                    errors.append(f"{loc}.{key}: 人员 {who!r} 不存在（在 people 中列出）")
    if errors:
        raise InvalidInput(f"导入文件有 {len(errors)} 处错误：\n" + "\n".join(errors))

    # People already known (from an earlier round) are kept as they are.
    new_people = [p for p in data.people if p.name not in existing]
    for p in new_people:
        values: dict[str, Any] = {
            "name": p.name,
            "roles": ",".join(sorted(r.value for r in p.roles)),
            "department": p.department,
            "title": p.title,
            "email": p.email,
        }
        conn.execute(PERSON.insert().values(**values))
        audit.append(conn, at=now, actor=actor_name, action="person_add", payload=values)
    r = data.round
    round_values = {
        "name": r.name,
        "group_name": r.group,
        "unit": r.unit,
        "visit_start": r.visit_start,
        "visit_end": r.visit_end,
        "feedback_date": r.feedback_date,
        "rectification_end": r.rectification_end,
    }
    round_id = conn.execute(ROUND.insert().values(created_at=now, **round_values)).inserted_primary_key[0]  # type: ignore[index]
    audit.append(
        conn, at=now, actor=actor_name, action="round_import", payload={"id": round_id, **round_values}
    )
    counts = {"people": len(new_people), "aspects": 0, "items": 0, "measures": 0}
    for a_pos, aspect in enumerate(data.aspects):
        aspect_id = conn.execute(
            ASPECT.insert().values(
                round_id=round_id, number=aspect.number, title=aspect.title, position=a_pos
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        counts["aspects"] += 1
        ids: dict[str, int] = {}
        for pos, (number, _loc, item, parent) in enumerate(_walk(aspect.items, aspect.number, "")):
            kind, day = item.deadline or (None, None)
            values = {
                "round_id": round_id,
                "aspect_id": aspect_id,
                "parent_id": ids.get(parent) if parent else None,
                "number": number,
                "position": pos,
                "title": item.title,
                "description": item.description,
                "instance": item.instance,
                "leader": item.leader,
                "department": item.department,
                "cooperating": "、".join(item.cooperating),
                "handler": item.handler,
                "deadline_kind": kind,
                "deadline": day,
            }
            item_id = conn.execute(
                ITEM.insert().values(state="reported", version=1, created_at=now, updated_at=now, **values)
            ).inserted_primary_key[0]  # type: ignore[index]
            ids[number] = item_id
            measures = [
                {"item_id": item_id, "seq": n, "text": m.text, "owner": m.owner, "due": m.due}
                for n, m in enumerate(item.measures, 1)
            ]
            if measures:
                conn.execute(MEASURE.insert(), measures)
            counts["items"] += 1
            counts["measures"] += len(measures)
            payload = {
                **values,
                "measures": [{k: v for k, v in m.items() if k != "item_id"} for m in measures],
            }
            audit.append(
                conn,
                at=now,
                actor=actor_name,
                action="import",
                item_id=item_id,
                to_state="reported",
                payload=payload,
            )
    return counts
