"""Use cases. Each takes an open write connection (one transaction, see `db.unit_of_work`), the actor's
name and `now`; it checks the guards, changes the rows, bumps the item's version and appends the audit
entry — all in the caller's transaction, so they commit together or not at all."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from states.guards import Actor, Facts, refusals
from states.lifecycle import BY_ACTION, BY_TRIGGER, Role, State
from workflow import audit, clock
from workflow.clock import local_today
from workflow.dates import MAX_YEAR
from workflow.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from workflow.inputs import read_file
from workflow.models import BLOB, EVIDENCE, ITEM, MEASURE, PERSON, PROGRESS
from workflow.prepared import Prepared

EVIDENCE_KINDS = ("批文", "会议纪要", "照片", "文件", "其他")
MAX_TEXT = 20000
MAX_EVIDENCE_BYTES = 100 * 1024 * 1024  # a scanned approval or a few photos; kept inside the database


# --- people -----------------------------------------------------------------------------------


def parse_roles(text: str) -> frozenset[Role]:
    roles = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            roles.add(Role(part))
        except ValueError:
            names = ", ".join(r.value for r in Role)
            raise InvalidInput(f"未知角色 {part!r}（可用：{names}）") from None
    return frozenset(roles)


def load_actor(conn: Connection, name: str | None) -> Actor:
    if not name:
        raise InvalidInput("请用 --as NAME 或环境变量 ZHENGGAI_USER 指明操作人")
    name = clean_text(name, "人员姓名", 64, required=True)
    row = _PERSON.run(conn, {"p_name": name}).fetchone()
    if row is None:
        raise NotFound(
            f"没有名为 {name!r} 的人员（先用 zhenggai person add 添加，或在导入文件的 people 中列出）"
        )
    return Actor(row[0], parse_roles(row[1]), row[2])


def login_person(conn: Connection) -> str | None:
    """The person whose database login this connection uses (PostgreSQL deployments), if any."""
    try:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            return conn.execute(
                sa.select(PERSON.c.name).where(PERSON.c.db_login == sa.func.session_user())
            ).scalar()
    except sa.exc.ProgrammingError:  # no schema yet, or one before db_login (0001): nobody is mapped
        return None


_LOGIN = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def set_login(conn: Connection, actor_name: str | None, now: datetime, *, name: str, login: str) -> None:
    """Map a person to a PostgreSQL login (office staff, run as the database owner)."""
    actor = load_actor(conn, actor_name)
    if Role.office not in actor.roles:
        raise PermissionDenied(f"{actor.name} 没有设置登录的权限（需要角色：整改办）")
    if not _LOGIN.fullmatch(login):
        raise InvalidInput(f"无效的数据库登录名 {login!r}（小写字母、数字和下划线，最多 63 个字符）")
    load_actor(conn, name)
    other = conn.execute(sa.select(PERSON.c.name).where(PERSON.c.db_login == login)).scalar()
    if other is not None and other != name:
        raise InvalidInput(f"数据库登录 {login} 已属于 {other}")
    conn.execute(PERSON.update().where(PERSON.c.name == name).values(db_login=login))
    audit.append(
        conn, at=now, actor=actor.name, action="person_login", payload={"name": name, "login": login}
    )


def add_person(
    conn: Connection,
    actor_name: str | None,
    now: datetime,
    *,
    name: str,
    roles: str,
    department: str | None = None,
    title: str | None = None,
    email: str | None = None,
    bootstrap: bool = False,
) -> None:
    """Add a person. Only the office may; `bootstrap` lets `init --admin` create the first one."""
    role_set = parse_roles(roles)
    if not role_set:
        raise InvalidInput("至少需要一个角色")
    name = clean_text(name, "姓名", 64, required=True)
    if bootstrap:
        actor_name = name
    else:
        actor = load_actor(conn, actor_name)
        if Role.office not in actor.roles:
            raise PermissionDenied(f"{actor.name} 没有添加人员的权限（需要角色：整改办）")
    if conn.execute(sa.select(PERSON.c.id).where(PERSON.c.name == name)).first():
        raise InvalidInput(f"人员 {name!r} 已存在")
    values = {
        "name": name,
        "roles": ",".join(sorted(r.value for r in role_set)),
        "department": clean_optional(department, "部门", 200),
        "title": clean_optional(title, "职务", 200),
        "email": clean_optional(email, "邮箱", 200),
    }
    conn.execute(PERSON.insert().values(**values))
    audit.append(conn, at=now, actor=actor_name or name, action="person_add", payload=values)


# --- input hygiene ------------------------------------------------------------------------------


# C0 controls but tab and newline, DEL, C1 controls; and lone surrogates, which is what Python makes of
# bytes that were not UTF-8 (a GBK argument in a UTF-8 terminal) and which no database can store.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: object, label: str, limit: int = MAX_TEXT, *, required: bool = False) -> str:
    """Strip; refuse control characters (they corrupt ledgers and terminals), text that was not valid
    UTF-8, and overlong text. Every text a use case stores passes through here."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput(f"{label}不能为空")
    if len(text) > limit:
        raise InvalidInput(f"{label}过长（{len(text)} 字，最多 {limit} 字）")
    if bad := _CONTROL.search(text):
        raise InvalidInput(f"{label}含有控制字符 {bad.group()!r}")
    if bad := _SURROGATE.search(text):
        raise InvalidInput(f"{label}含有无法识别的字符 {bad.group()!r}：文字不是有效的 UTF-8（编码不对？）")
    return text


def clean_optional(value: object, label: str, limit: int) -> str | None:
    """clean_text for an optional field: empty becomes None."""
    return clean_text(value, label, limit) or None


def occurred(day: date, now: datetime, label: str) -> date:
    """A date of something that has happened (progress, a measure done, a rule issued): not after today."""
    if day > local_today(now):
        raise InvalidInput(f"{label} {day} 晚于今天（{local_today(now)}）：只记录已经发生的事")
    return day


# --- the item and its facts -----------------------------------------------------------------------

_M_TOTAL = sa.select(sa.func.count()).where(MEASURE.c.item_id == ITEM.c.id).scalar_subquery()
_M_DONE = (
    sa.select(sa.func.count())
    .where(MEASURE.c.item_id == ITEM.c.id, MEASURE.c.done_on.is_not(None))
    .scalar_subquery()
)
_E_COUNT = sa.select(sa.func.count()).where(EVIDENCE.c.item_id == ITEM.c.id).scalar_subquery()
_ITEM_WITH_COUNTS = sa.select(
    ITEM, _M_TOTAL.label("measures_total"), _M_DONE.label("measures_done"), _E_COUNT.label("evidence_count")
)


class Current(NamedTuple):
    """What the write path needs of an item: the guard facts and the version to bump."""

    id: int
    number: str
    state: str
    version: int
    leader: str | None
    department: str | None
    handler: str | None
    deadline_kind: str | None
    deadline: date | None
    original_deadline: date | None
    submitted_by: str | None
    summary: str | None
    cooperating: str | None
    measures_total: int
    measures_done: int
    evidence_count: int


_CURRENT = Prepared(
    lambda: sa.select(*(ITEM.c[name] for name in Current._fields[:13]), _M_TOTAL, _M_DONE, _E_COUNT).where(
        ITEM.c.id == sa.bindparam("p_id")
    )
)
_PERSON = Prepared(
    lambda: sa.select(PERSON.c.name, PERSON.c.roles, PERSON.c.department).where(
        PERSON.c.name == sa.bindparam("p_name")
    )
)
_UPDATES: dict[frozenset[str], Prepared] = {}
_EVIDENCE_OF = Prepared(
    lambda: (
        sa.select(EVIDENCE.c.id, EVIDENCE.c.kind, EVIDENCE.c.ref, EVIDENCE.c.hash, EVIDENCE.c.file_sha256)
        .where(EVIDENCE.c.item_id == sa.bindparam("p_item"))
        .order_by(EVIDENCE.c.id)
    )
)
_MEASURE = Prepared(
    lambda: sa.select(MEASURE.c.id, MEASURE.c.done_on).where(
        MEASURE.c.item_id == sa.bindparam("p_item"), MEASURE.c.seq == sa.bindparam("p_seq")
    )
)
_MEASURE_DONE = Prepared(
    lambda: (
        MEASURE.update()
        .where(MEASURE.c.id == sa.bindparam("p_id"))
        .values(done_on=sa.bindparam("done_on"), done_by=sa.bindparam("done_by"))
    )
)
_ADD_EVIDENCE = Prepared(
    lambda: (
        EVIDENCE.insert()
        .values({c.name: sa.bindparam(c.name) for c in EVIDENCE.c if c.name != "id"})
        .returning(EVIDENCE.c.id)
    )
)


def _day(value: Any) -> date | None:
    # The driver hands back a date (psycopg) or the ISO text SQLAlchemy stored (SQLite).
    return value if value is None or isinstance(value, date) else date.fromisoformat(value)


def _plain(value: Any) -> Any:
    """Bind form of a value for the prepared statements: moments as canonical UTC text, dates ISO."""
    if isinstance(value, datetime):
        return clock.to_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def current(conn: Connection, item_id: int) -> Current:
    """The item as the write path sees it (inside the caller's write transaction)."""
    row = _CURRENT.run(conn, {"p_id": item_id}).fetchone()
    if row is None:
        raise NotFound(f"没有编号为 {item_id} 的事项（用 zhenggai item list 查看）")
    row = list(row)
    row[8], row[9] = _day(row[8]), _day(row[9])
    return Current(*row)


def item_row(conn: Connection, item_id: int) -> Row[Any]:
    """The item with the counts its guards need, in one query."""
    row = conn.execute(_ITEM_WITH_COUNTS.where(ITEM.c.id == item_id)).first()
    if row is None:
        raise NotFound(f"没有编号为 {item_id} 的事项（用 zhenggai item list 查看）")
    return row


def facts(row: Current | Row[Any], actor: Actor, params: dict[str, object] | None = None) -> Facts:
    return Facts(
        state=State(row.state),
        actor=actor,
        leader=row.leader,
        department=row.department,
        handler=row.handler,
        deadline_kind=row.deadline_kind,
        deadline=row.deadline,
        measures_total=row.measures_total,
        measures_done=row.measures_done,
        evidence_count=row.evidence_count,
        submitted_by=row.submitted_by,
        params=params or {},
    )


def _label(name: str) -> str:
    rule = BY_TRIGGER.get(name) or BY_ACTION[name]
    return rule.label


def _check(
    conn: Connection,
    item_id: int,
    name: str,
    actor: Actor,
    params: dict[str, object],
    expect_version: int | None,
) -> tuple[Current, Facts]:
    row = current(conn, item_id)
    if expect_version is not None and row.version != expect_version:
        raise Conflict(
            f"事项 {item_id} 已被他人改动（当前版本 {row.version}，你看到的是 {expect_version}），请刷新后重试"
        )
    f = facts(row, actor, params)
    reasons = refusals(name, f)
    if reasons:
        message = f"无法对事项 {item_id}（{row.number}）{_label(name)}：{'；'.join(reasons)}"
        if not actor.roles & set((BY_TRIGGER.get(name) or BY_ACTION[name]).roles):
            raise PermissionDenied(message)
        raise Refused(message)
    return row, f


def _bump(conn: Connection, row: Current, now: datetime, **values: Any) -> None:
    """Write the item with its version bumped; a concurrent writer makes the WHERE miss → Conflict."""
    keys = frozenset(values)
    statement = _UPDATES.get(keys)
    if statement is None:
        statement = _UPDATES[keys] = Prepared(
            lambda: (
                ITEM.update()
                .where(ITEM.c.id == sa.bindparam("p_id"), ITEM.c.version == sa.bindparam("p_version"))
                .values(
                    version=sa.bindparam("p_next"),
                    updated_at=sa.bindparam("p_at"),
                    **{k: sa.bindparam(k) for k in sorted(keys)},
                )
            )
        )
    params = {k: _plain(v) for k, v in values.items()}
    params.update(p_id=row.id, p_version=row.version, p_next=row.version + 1, p_at=clock.to_text(now))
    if statement.run(conn, params).rowcount != 1:
        raise Conflict(f"事项 {row.id} 已被他人改动，请刷新后重试")


@dataclass(frozen=True)
class Outcome:
    item_id: int
    number: str
    from_state: State
    to_state: State
    version: int
    entry: audit.Entry


# --- transitions --------------------------------------------------------------------------------


def fire(
    conn: Connection,
    item_id: int,
    trigger: str,
    actor_name: str | None,
    now: datetime,
    *,
    reason: str | None = None,
    summary: str | None = None,
    finding: str | None = None,
    expect_version: int | None = None,
) -> Outcome:
    """Fire a lifecycle trigger (assign, start, submit, approve, reject, revisit, confirm, reopen)."""
    if trigger not in BY_TRIGGER:
        raise InvalidInput(f"未知操作 {trigger!r}（可用：{', '.join(BY_TRIGGER)}）")
    actor = load_actor(conn, actor_name)
    params: dict[str, object] = {
        "reason": clean_text(reason, "理由"),
        "summary": clean_text(summary, "整改完成情况"),
        "finding": clean_text(finding, "回头看结论"),
    }
    row, f = _check(conn, item_id, trigger, actor, params, expect_version)
    from states import machine  # transitions is needed only here, not by reads

    new_state = machine.fire(trigger, f)
    payload: dict[str, Any] = {}
    values: dict[str, Any] = {"state": new_state.value}
    if trigger == "submit":
        values.update(summary=params["summary"], submitted_by=actor.name)
        payload["summary"] = params["summary"]
    elif trigger == "approve":
        values["closed_at"] = now
        # The sign-off cites the evidence by hash and the chain head it was made on.
        payload["evidence"] = [
            dict(zip(("id", "kind", "ref", "hash", "file_sha256"), e, strict=True))
            for e in _EVIDENCE_OF.run(conn, {"p_item": item_id}).fetchall()
        ]
        payload["submitted_by"] = row.submitted_by
        payload["summary"] = row.summary
        payload["chain_head"] = list(audit.head(conn))
    elif trigger == "reject":
        values["submitted_by"] = None
    elif trigger == "confirm":
        payload["finding"] = params["finding"]
    _bump(conn, row, now, **values)
    entry = audit.append(
        conn,
        at=now,
        actor=actor.name,
        action=trigger,
        item_id=item_id,
        from_state=row.state,
        to_state=new_state.value,
        reason=str(params["reason"]) or None,
        payload=payload,
    )
    return Outcome(item_id, row.number, State(row.state), new_state, row.version + 1, entry)


# --- audited actions that keep the state ----------------------------------------------------------


def _record(
    conn: Connection,
    row: Current,
    actor: Actor,
    now: datetime,
    action: str,
    payload: dict[str, Any],
    reason: str | None = None,
    **values: Any,
) -> Outcome:
    _bump(conn, row, now, **values)
    entry = audit.append(
        conn,
        at=now,
        actor=actor.name,
        action=action,
        item_id=row.id,
        from_state=row.state,
        to_state=row.state,
        reason=reason or None,
        payload=payload,
    )
    return Outcome(row.id, row.number, State(row.state), State(row.state), row.version + 1, entry)


def extend(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    new_deadline: date,
    reason: str | None,
    approved_by: str | None,
    expect_version: int | None = None,
) -> Outcome:
    """延期: a later date, a reason and an approver (a leader or approver other than the applicant)."""
    actor = load_actor(conn, actor_name)
    params: dict[str, object] = {"reason": clean_text(reason, "理由"), "new_deadline": new_deadline}
    if approved_by:
        params["approved_by"] = load_actor(conn, approved_by)
    row, _ = _check(conn, item_id, "extend", actor, params, expect_version)
    payload = {
        "from": row.deadline,
        "from_kind": row.deadline_kind,
        "to": new_deadline,
        "approved_by": approved_by,
    }
    return _record(
        conn,
        row,
        actor,
        now,
        "extend",
        payload,
        str(params["reason"]),
        deadline=new_deadline,
        deadline_kind="date",
        original_deadline=row.original_deadline or row.deadline,
    )


_REASSIGNABLE = {
    "leader": ("责任领导", 64),
    "department": ("责任部门", 200),
    "handler": ("责任人", 64),
    "cooperating": ("配合单位", 1000),
}


def reassign(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    reason: str | None,
    leader: str | None = None,
    department: str | None = None,
    handler: str | None = None,
    cooperating: str | None = None,
    expect_version: int | None = None,
) -> Outcome:
    """调整责任: change the leader, department, handler or cooperating units, with a reason."""
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "reassign", actor, {"reason": clean_text(reason, "理由")}, expect_version)
    wanted = {"leader": leader, "department": department, "handler": handler, "cooperating": cooperating}
    changes: dict[str, Any] = {}
    for key, value in wanted.items():
        if value is None:
            continue
        label, limit = _REASSIGNABLE[key]
        value = clean_text(value, label, limit)
        if key in ("leader", "handler"):
            load_actor(conn, value)  # must be a known person
        if value != (getattr(row, key) or ""):
            changes[key] = value
    if not changes:
        raise InvalidInput("没有要调整的内容（--leader/--dept/--handler/--cooperating）")
    payload = {k: [getattr(row, k), v] for k, v in changes.items()}
    return _record(conn, row, actor, now, "reassign", payload, reason, **changes)


def add_measure(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    text: str,
    owner: str | None = None,
    due: date | None = None,
) -> Outcome:
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "add_measure", actor, {}, None)
    text = clean_text(text, "整改措施", 5000, required=True)
    owner = clean_optional(owner, "措施责任单位", 200)
    seq = (
        conn.execute(sa.select(sa.func.max(MEASURE.c.seq)).where(MEASURE.c.item_id == item_id)).scalar() or 0
    ) + 1
    conn.execute(MEASURE.insert().values(item_id=item_id, seq=seq, text=text, owner=owner, due=due))
    return _record(
        conn, row, actor, now, "add_measure", {"seq": seq, "text": text, "owner": owner, "due": due}
    )


def complete_measure(
    conn: Connection, item_id: int, seq: int, actor_name: str | None, now: datetime, *, on: date | None = None
) -> Outcome:
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "measure_done", actor, {}, None)
    measure = _MEASURE.run(conn, {"p_item": item_id, "p_seq": seq}).fetchone()
    if measure is None:
        raise NotFound(f"事项 {item_id} 没有第 {seq} 项整改措施")
    if measure[1] is not None:
        raise Refused(f"事项 {item_id} 的第 {seq} 项整改措施已于 {measure[1]} 完成")
    day = occurred(on, now, "完成日期") if on else local_today(now)
    _MEASURE_DONE.run(conn, {"p_id": measure[0], "done_on": day.isoformat(), "done_by": actor.name})
    return _record(conn, row, actor, now, "measure_done", {"seq": seq, "done_on": day})


def add_progress(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    on: date,
    text: str,
    when_text: str | None = None,
) -> Outcome:
    """整改进展: a dated action, as the report will print it ("10月15日，…")."""
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "progress", actor, {}, None)
    text = clean_text(text, "进展内容", required=True)
    when = clean_optional(when_text, "日期说明", 40)
    on = occurred(on, now, "进展日期")
    conn.execute(
        PROGRESS.insert().values(
            item_id=item_id, on=on, when_text=when, text=text, actor=actor.name, created_at=now
        )
    )
    return _record(conn, row, actor, now, "progress", {"on": on, "when": when, "text": text})


def store_file(conn: Connection, path: Path) -> tuple[str, int]:
    """Store a file once by its SHA-256 inside the database; return (hash, size)."""
    data = read_file(path, MAX_EVIDENCE_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if conn.execute(sa.select(BLOB.c.sha256).where(BLOB.c.sha256 == digest)).first() is None:
        conn.execute(BLOB.insert().values(sha256=digest, size=len(data), data=data))
    return digest, len(data)


def attach_evidence(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    kind: str,
    ref: str | None = None,
    file: Path | None = None,
    note: str | None = None,
) -> Outcome:
    """佐证材料: a reference number, a file, or both; hashed so the sign-off can cite it."""
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "evidence", actor, {}, None)
    if kind not in EVIDENCE_KINDS:
        raise InvalidInput(f"未知的佐证材料类型 {kind!r}（可用：{'、'.join(EVIDENCE_KINDS)}）")
    ref = clean_text(ref, "文号", 200) or None
    note = clean_text(note, "说明", 5000) or None
    if not ref and file is None:
        raise InvalidInput("佐证材料需要文号（--ref）或文件（--file），或两者都有")
    sha = size = name = None
    if file is not None:
        name = clean_text(file.name, "文件名", 255, required=True)
        sha, size = store_file(conn, file)
    record = {
        "kind": kind,
        "ref": ref,
        "file_sha256": sha,
        "file_name": name,
        "size": size,
        "note": note,
        "actor": actor.name,
        "at": now.isoformat(),
        "item_id": item_id,
    }
    digest = hashlib.sha256(audit.canonical_json(record).encode()).hexdigest()
    values = {
        "item_id": item_id,
        "kind": kind,
        "ref": ref,
        "file_sha256": sha,
        "file_name": name,
        "size": size,
        "note": note,
        "actor": actor.name,
        "created_at": clock.to_text(now),
        "hash": digest,
    }
    evidence_id = _ADD_EVIDENCE.run(conn, values).fetchone()[0]
    return _record(conn, row, actor, now, "evidence", {"id": evidence_id, **record, "hash": digest})


# --- "what can I do now?" ---------------------------------------------------------------------------


def options(row: Row[Any], actor: Actor) -> list[dict[str, Any]]:
    """Every trigger and action with whether the actor may do it now and, if not, why.

    Inputs the user types with the action (reason, summary, finding, new deadline) are assumed given;
    what is judged is the item and the actor."""
    assumed: dict[str, object] = {
        "reason": "…",
        "summary": "…",
        "finding": "…",
        "new_deadline": date(MAX_YEAR, 12, 31),
        "approved_by": Actor("（批准人）", frozenset({Role.approver})),
    }
    f = facts(row, actor, assumed)
    out = []
    for name in (*BY_TRIGGER, *BY_ACTION):
        reasons = refusals(name, f)
        out.append({"action": name, "label": _label(name), "allowed": not reasons, "reasons": reasons})
    return out
