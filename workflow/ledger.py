"""Import a ledger (整改台账) from .xlsx or .csv: validate every cell first, then write all or nothing.

Re-importing the same ledger updates items by their 序号 (kept in `ledger_key`). The 完成情况 column
sets the item's state, and every created or changed item gets a `ledger_import` audit entry with its
from/to state, so the state as of any date can be rebuilt from the audit trail.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor, Facts, plan_complete
from states.lifecycle import Role, State
from workflow import audit
from workflow.dates import MAX_YEAR, MIN_YEAR, parse_date, parse_deadline, shown
from workflow.errors import Conflict, InvalidInput, PermissionDenied
from workflow.ledger_files import REQUIRED, Problem, Table
from workflow.models import ASPECT, EVIDENCE, ITEM, MEASURE, PERSON, PROGRESS, ROUND
from workflow.models_ledger import LEDGER_BATCH, LEDGER_KEY
from workflow.services import EVIDENCE_KINDS, clean_text, load_actor

Tick = Callable[[int], None]
TICK_EVERY = 500
MAX_SHOWN = 200  # problems listed in the message; the rest are counted

# 完成情况 as offices write it → the state it means. Only 已完成 and its synonyms count as completed;
# 基本完成 ("largely done, continuing") stays in progress.
STATUS_WORDS: dict[str, State] = {
    **dict.fromkeys(("已登记", "未交办"), State.reported),
    **dict.fromkeys(("已交办", "未启动", "未开始"), State.assigned),
    **dict.fromkeys(
        (
            "整改中",
            "正在推进",
            "正在推进中",
            "正在整改",
            "推进中",
            "未整改",
            "未完成",
            "基本完成",
            "部分完成",
            "阶段性完成",
            "持续推进",
            "持续整改",
            "长期坚持",
        ),
        State.in_progress,
    ),
    **dict.fromkeys(("待销号审核", "待销号", "待验收", "已提请销号", "申请销号"), State.submitted),
    **dict.fromkeys(
        ("已完成", "完成", "已整改", "整改完成", "已整改完成", "已办结", "办结", "已销号", "销号"),
        State.closed,
    ),
    "回头看": State.revisited,
}
# What export writes, chosen so that importing it gives the same state back.
EXPORT_STATUS: dict[State, str] = {
    State.reported: "已登记",
    State.assigned: "未启动",
    State.in_progress: "正在推进",
    State.submitted: "待销号审核",
    State.closed: "已完成",
    State.revisited: "回头看",
}
_RANK = {s: i for i, s in enumerate(State)}
_BACKWARD_HINT = {
    State.submitted: "用 zhenggai item reject 驳回",
    State.closed: "用 zhenggai item revisit 和 item reopen",
    State.revisited: "用 zhenggai item reopen 或 item confirm",
}
IMMEDIATE_WORDS = ("立行立改", "立即整改", "即知即改")
ONGOING_WORDS = ("长期坚持", "长期", "持续整改")
META_KEYS = {
    "巡察轮次": "name",
    "巡察组": "group_name",
    "被巡察单位": "unit",
    "巡察开始": "visit_start",
    "巡察结束": "visit_end",
    "反馈日期": "feedback_date",
    "集中整改期止": "rectification_end",
}
TEXT_FIELDS = ("title", "description", "instance", "cooperating")  # stored as '' when empty
NUMERALS = "零一二三四五六七八九"


class LedgerInvalid(InvalidInput):
    """The ledger has problems; `problems` lists each with its sheet, row and column."""

    def __init__(self, file_name: str, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:MAX_SHOWN])
        more = f"\n……另有 {len(problems) - MAX_SHOWN} 处问题未列出" if len(problems) > MAX_SHOWN else ""
        super().__init__(f"{file_name} 有 {len(problems)} 处问题，未导入任何内容：\n{shown}{more}")


# --- cells ------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: 3.0 → '3', a date → '2024-12-31', CRLF → LF, stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _chinese(n: int) -> str:
    tens, ones = divmod(n, 10)
    if n < 10:
        return NUMERALS[n]
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


_CHINESE = tuple(_chinese(n) for n in range(100))


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (aspect numbers and 一是/二是); beyond 99, Arabic digits."""
    return _CHINESE[n] if 0 <= n < 100 else str(n)


_ASPECT = re.compile(
    r"^\s*(?:[（(]\s*([一二三四五六七八九十]+)\s*[)）]|([一二三四五六七八九十]+)\s*[、.．:：])\s*(.+)$", re.S
)


def parse_aspect(text: str) -> tuple[str | None, str]:
    """'一、违法违规占用耕地…' or '（一）…' → ('一', '违法违规占用耕地…'); no number → (None, text)."""
    m = _ASPECT.match(text)
    if m:
        return (m.group(1) or m.group(2)), m.group(3).strip()
    return None, text.strip()


def split_problem(text: str) -> tuple[str, str]:
    """The first sentence is the problem's title, the rest its description (export writes them so)."""
    m = re.match(r"^(.+?)[。\n]\s*(.*)$", text, re.S)
    if m is None:
        return text.strip(), ""
    return m.group(1).strip(), m.group(2).strip()


_NUMBERED = re.compile(
    r"^\s*(?:\d{1,2}\s*[.、．)）]|[（(]\s*\d{1,2}\s*[)）]|[①-⑳]|[一二三四五六七八九十]{1,3}\s*是|[一二三四五六七八九十]{1,3}\s*[、.．])\s*"
)
_INLINE = re.compile(r"(?<=[。；;！!，,\s])(?=[二三四五六七八九十]{1,3}是)")


def split_measures(text: str) -> list[str]:
    """Several measures in one cell: one per line, or numbered (1. / （1） / ① / 一是…二是…).

    When any line is numbered, unnumbered lines continue the measure above them."""
    lines = [p for line in text.split("\n") for p in _INLINE.split(line.strip()) if p.strip()]
    numbered = any(_NUMBERED.match(line) for line in lines)
    out: list[str] = []
    for line in lines:
        stripped = _NUMBERED.sub("", line, count=1).strip().rstrip("；;，,").strip()
        if numbered and not _NUMBERED.match(line) and out:
            out[-1] += "\n" + stripped
        elif stripped:
            out.append(stripped)
    return out


_DATED = re.compile(
    r"^(?P<date>\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日)"
    r"(?:\s*[（(](?P<when>[^（）()]{1,40})[)）])?\s*[：:，,、\s]\s*(?P<text>\S.*)$",
    re.S,
)


def split_progress(text: str, year_hint: date, today: date) -> list[tuple[date, str | None, str]]:
    """整改进展 lines → (date, date as written or None, text). A line starting with a date opens an entry
    ('2024-10-15：…', '2024-11-05（11月初）：…', '10月15日，…' — the year is inferred from the round's
    feedback date); other lines continue the entry above, or form one entry dated today."""
    out: list[tuple[date, str | None, str]] = []
    for line in filter(None, (x.strip() for x in text.split("\n"))):
        m = _DATED.match(line)
        if m is None:
            if out:
                on, when, body = out[-1]
                out[-1] = (on, when, body + "\n" + line)
            else:
                out.append((today, None, line))
            continue
        when = m.group("when")
        if m.group("m"):
            month, day = int(m.group("m")), int(m.group("d"))
            try:
                on = date(year_hint.year, month, day)
                if on < year_hint - timedelta(days=31):  # '1月24日' after an October feedback is next year
                    on = date(year_hint.year + 1, month, day)
            except ValueError:
                raise ValueError(f"不存在的日期：{m.group('date')!r}") from None
            when = when or m.group("date").replace(" ", "")
        else:
            on = parse_date(m.group("date"))
        out.append((on, when, m.group("text").strip()))
    return out


def split_evidence(text: str) -> list[tuple[str, str]]:
    """佐证材料 lines → (kind, reference): '批文：获政土〔2024〕27号'; without a known kind, 其他."""
    out = []
    for line in filter(None, (x.strip() for x in text.split("\n"))):
        kind, sep, ref = line.partition("：")
        if not sep:
            kind, sep, ref = line.partition(":")
        if sep and kind.strip() in EVIDENCE_KINDS and ref.strip():
            out.append((kind.strip(), ref.strip()))
        else:
            out.append(("其他", line))
    return out


_MONTH_END = re.compile(r"^(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*月?\s*(?:底|末)?$")


def parse_ledger_deadline(value: Any) -> tuple[str, date | None]:
    """A 整改时限 cell: a date (any usual form, an Excel date cell or serial), '2024年12月底',
    '2024年12月31日前', 立行立改 or 长期坚持 (and their usual variants)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial day number in a cell not formatted as a date
            from openpyxl.utils.datetime import from_excel

            return "date", parse_date(from_excel(value))
        raise ValueError(f"无效的日期：{cell_text(value)!r}")
    if isinstance(value, (date, datetime)):
        return "date", parse_date(value)
    text = re.sub(r"\s+", "", cell_text(value))
    text = re.sub(r"(之)?前$", "", text)
    if text in IMMEDIATE_WORDS:
        return "immediate", None
    if text in ONGOING_WORDS:
        return "ongoing", None
    m = _MONTH_END.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not MIN_YEAR <= year <= MAX_YEAR:  # before building the date: year 0 does not exist
            raise ValueError(f"日期超出范围：{shown(text)}（应在 {MIN_YEAR}—{MAX_YEAR} 年之间）")
        if 1 <= month <= 12:
            return "date", date(year, month, calendar.monthrange(year, month)[1])
    return parse_deadline(text)


def parse_status(text: str) -> State:
    word = re.split(r"[。，,；;、\n（(：:]", re.sub(r"[ \t\u3000]", "", text), maxsplit=1)[0]
    state = STATUS_WORDS.get(word)
    if state is None:
        raise ValueError(
            f"无法识别的完成情况「{text[:40]}」（可用：已完成、基本完成、正在推进、未启动、待销号审核 等，"
            "基本完成按正在推进计）"
        )
    return state


# --- rows ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One ledger row, parsed. `fields` holds only the item columns present in the file."""

    line: int
    no: str
    aspect: tuple[str | None, str] | None
    fields: dict[str, Any]
    measures: list[str] | None
    progress: list[tuple[date, str | None, str]]
    evidence: list[tuple[str, str]]
    state: State | None
    status: str


def parse_rows(
    table: Table, *, year_hint: date, today: date, tick: Tick | None = None
) -> tuple[list[Row], list[Problem]]:
    """Every data row parsed; every bad cell reported (a row with any problem is left out)."""
    problems = list(table.problems)
    rows: list[Row] = []
    cols = {c.key: j for j, c in table.columns.items() if c.imported}
    if not table.header_row or any(k not in cols for k in REQUIRED):
        return rows, problems  # without a usable header the cells cannot be read
    seen: dict[str, int] = {}
    last_aspect: tuple[str | None, str] | None = None
    merged = {p.row for p in table.problems if p.row is not None and p.row > table.header_row}
    for count, (line, values) in enumerate(table.rows, 1):
        if tick is not None and count % TICK_EVERY == 0:
            tick(TICK_EVERY)
        if line in merged:
            continue  # its cells are not what the office meant; the merge is reported already
        bad: list[Problem] = []

        def raw(key: str, values: list[Any] = values) -> Any:
            j = cols.get(key)
            return values[j] if j is not None and j < len(values) else None

        def text(key: str, limit: int, line: int = line, bad: list[Problem] = bad) -> str:
            try:
                return clean_text(cell_text(raw(key)), table.columns[cols[key]].header, limit)
            except InvalidInput as exc:
                bad.append(table.problem(line, cols[key], str(exc)))
                return ""

        def fail(key: str, message: str, line: int = line, bad: list[Problem] = bad) -> None:
            bad.append(table.problem(line, cols.get(key), message))

        no = text("no", 40)
        if not no:
            fail("no", "序号不能为空")
        elif "/" in no:
            fail("no", "序号中不能含有 /")
        elif no in seen:
            fail("no", f"序号 {no} 与第 {seen[no]} 行重复")
        else:
            seen[no] = line
        aspect = None
        if "aspect" in cols:
            aspect_text = text("aspect", 520)
            if aspect_text:
                aspect = last_aspect = parse_aspect(aspect_text)
                if len(aspect[0] or "") > 20 or len(aspect[1]) > 500:
                    fail("aspect", "问题类别的编号（最多 20 字）或名称（最多 500 字）过长")
            elif last_aspect is not None:
                aspect = last_aspect  # a blank 问题类别 continues the one above
            else:
                fail("aspect", "问题类别不能为空（第一条问题必须填写，下面留空表示同上）")
        problem = text("problem", 20500)
        fields: dict[str, Any] = {}
        if not problem:
            fail("problem", "问题描述不能为空")
        else:
            title, description = split_problem(problem)
            if len(title) > 500:
                fail("problem", f"问题描述的第一句过长（{len(title)} 字，最多 500 字）：请在问题概括后加句号")
            fields.update(title=title, description=description)
        if "instance" in cols:
            fields["instance"] = text("instance", 20000)
        for key in ("leader", "handler"):
            if key in cols:
                name = text(key, 64)
                if re.search(r"[、,，;；/\s]", name):
                    fail(key, f"只能填写一人（现为「{name}」）：其他人员请写入配合单位或备注")
                fields[key] = name or None
        if "department" in cols:
            fields["department"] = text("department", 200) or None
        if "cooperating" in cols:
            units = [u.strip() for u in re.split(r"[、,，;；\n]", text("cooperating", 1000)) if u.strip()]
            fields["cooperating"] = "、".join(units)
        if "deadline" in cols:
            value = raw("deadline")
            if value is None or cell_text(value) == "":
                fields.update(deadline_kind=None, deadline=None)
            else:
                try:
                    fields["deadline_kind"], fields["deadline"] = parse_ledger_deadline(value)
                except ValueError as exc:
                    fail("deadline", str(exc))
        measures = split_measures(text("measures", 20000)) if "measures" in cols else None
        for m in measures or []:
            if len(m) > 5000:
                fail("measures", f"一项整改措施过长（{len(m)} 字，最多 5000 字）")
        progress: list[tuple[date, str | None, str]] = []
        if "progress" in cols:
            try:
                progress = split_progress(text("progress", 20000), year_hint, today)
            except ValueError as exc:
                fail("progress", str(exc))
            for on, _when, _body in progress:
                if on > today:
                    fail("progress", f"进展日期 {on} 晚于今天（{today}）")
        evidence = split_evidence(text("evidence", 20000)) if "evidence" in cols else []
        for _kind, ref in evidence:
            if len(ref) > 200:
                fail("evidence", f"佐证材料的文号或名称过长（{len(ref)} 字，最多 200 字）：每行写一份材料")
        status = text("status", 200) if "status" in cols else ""
        state = None
        if status:
            try:
                state = parse_status(status)
            except ValueError as exc:
                fail("status", str(exc))
        if bad:
            problems.extend(bad)
            continue
        rows.append(Row(line, no, aspect, fields, measures, progress, evidence, state, status))
    if tick is not None:
        tick(len(table.rows) % TICK_EVERY)
    return rows, problems


# --- the round ------------------------------------------------------------------------------------------


@dataclass
class RoundTarget:
    """The round the ledger goes into: an existing one (id) or one to create from `values`."""

    id: int | None
    values: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.values["name"])

    @property
    def feedback_date(self) -> date:
        value = self.values["feedback_date"]
        assert isinstance(value, date)
        return value


def target_round(
    conn: Connection, meta: dict[str, str], name: str | None = None, **given: Any
) -> RoundTarget:
    """Which round: --round NAME, else the one named in the 轮次信息 sheet, else the only round.
    A round that does not exist yet is created from that sheet and the options (group, unit, dates)."""
    from_meta: dict[str, Any] = {META_KEYS[k]: v for k, v in meta.items() if k in META_KEYS and v}
    name = name or from_meta.get("name")
    columns = (ROUND.c.id, ROUND.c.name, ROUND.c.group_name, ROUND.c.unit, ROUND.c.feedback_date)
    if not name:
        rounds = conn.execute(sa.select(*columns).order_by(ROUND.c.id)).all()
        if len(rounds) == 1:
            return RoundTarget(rounds[0].id, dict(rounds[0]._mapping))
        if not rounds:
            raise InvalidInput(
                "数据库中还没有巡察轮次：用 --round NAME --group 巡察组 --unit 被巡察单位 --feedback-date 日期 新建，"
                "或先用 zhenggai import 导入轮次"
            )
        raise InvalidInput(
            f"数据库中有多个巡察轮次，请用 --round 指明导入到哪一个：{'、'.join(r.name for r in rounds)}"
        )
    row = conn.execute(sa.select(*columns).where(ROUND.c.name == name)).first()
    if row is not None:
        return RoundTarget(row.id, dict(row._mapping))
    values = {
        **(from_meta if from_meta.get("name") in (None, name) else {}),
        **{k: v for k, v in given.items() if v},
    }
    values["name"] = clean_text(name, "巡察轮次名称", 200, required=True)
    missing = [
        label
        for label, key in (
            ("--group", "group_name"),
            ("--unit", "unit"),
            ("--feedback-date", "feedback_date"),
        )
        if not values.get(key)
    ]
    if missing:
        raise InvalidInput(
            f"数据库中没有巡察轮次「{name}」；新建它需要 {'、'.join(missing)}（或台账中的「轮次信息」工作表）"
        )
    for key in ("visit_start", "visit_end", "feedback_date", "rectification_end"):
        if values.get(key) is not None:
            values[key] = parse_date(values[key])
    for key, label in (("group_name", "巡察组"), ("unit", "被巡察单位")):
        values[key] = clean_text(values[key], label, 200, required=True)
    return RoundTarget(None, {k: values.get(k) for k in ("name", *META_KEYS.values())})


# --- the plan: what the import will do -------------------------------------------------------------------


@dataclass
class _Known:
    """What the database already holds for the round, loaded once (a query per table, not per row)."""

    items: dict[int, Any] = field(default_factory=dict)
    by_number: dict[str, int] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)  # 序号 → item id
    aspects: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → (number, title)
    measures: dict[int, dict[int, str]] = field(default_factory=dict)  # item → seq → text
    progress: dict[int, set[str]] = field(default_factory=dict)
    evidence: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    people: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, conn: Connection, round_id: int | None) -> _Known:
        known = cls(people=set(conn.execute(sa.select(PERSON.c.name)).scalars()))
        if round_id is None:
            return known
        of_round = ITEM.c.round_id == round_id
        known.items = {r.id: r for r in conn.execute(sa.select(ITEM).where(of_round))}
        known.by_number = {r.number: r.id for r in known.items.values()}
        known.keys = dict(
            conn.execute(
                sa.select(LEDGER_KEY.c.ledger_no, LEDGER_KEY.c.item_id).where(
                    LEDGER_KEY.c.round_id == round_id
                )
            ).all()
        )
        known.aspects = {
            a.id: (a.number, a.title)
            for a in conn.execute(
                sa.select(ASPECT.c.id, ASPECT.c.number, ASPECT.c.title).where(ASPECT.c.round_id == round_id)
            )
        }
        for item_id, seq, text in conn.execute(
            sa.select(MEASURE.c.item_id, MEASURE.c.seq, MEASURE.c.text).join(ITEM).where(of_round)
        ):
            known.measures.setdefault(item_id, {})[seq] = text
        for item_id, text in conn.execute(
            sa.select(PROGRESS.c.item_id, PROGRESS.c.text).join(ITEM).where(of_round)
        ):
            known.progress.setdefault(item_id, set()).add(text)
        q = sa.select(EVIDENCE.c.item_id, EVIDENCE.c.kind, EVIDENCE.c.ref, EVIDENCE.c.file_name).join(ITEM)
        for item_id, kind, ref, file_name in conn.execute(q.where(of_round)):
            known.evidence.setdefault(item_id, set()).add((kind, ref or file_name or ""))
        return known


@dataclass
class Change:
    row: Row
    item: Any  # the current item row
    changes: dict[str, list[Any]]  # field → [old, new], for the audit entry; item columns are written
    state: State
    measure_texts: dict[int, str]  # seq → new text
    last_seq: int  # new measures are numbered after it
    new_measures: list[str]
    progress: list[tuple[date, str | None, str]]
    evidence: list[tuple[str, str]]


@dataclass
class Plan:
    table: Table
    round: RoundTarget
    actor: str
    creates: list[tuple[Row, str, tuple[str, str]]] = field(default_factory=list)  # row, number, aspect
    updates: list[Change] = field(default_factory=list)
    unchanged: int = 0
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    adopted: list[tuple[int, str]] = field(default_factory=list)  # (item id, 序号) of keyless items
    aspects: dict[tuple[str, str], int | None] = field(default_factory=dict)  # (number, title) → id


def _number(aspect_no: str, ledger_no: str) -> str:
    """Item number from the aspect and 序号. Export writes keyless nested numbers as '一-1-(1)'."""
    if ledger_no.startswith(aspect_no + "-"):
        return ledger_no.replace("-", "/")
    return f"{aspect_no}/{ledger_no}"


def _norm(key: str, value: Any) -> Any:
    if key in TEXT_FIELDS:
        return value or ""
    return value or None


def prepare(
    conn: Connection,
    table: Table,
    target: RoundTarget,
    actor_name: str | None,
    *,
    today: date,
    tick: Tick | None = None,
) -> Plan:
    """Check everything against the file and the database; raise LedgerInvalid listing every problem."""
    actor = load_actor(conn, actor_name)
    if Role.office not in actor.roles:
        raise PermissionDenied(f"{actor.name} 没有导入台账的权限（需要角色：整改办）")
    rows, problems = parse_rows(table, year_hint=target.feedback_date, today=today, tick=tick)
    plan = Plan(table, target, actor.name)
    known = _Known.load(conn, target.id)
    items, by_number, keys = known.items, known.by_number, known.keys
    keyed = set(keys.values())
    aspect_by_no = {number: (number, title) for number, title in known.aspects.values()}
    aspect_by_title = {title: (number, title) for number, title in known.aspects.values()}
    plan.aspects = {aspect: aspect_id for aspect_id, aspect in known.aspects.items()}

    def aspect_of(row: Row) -> tuple[str, str] | None:
        if row.aspect is None:
            if len(aspect_by_no) == 1:
                return next(iter(aspect_by_no.values()))
            if not aspect_by_no:
                aspect_by_no["一"] = ("一", "巡察反馈问题")
                return aspect_by_no["一"]
            problems.append(
                table.problem(row.line, None, "台账没有「问题类别」列，而本轮有多个方面：请加上该列")
            )
            return None
        number, title = row.aspect
        if number is None:
            if title in aspect_by_title:
                return aspect_by_title[title]
            number = next(chinese_number(n) for n in range(1, 100) if chinese_number(n) not in aspect_by_no)
        found = aspect_by_no.setdefault(number, (number, title))
        aspect_by_title.setdefault(found[1], found)
        return found

    col = table.index
    claimed: dict[int, int] = {}  # item id → row line
    numbers_taken = dict(by_number)
    for row in rows:
        aspect = aspect_of(row)
        if aspect is None:
            continue
        number = _number(aspect[0], row.no)
        if len(number) > 60:
            problems.append(table.problem(row.line, col("no"), f"编号 {number} 过长"))
            continue
        item_id = keys.get(row.no)
        if item_id is None and number in by_number and by_number[number] not in keyed:
            item_id = by_number[number]  # an item from a YAML import, adopted under this 序号
            plan.adopted.append((item_id, row.no))
        for key in ("leader", "handler"):
            name = row.fields.get(key)
            if name and name not in known.people:
                person = plan.people.setdefault(name, {"name": name, "roles": set(), "department": None})
                person["roles"].add(Role.leader.value if key == "leader" else Role.handler.value)
                if key == "handler":
                    person["department"] = person["department"] or row.fields.get("department")
        if item_id is None:
            if number in numbers_taken:
                problems.append(
                    table.problem(row.line, col("no"), f"编号 {number} 已被另一序号的事项使用：请换一个序号")
                )
                continue
            numbers_taken[number] = -row.line
            plan.aspects.setdefault(aspect, None)
            state = row.state or State.reported
            if state is not State.reported:
                reason = plan_complete(_facts(row.fields, len(row.measures or [])))
                if reason:
                    problems.append(
                        table.problem(row.line, col("status"), f"完成情况为「{row.status}」，但{reason}")
                    )
                    continue
            plan.creates.append((row, number, aspect))
            continue
        if item_id in claimed:
            problems.append(
                table.problem(
                    row.line, col("no"), f"与第 {claimed[item_id]} 行指向同一事项（{items[item_id].number}）"
                )
            )
            continue
        claimed[item_id] = row.line
        change = _diff(table, row, items[item_id], aspect, known, number, numbers_taken, problems)
        if change is None:
            continue
        plan.aspects.setdefault(aspect, None)
        if (
            change.changes
            or change.state.value != change.item.state
            or change.new_measures
            or change.progress
            or change.evidence
        ):
            plan.updates.append(change)
        else:
            plan.unchanged += 1
    if problems:
        order = sorted(problems, key=lambda p: (p.row or 0, len(p.column or ""), p.column or ""))
        raise LedgerInvalid(table.file_name, order)
    return plan


def _facts(values: dict[str, Any], measures: int) -> Facts:
    return Facts(
        state=State.reported,
        actor=Actor("ledger", frozenset()),
        leader=values.get("leader"),
        department=values.get("department"),
        deadline_kind=values.get("deadline_kind"),
        measures_total=measures,
    )


def _diff(
    table: Table,
    row: Row,
    item: Any,
    aspect: tuple[str, str],
    known: _Known,
    number: str,
    numbers_taken: dict[str, int],
    problems: list[Problem],
) -> Change | None:
    """What importing `row` changes on an existing item, or None (with problems) when it may not."""
    col = table.index
    measures = known.measures.get(item.id, {})
    old_state = State(item.state)
    state = row.state or old_state
    if _RANK[state] < _RANK[old_state]:
        hint = _BACKWARD_HINT.get(old_state, "导入只能推进状态")
        problems.append(
            table.problem(
                row.line,
                col("status"),
                f"事项 {item.number} 当前为「{old_state.label}」，台账写的是「{row.status}」：导入不能把状态往回改（{hint}）",
            )
        )
        return None
    changes: dict[str, list[Any]] = {}
    for key, new in row.fields.items():
        old = getattr(item, key)
        if _norm(key, old) != _norm(key, new):
            changes[key] = [old, _norm(key, new)]
    if known.aspects.get(item.aspect_id) != aspect:
        if number in numbers_taken and numbers_taken[number] != item.id:
            problems.append(
                table.problem(row.line, col("aspect"), f"改到这个问题类别后编号 {number} 与另一事项重复")
            )
            return None
        numbers_taken[number] = item.id
        changes["aspect"] = [list(known.aspects.get(item.aspect_id, ("", ""))), list(aspect)]
        changes["number"] = [item.number, number]
    texts: dict[int, str] = {}
    new_measures: list[str] = []
    if row.measures is not None:
        old_list = [measures[s] for s in sorted(measures)]
        if len(row.measures) < len(old_list):
            problems.append(
                table.problem(
                    row.line,
                    col("measures"),
                    f"台账中的整改措施（{len(row.measures)} 项）少于系统中已有的 {len(old_list)} 项：导入不能删除整改措施",
                )
            )
            return None
        seqs = sorted(measures)
        texts = {s: t for s, t in zip(seqs, row.measures, strict=False) if measures[s] != t}
        new_measures = row.measures[len(old_list) :]
        if texts:
            changes["measures"] = [[measures[s] for s in texts], list(texts.values())]
    if state is not old_state:
        merged = {k: getattr(item, k) for k in ("leader", "department", "deadline_kind")} | row.fields
        total = len(row.measures) if row.measures is not None else len(measures)
        reason = plan_complete(_facts(merged, total))
        if reason:
            problems.append(table.problem(row.line, col("status"), f"完成情况为「{row.status}」，但{reason}"))
            return None
    progress = [p for p in row.progress if p[2] not in known.progress.get(item.id, set())]
    evidence = [e for e in row.evidence if e not in known.evidence.get(item.id, set())]
    return Change(
        row, item, changes, state, texts, max(measures, default=0), new_measures, progress, evidence
    )


# --- writing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    batch_id: int
    round: str
    sheet: str
    rows: int
    created: int
    updated: int
    unchanged: int
    people: int
    state_changes: int


def apply(conn: Connection, plan: Plan, now: datetime, *, tick: Tick | None = None) -> Summary:
    """Write the plan in the caller's transaction: rows, keys, audit entries."""
    actor = plan.actor
    target = plan.round
    if target.id is None:
        target.id = conn.execute(ROUND.insert().values(created_at=now, **target.values)).inserted_primary_key[
            0
        ]  # type: ignore[index]
        audit.append(
            conn,
            at=now,
            actor=actor,
            action="round_add",
            payload={"id": target.id, "source": "ledger", **target.values},
        )
    rid = target.id
    for person in plan.people.values():
        values = {**person, "roles": ",".join(sorted(person["roles"]))}
        conn.execute(PERSON.insert().values(**values))
        audit.append(conn, at=now, actor=actor, action="person_add", payload=values)
    positions = dict(
        conn.execute(
            sa.select(ITEM.c.aspect_id, sa.func.max(ITEM.c.position))
            .where(ITEM.c.round_id == rid)
            .group_by(ITEM.c.aspect_id)
        ).all()
    )
    next_aspect = (
        conn.execute(sa.select(sa.func.max(ASPECT.c.position)).where(ASPECT.c.round_id == rid)).scalar() or -1
    ) + 1
    for key, aspect_id in list(plan.aspects.items()):
        if aspect_id is None:
            number, title = key
            values = {"round_id": rid, "number": number, "title": title, "position": next_aspect}
            plan.aspects[key] = conn.execute(ASPECT.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
            audit.append(
                conn, at=now, actor=actor, action="aspect_add", payload={"id": plan.aspects[key], **values}
            )
            next_aspect += 1
    batch_id = conn.execute(
        LEDGER_BATCH.insert().values(
            round_id=rid,
            file_name=plan.table.file_name,
            sha256=plan.table.sha256,
            sheet=plan.table.sheet,
            rows=len(plan.creates) + len(plan.updates) + plan.unchanged,
            created=len(plan.creates),
            updated=len(plan.updates),
            unchanged=plan.unchanged,
            actor=actor,
            created_at=now,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    source = {"batch": batch_id, "file": plan.table.file_name, "sheet": plan.table.sheet}
    if plan.adopted:
        conn.execute(
            LEDGER_KEY.insert(),
            [
                {"item_id": i, "round_id": rid, "ledger_no": no, "batch_id": batch_id}
                for i, no in plan.adopted
            ],
        )
    moved = _create(conn, plan, rid, batch_id, positions, now, source, tick)
    moved += _update(conn, plan, now, source, tick)
    summary = Summary(
        batch_id,
        target.name,
        plan.table.sheet,
        len(plan.creates) + len(plan.updates) + plan.unchanged,
        len(plan.creates),
        len(plan.updates),
        plan.unchanged,
        len(plan.people),
        moved,
    )
    audit.append(
        conn,
        at=now,
        actor=actor,
        action="ledger_batch",
        payload={
            **source,
            "sha256": plan.table.sha256,
            "round_id": rid,
            "adopted": [list(a) for a in plan.adopted],
            **summary.__dict__,
        },
    )
    return summary


def _evidence_rows(
    item_id: int, evidence: list[tuple[str, str]], actor: str, now: datetime
) -> list[dict[str, Any]]:
    out = []
    for kind, ref in evidence:
        # The same record shape attach_evidence hashes, so a sign-off can cite it the same way.
        record = {
            "kind": kind,
            "ref": ref,
            "file_sha256": None,
            "file_name": None,
            "size": None,
            "note": None,
            "actor": actor,
            "at": now.isoformat(),
            "item_id": item_id,
        }
        digest = hashlib.sha256(audit.canonical_json(record).encode()).hexdigest()
        out.append(
            {**{k: record[k] for k in ("item_id", "kind", "ref", "actor")}, "created_at": now, "hash": digest}
        )
    return out


def _progress_rows(
    item_id: int, progress: list[tuple[date, str | None, str]], actor: str, now: datetime
) -> list[dict[str, Any]]:
    return [
        {"item_id": item_id, "on": on, "when_text": when, "text": text, "actor": actor, "created_at": now}
        for on, when, text in progress
    ]


def _create(
    conn: Connection,
    plan: Plan,
    rid: int,
    batch_id: int,
    positions: dict[int, int],
    now: datetime,
    source: dict[str, Any],
    tick: Tick | None,
) -> int:
    if not plan.creates:
        return 0
    rows = []
    for row, number, aspect in plan.creates:
        aspect_id = plan.aspects[aspect]
        assert aspect_id is not None
        positions[aspect_id] = positions.get(aspect_id, -1) + 1
        state = row.state or State.reported
        values = {
            "round_id": rid,
            "aspect_id": aspect_id,
            "number": number,
            "position": positions[aspect_id],
            **dict.fromkeys(TEXT_FIELDS, ""),
            **dict.fromkeys(("leader", "department", "handler", "deadline_kind", "deadline")),
            **{k: _norm(k, v) for k, v in row.fields.items()},
            "state": state.value,
            "version": 1,
            "closed_at": now if state in (State.closed, State.revisited) else None,
            "created_at": now,
            "updated_at": now,
        }
        rows.append(values)
    # One INSERT for all items; RETURNING in parameter order pairs each id with its row.
    ids = [
        r[0]
        for r in conn.execute(ITEM.insert().returning(ITEM.c.id, sort_by_parameter_order=True), rows).all()
    ]
    measures, progress, evidence, keys = [], [], [], []
    for item_id, (row, _number, _aspect) in zip(ids, plan.creates, strict=True):
        measures += [{"item_id": item_id, "seq": n, "text": t} for n, t in enumerate(row.measures or [], 1)]
        progress += _progress_rows(item_id, row.progress, plan.actor, now)
        evidence += _evidence_rows(item_id, row.evidence, plan.actor, now)
        keys.append({"item_id": item_id, "round_id": rid, "ledger_no": row.no, "batch_id": batch_id})
    for table, batch in (
        (MEASURE, measures),
        (PROGRESS, progress),
        (EVIDENCE, evidence),
        (LEDGER_KEY, keys),
    ):
        if batch:
            conn.execute(table.insert(), batch)
    moved = 0
    for n, (item_id, values, (row, _number, _aspect)) in enumerate(
        zip(ids, rows, plan.creates, strict=True), 1
    ):
        payload = {
            **source,
            "ledger_no": row.no,
            "row": row.line,
            **{
                k: v
                for k, v in values.items()
                if k not in ("created_at", "updated_at", "closed_at", "version")
            },
            "measures": row.measures or [],
            "progress": [list(p) for p in row.progress],
            "evidence": [list(e) for e in row.evidence],
            "status": row.status,
        }
        audit.append(
            conn,
            at=now,
            actor=plan.actor,
            action="ledger_import",
            item_id=item_id,
            to_state=values["state"],
            payload=payload,
        )
        moved += values["state"] != State.reported.value
        if tick is not None and n % TICK_EVERY == 0:
            tick(TICK_EVERY)
    if tick is not None:
        tick(len(ids) % TICK_EVERY)
    return moved


def _update(conn: Connection, plan: Plan, now: datetime, source: dict[str, Any], tick: Tick | None) -> int:
    moved = 0
    for n, c in enumerate(plan.updates, 1):
        item = c.item
        if "aspect" in c.changes:  # the aspect may be new: its id is known only now
            number, title = c.changes["aspect"][1]
            c.changes["aspect_id"] = [item.aspect_id, plan.aspects[(number, title)]]
        values = {k: new for k, (_old, new) in c.changes.items() if k in ITEM.c}
        if c.state.value != item.state:
            values["state"] = c.state.value
            if c.state in (State.closed, State.revisited) and item.closed_at is None:
                values["closed_at"] = now
        done = conn.execute(
            ITEM.update()
            .where(ITEM.c.id == item.id, ITEM.c.version == item.version)
            .values(version=item.version + 1, updated_at=now, **values)
        )
        if done.rowcount != 1:
            raise Conflict(f"事项 {item.id} 在导入过程中被他人改动，请重新导入")
        for seq, text in c.measure_texts.items():
            conn.execute(
                MEASURE.update().where(MEASURE.c.item_id == item.id, MEASURE.c.seq == seq).values(text=text)
            )
        if c.progress:
            conn.execute(PROGRESS.insert(), _progress_rows(item.id, c.progress, plan.actor, now))
        if c.evidence:
            conn.execute(EVIDENCE.insert(), _evidence_rows(item.id, c.evidence, plan.actor, now))
        audit.append(
            conn,
            at=now,
            actor=plan.actor,
            action="ledger_import",
            item_id=item.id,
            from_state=item.state,
            to_state=c.state.value,
            payload={
                **source,
                "ledger_no": c.row.no,
                "row": c.row.line,
                "changes": c.changes,
                "progress": [list(p) for p in c.progress],
                "evidence": [list(e) for e in c.evidence],
                "status": c.row.status,
            },
        )
        # Each added measure gets its own entry, as `item measure-add` would: the measure count as of
        # a date is rebuilt from these.
        for seq, text in enumerate(c.new_measures, c.last_seq + 1):
            conn.execute(MEASURE.insert().values(item_id=item.id, seq=seq, text=text))
            audit.append(
                conn,
                at=now,
                actor=plan.actor,
                action="add_measure",
                item_id=item.id,
                from_state=c.state.value,
                to_state=c.state.value,
                payload={**source, "seq": seq, "text": text},
            )
        moved += c.state.value != item.state
        if tick is not None and n % TICK_EVERY == 0:
            tick(TICK_EVERY)
    if tick is not None:
        tick(len(plan.updates) % TICK_EVERY)
    return moved
