"""The board (挂图作战): counts by department and leader with the warning lights, in the terminal or as
one self-contained HTML page with a chart of open / closed / overdue items over time (rebuilt from the
audit trail) and a bar per department. The page loads nothing from the network.
"""

from __future__ import annotations

import html
import json
import math
from bisect import bisect_left
from collections import Counter
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.colours import Colour
from states.lifecycle import OPEN_STATES
from workflow import clock, snapshot
from workflow.models import AUDIT, ITEM, ROUND
from workflow.queries import format_rate

MAX_POINTS = 200  # timeline samples: daily for up to half a year, coarser for longer
ATTENTION_LIMIT = 50


def data(
    conn: Connection, day: date, *, round_id: int | None = None, yellow_days: int = 10, precision: int = 0
) -> dict[str, Any]:
    """Everything the board shows, as of `day`: totals, groups, the items needing attention, the timeline."""
    snap = snapshot.take(conn, day, round_id)
    lights = {i.id: i.colour(day, yellow_days) for i in snap.items}
    groups: dict[tuple[str, str], Counter[str]] = {}
    departments: dict[str, Counter[str]] = {}
    for i in snap.items:
        key = (i.department or "（未指定）", i.leader or "（未指定）")
        for counter in (groups.setdefault(key, Counter()), departments.setdefault(key[0], Counter())):
            counter["total"] += 1
            counter["completed"] += i.completed
            counter["overdue"] += i.overdue(day)
            counter[lights[i.id].value] += 1
    completed = sum(i.completed for i in snap.items)
    attention = sorted(
        (i for i in snap.items if lights[i.id] in (Colour.red, Colour.yellow) and not i.completed),
        key=lambda i: (lights[i.id] is not Colour.red, i.deadline or date.max, i.number),
    )
    names = sa.select(ROUND.c.name).order_by(ROUND.c.id)
    rounds = conn.execute(names if round_id is None else names.where(ROUND.c.id == round_id)).scalars().all()
    return {
        "as_of": day.isoformat(),
        "rounds": list(rounds),
        "totals": {
            "problems": len(snap.items),
            "completed": completed,
            "open": len(snap.items) - completed,
            "overdue": sum(i.overdue(day) for i in snap.items),
            "completion_rate": format_rate(completed, len(snap.items), precision),
            **{c.value: sum(light is c for light in lights.values()) for c in Colour},
        },
        "groups": [
            {"department": d, "leader": leader, **_counts(c, precision)}
            for (d, leader), c in sorted(groups.items())
        ],
        "departments": [{"department": d, **_counts(c, precision)} for d, c in sorted(departments.items())],
        "attention": [
            {
                "id": i.id,
                "number": i.number,
                "title": i.title,
                "department": i.department,
                "leader": i.leader,
                "deadline": i.deadline.isoformat() if i.deadline else "",
                "state": i.state.label,
                "colour": lights[i.id].value,
            }
            for i in attention[:ATTENTION_LIMIT]
        ],
        "attention_total": len(attention),
        "timeline": timeline(conn, day, round_id),
    }


def _counts(c: Counter[str], precision: int) -> dict[str, Any]:
    return {
        "total": c["total"],
        "completed": c["completed"],
        "open": c["total"] - c["completed"],
        "overdue": c["overdue"],
        "rate": format_rate(c["completed"], c["total"], precision),
        **{colour.value: c[colour.value] for colour in Colour},
    }


def timeline(conn: Connection, day: date, round_id: int | None = None) -> list[dict[str, Any]]:
    """Open, closed and overdue items at the end of each sampled day, replaying the audit trail once.

    The state at each sample is the latest entry (highest seq) made by then, as in `snapshot`; an
    open item is overdue once its deadline (as it stood then, extensions included) has passed."""
    cut = snapshot.cutoff(day)
    # Only entries that open, close or reopen an item move the lines; moves between open states
    # (assign, start, submit) or between closed ones leave every count as it was.
    open_values = [s.value for s in OPEN_STATES]
    was_open, now_open = AUDIT.c.from_state.in_(open_values), AUDIT.c.to_state.in_(open_values)
    q = (
        sa.select(AUDIT.c.at, AUDIT.c.seq, AUDIT.c.item_id, AUDIT.c.to_state)
        .where(
            AUDIT.c.at < cut,
            AUDIT.c.item_id.is_not(None),
            AUDIT.c.to_state.is_not(None),
            sa.or_(AUDIT.c.from_state.is_(None), sa.and_(was_open, ~now_open), sa.and_(~was_open, now_open)),
        )
        .order_by(AUDIT.c.at, AUDIT.c.seq)
    )
    deadlines_now = sa.select(ITEM.c.id, ITEM.c.deadline_kind, ITEM.c.deadline)
    if round_id is not None:
        deadlines_now = deadlines_now.where(ITEM.c.round_id == round_id)
    # The deadline at creation is the first old value of any later change, else today's value.
    current = {r.id: (r.deadline_kind, r.deadline) for r in conn.execute(deadlines_now)}
    # The round is filtered in Python, as in snapshot.field_changes, to keep SQLite on the `at` index.
    moves = [(at, seq, item, ("state", to)) for at, seq, item, to in conn.execute(q) if item in current]
    if not moves:
        return []
    first: dict[int, dict[str, Any]] = {}
    for at, seq, item, key, old, new in snapshot.field_changes(conn, round_id, at_to=cut):
        if key in ("deadline", "deadline_kind"):
            first.setdefault(item, {}).setdefault(key, old)
            moves.append((at, seq, item, (key, new)))
    moves.sort(key=lambda m: (m[0], m[1]))
    deadline = {
        i: (first.get(i, {}).get("deadline_kind", kind), first.get(i, {}).get("deadline", dl))
        for i, (kind, dl) in current.items()
    }
    start = clock.from_text(moves[0][0]).astimezone(clock.LOCAL).date()
    span = (day - start).days
    step = max(1, math.ceil((span + 1) / MAX_POINTS))
    samples = [day - timedelta(days=k) for k in range(0, span + 1, step)][::-1]
    state: dict[int, tuple[int, str]] = {}
    open_deadlines: Counter[date] = Counter()  # open items with a date deadline, by deadline
    open_states = {s.value for s in OPEN_STATES}

    def contribution(item: int, sign: int) -> None:
        entry = state.get(item)
        kind, dl = deadline.get(item, (None, None))
        if entry is not None and entry[1] in open_states and kind == "date" and dl is not None:
            open_deadlines[dl] += sign

    points = []
    counts: Counter[str] = Counter()
    k = 0
    for sample in samples:
        until = snapshot.cutoff(sample)
        while k < len(moves) and moves[k][0] < until:
            _at, seq, item, (key, value) = moves[k]
            k += 1
            contribution(item, -1)
            if key == "state":
                old = state.get(item)
                if old is None or seq > old[0]:
                    if old is not None:
                        counts["open" if old[1] in open_states else "closed"] -= 1
                    state[item] = (seq, value)
                    counts["open" if value in open_states else "closed"] += 1
            else:
                kind, dl = deadline.get(item, (None, None))
                deadline[item] = (value, dl) if key == "deadline_kind" else (kind, value)
            contribution(item, +1)
        days = sorted(open_deadlines)
        prefix = list(accumulate(open_deadlines[d] for d in days))
        late = bisect_left(days, sample)
        points.append(
            {
                "date": sample.isoformat(),
                "open": counts["open"],
                "closed": counts["closed"],
                "overdue": prefix[late - 1] if late else 0,
            }
        )
    return points


# --- the terminal -----------------------------------------------------------------------------------------


def text(board: dict[str, Any]) -> str:
    from workflow import render

    t = board["totals"]
    lines = [
        f"挂图作战（截至 {board['as_of']}，{'、'.join(board['rounds']) or '无巡察轮次'}）",
        f"问题 {t['problems']} 个：已完成 {t['completed']}，未完成 {t['open']}，逾期 {t['overdue']}，"
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
    lines.append(render.table(board["groups"], columns))
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
        lines.append(render.table(rows, cols))
    return "\n".join(lines)


# --- the page ------------------------------------------------------------------------------------------------

_CSS = """
:root { --green:#2e9d57; --yellow:#d9a400; --red:#d33c3c; --blue:#2f6fca; --ink:#222; --muted:#666; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: var(--ink);
       margin: 24px; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.sub { color: var(--muted); margin-bottom: 16px; }
.totals { display: flex; flex-wrap: wrap; gap: 12px; margin: 0; }
.totals div { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 96px; }
.totals dt { color: var(--muted); font-size: 13px; } .totals dd { margin: 0; font-size: 24px; font-weight: 600; }
table { border-collapse: collapse; background: #fff; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; } th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
.green { background: var(--green); } .yellow { background: var(--yellow); }
.red { background: var(--red); } .blue { background: var(--blue); }
svg { background: #fff; border: 1px solid #ddd; border-radius: 6px; }
svg text { font-size: 12px; fill: var(--muted); }
.legend span { margin-right: 14px; font-size: 13px; }
@media print { body { margin: 0; background: #fff; } }
"""

# Draws both charts from the embedded JSON; marks <body data-rendered> when done so a headless browser
# (and the test) can tell the page has drawn.
_JS = r"""
(function () {
  const data = JSON.parse(document.getElementById("board-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const colours = { open: "#2f6fca", closed: "#2e9d57", overdue: "#d33c3c" };
  function el(name, attrs, parent, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function timeline() {
    const svg = document.getElementById("timeline");
    const pts = data.timeline;
    const W = 900, H = 300, L = 48, R = 16, T = 16, B = 40;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    if (!pts.length) { el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, svg, "暂无数据"); return; }
    const max = Math.max(1, ...pts.map(p => Math.max(p.open, p.closed, p.overdue)));
    const x = i => L + (pts.length === 1 ? 0 : i * (W - L - R) / (pts.length - 1));
    const y = v => H - B - v * (H - T - B) / max;
    for (let k = 0; k <= 4; k++) {
      const v = Math.round(max * k / 4);
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#eee" }, svg);
      el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, svg, String(v));
    }
    const ticks = Math.min(pts.length, 8);
    for (let k = 0; k < ticks; k++) {
      const i = Math.round(k * (pts.length - 1) / Math.max(1, ticks - 1));
      el("text", { x: x(i), y: H - B + 18, "text-anchor": "middle" }, svg, pts[i].date.slice(5));
    }
    for (const series of ["open", "closed", "overdue"]) {
      const d = pts.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[series]).toFixed(1)}`).join("");
      const last = pts[pts.length - 1];
      el("path", { d, fill: "none", stroke: colours[series], "stroke-width": 2.5,
                   "data-series": series, "data-last": last[series] }, svg);
    }
  }
  function bars() {
    const svg = document.getElementById("departments");
    const rows = data.departments;
    const W = 900, row = 28, L = 190, R = 60, T = 10;
    const H = T * 2 + Math.max(1, rows.length) * row;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("height", H);
    const max = Math.max(1, ...rows.map(r => r.total));
    rows.forEach((r, k) => {
      const top = T + k * row, unit = (W - L - R) / max;
      el("text", { x: L - 8, y: top + 18, "text-anchor": "end" }, svg, r.department);
      let left = L;
      for (const [part, colour] of [["completed", colours.closed], ["late", colours.overdue], ["rest", colours.open]]) {
        const value = part === "completed" ? r.completed : part === "late" ? r.overdue : r.open - r.overdue;
        if (value > 0) {
          el("rect", { x: left, y: top + 4, width: value * unit, height: row - 8, fill: colour,
                       "data-department": r.department, "data-part": part, "data-value": value }, svg);
          left += value * unit;
        }
      }
      el("text", { x: left + 6, y: top + 18 }, svg, `${r.completed}/${r.total}`);
    });
  }
  timeline();
  bars();
  document.body.dataset.rendered = "1";
})();
"""


def page(board: dict[str, Any]) -> str:
    """One self-contained HTML page: inline CSS and script, data embedded as JSON, no external request."""
    e = html.escape
    t = board["totals"]
    totals = [
        ("problems", "问题总数"),
        ("completed", "已完成"),
        ("open", "未完成"),
        ("overdue", "逾期"),
        ("completion_rate", "完成率"),
        *((c.value, c.label) for c in Colour),
    ]
    dl = "".join(
        f'<div><dt>{label}</dt><dd data-key="{key}">{e(str(t[key]))}</dd></div>' for key, label in totals
    )
    lights = "".join(f'<th><span class="dot {c.value}"></span>{c.label}</th>' for c in Colour)
    group_rows = "".join(
        "<tr>"
        f"<td>{e(g['department'])}</td><td>{e(g['leader'])}</td>"
        f'<td class="n">{g["total"]}</td><td class="n">{g["completed"]}</td><td class="n">{g["rate"]}</td>'
        + "".join(f'<td class="n" data-colour="{c.value}">{g[c.value]}</td>' for c in Colour)
        + "</tr>"
        for g in board["groups"]
    )
    attention = "".join(
        f'<tr data-colour="{a["colour"]}"><td><span class="dot {a["colour"]}"></span>{Colour(a["colour"]).label}</td>'
        f"<td>{e(a['number'])}</td><td>{e(a['title'])}</td><td>{e(a['department'] or '')}</td>"
        f"<td>{e(a['leader'] or '')}</td><td>{e(a['deadline'])}</td><td>{e(a['state'])}</td></tr>"
        for a in board["attention"]
    )
    attention_html = (
        f"<h2>需要督办（{board['attention_total']} 项）</h2><table><thead><tr><th>亮灯</th><th>编号</th><th>问题</th>"
        f"<th>责任部门</th><th>责任领导</th><th>完成时限</th><th>状态</th></tr></thead><tbody>{attention}</tbody></table>"
        if attention
        else ""
    )
    # "</" inside the JSON would end the script element early.
    payload = json.dumps(board, ensure_ascii=False, default=str).replace("</", "<\\/")
    rounds = "、".join(board["rounds"]) or "无巡察轮次"
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>挂图作战 · {e(rounds)} · 截至 {board["as_of"]}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>巡察整改挂图作战</h1>
<div class="sub">{e(rounds)} · 截至 {board["as_of"]}</div>
<dl class="totals" id="totals">{dl}</dl>
<h2>整改进度（据审计记录逐日还原）</h2>
<div class="legend"><span style="color:#2f6fca">■ 未完成</span><span style="color:#2e9d57">■ 已完成</span><span style="color:#d33c3c">■ 逾期</span></div>
<svg id="timeline" width="900" height="300" role="img" aria-label="未完成、已完成、逾期事项随时间变化"></svg>
<h2>各责任部门</h2>
<div class="legend"><span style="color:#2e9d57">■ 已完成</span><span style="color:#d33c3c">■ 逾期</span><span style="color:#2f6fca">■ 正在整改</span></div>
<svg id="departments" width="900" role="img" aria-label="各责任部门完成情况"></svg>
<h2>按责任部门和责任领导</h2>
<table id="groups"><thead><tr><th>责任部门</th><th>责任领导</th><th>问题</th><th>已完成</th><th>完成率</th>{lights}</tr></thead>
<tbody>{group_rows}</tbody></table>
{attention_html}
<script type="application/json" id="board-data">{payload}</script>
<script>{_JS}</script>
</body>
</html>
"""
