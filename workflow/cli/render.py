"""One place that turns results into output: aligned tables for people (CJK-aware), JSON for scripts,
and the text of an item, an action's outcome, a sign-off sheet and the board."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from states.categories import LABELS, Category
from states.colours import Colour
from states.lifecycle import BY_ACTION


def width(text: str) -> int:
    """Terminal columns: CJK characters and full-width punctuation take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    return str(value).replace("\n", " ")


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], max_width: int = 40) -> str:
    """Rows as an aligned table; `columns` are (key, header) pairs. Long cells are cut with '…'."""
    cells = [[_cell(r.get(k)) for k, _ in columns] for r in rows]
    cells = [[c if width(c) <= max_width else _cut(c, max_width) for c in line] for line in cells]
    headers = [h for _, h in columns]
    widths = [max([width(h)] + [width(line[i]) for line in cells]) for i, h in enumerate(headers)]

    def fmt(line: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(line, widths, strict=True)).rstrip()

    out = [fmt(headers), fmt(["-" * w for w in widths])]
    out.extend(fmt(line) for line in cells)
    return "\n".join(out)


def _cut(text: str, limit: int) -> str:
    out, used = "", 0
    for c in text:
        w = width(c)
        if used + w > limit - 1:
            break
        out, used = out + c, used + w
    return out + "…"


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


# --- items --------------------------------------------------------------------------------------------

ITEM_COLUMNS = [
    ("light", "亮灯"),
    ("id", "ID"),
    ("number", "编号"),
    ("title", "问题"),
    ("state_label", "状态"),
    ("leader", "责任领导"),
    ("department", "责任部门"),
    ("deadline", "完成时限"),
    ("overdue", "逾期"),
]


def item_rows(rows: list[dict[str, Any]]) -> str:
    from states.colours import Colour

    return table([{**r, "light": Colour(r["colour"]).label} for r in rows], ITEM_COLUMNS)


def item_text(d: dict[str, Any], labels: dict[Category, str] = LABELS) -> str:
    marked = "（整改办认定）" if d["category_marked"] else ""
    lines = [
        f"事项 {d['id']}  {d['number']}  {d['title']}",
        f"状态：{d['state_label']}（{d['state']}，版本 {d['version']}）  {_light(d['colour'])}"
        + ("  【已逾期】" if d["overdue"] else ""),
        *([_baseline_line(d["baseline"])] if d.get("baseline") else []),
        f"方面：{d['aspect']}",
        f"责任领导：{d['leader'] or '—'}  责任部门：{d['department'] or '—'}  责任人：{d['handler'] or '—'}"
        + (f"  配合单位：{d['cooperating']}" if d["cooperating"] else ""),
        f"完成时限：{d['deadline'] or '—'}"
        + (f"（原定 {d['original_deadline']}）" if d["original_deadline"] else ""),
        f"完成类别：{labels[Category(d['category'])]}{marked}",
    ]
    if d["description"]:
        lines.append(f"问题描述：{d['description']}")
    if d["instance"]:
        lines.append(f"典型表现：{d['instance']}")
    lines.append("整改措施：")
    lines += [
        f"  ({m['seq']}) {m['text']}" + (f"  ✓ {m['done_on']}" if m["done_on"] else "  — 未完成")
        for m in d["measures"]
    ] or ["  （无）"]
    if d["progress"]:
        lines.append("整改进展：")
        lines += [f"  {p['when'] or p['on']}  {p['text']}" for p in d["progress"]]
    if d["evidence"]:
        lines.append("佐证材料：")
        lines += [
            f"  [{e['id']}] {e['kind']} {e['ref'] or ''} {e['file'] or ''}  sha256:{e['hash'][:12]}…"
            for e in d["evidence"]
        ]
    if d["summary"]:
        lines.append(f"整改完成情况：{d['summary']}")
    if "available" in d:
        lines.append(f"{d['actor']} 现在可以：" + ("、".join(d["available"]) or "（无）"))
        lines += [f"  不可 {name}：{why}" for name, why in d["blocked"].items()]
    else:
        lines.append("（用 --as NAME 查看可执行的操作）")
    lines.append("历史：")
    lines += [
        f"  #{h['seq']} {h['at']} {h['actor']} {h['action']}"
        + (f" {h['from'] or ''}→{h['to']}" if h["from"] != h["to"] else "")
        + (f"  {h['note']}" if h.get("note") else "")
        + (f"  理由：{h['reason']}" if h["reason"] else "")
        + (f"  （补录，记录于 {h['recorded_at']}）" if h.get("back_dated") else "")
        for h in d["history"]
    ]
    return "\n".join(lines)


def _baseline_line(b: dict[str, Any]) -> str:
    return (
        f"台账基线：{b['phrase']}。担保人：{b['vouched_by']}（{b['at']} 导入 {b['file']}「{b['sheet']}」"
        f"第{b['row']}行，序号 {b['ledger_no']}，导入批次 {b['batch']}，台账原文「{b['status']}」，"
        f"审计 #{b['entry']['seq']}）"
    )


def _light(value: str) -> str:
    return Colour(value).label


def outcome_text(o: Any) -> str:
    """One line for what an action did: the move, or the action with the state it kept."""
    if o.from_state != o.to_state:
        move = f"{o.from_state.label} → {o.to_state.label}"
    else:
        move = f"{BY_ACTION[o.entry.action].label}，仍为{o.to_state.label}"
    return f"事项 {o.item_id}（{o.number}）：{move}（版本 {o.version}，审计 #{o.entry.seq}）"


def signoff_text(s: dict[str, Any]) -> str:
    if s.get("basis") == "ledger_baseline":
        return _baseline_signoff_text(s)
    ok = _log_agrees(s)
    lines = [
        "销号单",
        f"事项：{s['item_id']}  {s['number']}  {s['title']}",
        f"责任领导：{s['leader'] or '—'}  责任部门：{s['department'] or '—'}  责任人：{s['handler'] or '—'}",
        f"提请人：{s['submitted_by'] or '—'}",
        f"整改完成情况：{s['summary'] or '—'}",
        f"销号人：{s['approved_by']}  时间：{s['approved_at']}",
        "佐证材料：",
    ]
    lines += [
        f"  [{e['id']}] {e['kind']} {e['ref'] or ''}  sha256:{e['hash']}"
        + ("" if e["matches_record"] else "  （与现存记录不符！）")
        for e in s["evidence"]
    ]
    lines += [
        f"销号时链头：#{s['chain_head_before']['seq']} {s['chain_head_before']['hash']}",
        f"销号条目：#{s['entry']['seq']} {s['entry']['hash']}（与日志{ok}）",
        f"核验：zhenggai audit verify --head {s['entry']['seq']}:{s['entry']['hash']}",
    ]
    return "\n".join(lines)


def _log_agrees(s: dict[str, Any]) -> str:
    return "一致，日志至此完好" if s["entry_matches_log"] else f"不一致！{s.get('log_problem') or ''}"


def _baseline_signoff_text(s: dict[str, Any]) -> str:
    """An item closed by its ledger baseline: nobody signed it off, and the sheet says so first."""
    b = s["baseline"]
    ok = _log_agrees(s)
    lines = [
        "销号单（台账导入基线，非销号审核）",
        f"事项：{s['item_id']}  {s['number']}  {s['title']}",
        f"责任领导：{s['leader'] or '—'}  责任部门：{s['department'] or '—'}  责任人：{s['handler'] or '—'}",
        f"销号依据：{b['phrase']}",
        f"台账原文：「{b['status']}」（{b['file']}「{b['sheet']}」第{b['row']}行，序号 {b['ledger_no']}，"
        f"导入批次 {b['batch']}）",
        f"担保人：{s['vouched_by']}（导入台账的人）  时间：{b['at']}",
        "提请人、销号人：无（系统内没有提请销号和销号审核记录）",
        "佐证材料（台账所列）：",
    ]
    lines += [
        f"  {e['kind']} {e['ref']}"
        + (f"  sha256:{e['hash']}" if e["hash"] else "")
        + ("" if e["matches_record"] is not False else "  （与现存记录不符！）")
        for e in s["evidence"]
    ] or ["  （无）"]
    lines += [
        f"导入时链头：#{s['chain_head_before']['seq']} {s['chain_head_before']['hash']}",
        f"基线条目：#{s['entry']['seq']} {s['entry']['hash']}（与日志{ok}）",
        f"核验：zhenggai audit verify --head {s['entry']['seq']}:{s['entry']['hash']}",
    ]
    return "\n".join(lines)


# --- the board ----------------------------------------------------------------------------------------


def _board_counts(t: dict[str, Any]) -> str:
    """已完成 and 未完成 (open), or every category shown when the office marked any (基本完成 …)."""
    shown = t["categories"]
    if {c["key"] for c in shown} <= {"completed", "in_progress"}:
        return f"已完成 {t['completed']}，未完成 {t['open']}"
    return "，".join(f"{c['label']} {c['n']}" for c in shown)


def board_text(board: dict[str, Any]) -> str:
    t = board["totals"]
    if t["problems"] == 0:  # before any problem was recorded: no figures, no empty table
        rounds = "、".join(board["rounds"]) or "无巡察轮次"
        return f"挂图作战（截至 {board['as_of']}，{rounds}）\n截至该日尚无巡察反馈问题的记录。"
    lines = [
        f"挂图作战（截至 {board['as_of']}，{'、'.join(board['rounds']) or '无巡察轮次'}）",
        f"问题 {t['problems']} 个：{_board_counts(t)}，逾期 {t['overdue']}，"
        f"完成率 {t['completion_rate']}　" + "　".join(f"{c.symbol}{c.label} {t[c.value]}" for c in Colour),
        "",
    ]
    columns = [
        ("department", "责任部门"),
        ("leader", "责任领导"),
        ("total", "问题"),
        ("completed", "已完成"),
        ("rate", "完成率"),
        *((c.value, f"{c.symbol}{c.label}") for c in Colour),
    ]
    if "units" in board:
        unit_columns = [
            ("unit", "被巡察单位"),
            *columns[2:4],
            ("open", "正在整改"),
            ("overdue", "逾期"),
            *columns[4:],
        ]
        lines += ["按被巡察单位（完成率由低到高）：", table(board["units"], unit_columns), ""]
    meant = board.get("legend", {})
    lines.append(
        "亮灯：" + "　".join(f"{c.symbol}{c.label} {meant[c.value]}" for c in Colour if meant.get(c.value))
    )
    lines.append(table(board["groups"], columns))
    if board["attention"]:
        lines += ["", f"需要督办（{board['attention_total']} 项）："]
        rows = [
            {**a, "light": Colour(a["colour"]).symbol + Colour(a["colour"]).label} for a in board["attention"]
        ]
        cols = [
            ("light", "亮灯"),
            ("id", "ID"),
            ("number", "编号"),
            ("title", "问题"),
            ("department", "责任部门"),
            ("leader", "责任领导"),
            ("deadline", "完成时限"),
            ("state", "状态"),
        ]
        lines.append(table(rows, cols))
    return "\n".join(lines)
