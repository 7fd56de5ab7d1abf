"""The board as one self-contained HTML page: inline CSS and script (from `assets/`), the data embedded
as JSON, no external request; a chart of open / closed / overdue items over time and a bar per
department."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from typing import Any

from states.colours import Colour
from workflow.escape import json_for_html


@cache
def _asset(name: str) -> str:
    return resources.files("workflow.reports").joinpath("assets", name).read_text(encoding="utf-8")


def page(board: dict[str, Any], assets: str | None = None) -> str:
    """One self-contained HTML page: inline CSS and script, data embedded as JSON, no external request.
    With `assets` (the web server's folder of `assets/`), the CSS and script are linked from there
    instead, so that the page runs under a policy that allows no inline script."""
    e = html.escape
    if assets is None:
        policy = """<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">"""
        style, script = f"<style>{_asset('board.css')}</style>", f"<script>{_asset('board.js')}</script>"
        back = ""
    else:  # the web server's own policy header applies; a way back to the other pages
        policy, back = "", '<p class="sub"><a href="/">← 返回我的待办</a></p>'
        style = f'<link rel="stylesheet" href="{e(assets)}/board.css">'
        script = f'<script src="{e(assets)}/board.js"></script>'

    dl, lights, group_rows, attention_html = _totals(board), _lights(board), _groups(board), _attention(board)
    payload = json_for_html(board)
    rounds = "、".join(board["rounds"]) or "无巡察轮次"
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
{policy}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>挂图作战 · {e(rounds)} · 截至 {board["as_of"]}</title>
{style}
</head>
<body>
{back}
<h1>巡察整改挂图作战</h1>
<div class="sub">{e(rounds)} · 截至 {board["as_of"]}</div>
<dl class="totals" id="totals">{dl}</dl>
<div class="legend" id="lights-legend">{_legend(board)}</div>
<h2>整改进度（据审计记录逐日还原）</h2>
<div class="legend"><span style="color:#2f6fca">■ 未完成</span><span style="color:#2e9d57">■ 已完成</span><span style="color:#d33c3c">■ 逾期</span></div>
<svg id="timeline" width="900" height="300" role="img" aria-label="未完成、已完成、逾期事项随时间变化"></svg>
<h2>各责任部门</h2>
<div class="legend"><span style="color:#2e9d57">■ 已完成</span><span style="color:#d33c3c">■ 逾期</span><span style="color:#2f6fca">■ 正在整改</span></div>
<svg id="departments" width="900" role="img" aria-label="各责任部门完成情况"></svg>
{_units(board)}<h2>按责任部门和责任领导</h2>
<table id="groups"><thead><tr><th>责任部门</th><th>责任领导</th><th>问题</th><th>已完成</th><th>完成率</th>{lights}</tr></thead>
<tbody>{group_rows}</tbody></table>
{attention_html}
<script type="application/json" id="board-data">{payload}</script>
{script}
</body>
</html>
"""


def _totals(board: dict[str, Any]) -> str:
    t = board["totals"]
    totals = [
        ("problems", "问题总数"),
        ("completed", "已完成"),
        ("open", "未完成"),
        ("overdue", "逾期"),
        ("completion_rate", "完成率"),
        *((c.value, c.label) for c in Colour),
    ]
    e = html.escape
    # The categories the office marked (基本完成, 未完成, 长期坚持), when there are any.
    marked = [c for c in t["categories"] if c["key"] not in ("completed", "in_progress")]
    return "".join(
        f'<div><dt>{label}</dt><dd data-key="{key}">{e(str(t[key]))}</dd></div>' for key, label in totals
    ) + "".join(
        f'<div><dt>{e(c["label"])}</dt><dd data-key="category-{c["key"]}">{c["n"]}</dd></div>' for c in marked
    )


def _lights(board: dict[str, Any]) -> str:
    meant = board.get("legend", {})
    return "".join(
        f'<th title="{html.escape(meant.get(c.value, ""))}"><span class="dot {c.value}"></span>{c.label}</th>'
        for c in Colour
    )


def _legend(board: dict[str, Any]) -> str:
    """What each colour means under the office's scheme ([lights.colours]); unused colours left out."""
    meant = board.get("legend", {})
    return "".join(
        f'<span data-colour="{c.value}"><span class="dot {c.value}"></span>{c.label}：{html.escape(meant[c.value])}</span>'
        for c in Colour
        if meant.get(c.value)
    )


def _groups(board: dict[str, Any]) -> str:
    e = html.escape
    return "".join(
        "<tr>"
        f"<td>{e(g['department'])}</td><td>{e(g['leader'])}</td>"
        f'<td class="n">{g["total"]}</td><td class="n">{g["completed"]}</td><td class="n">{g["rate"]}</td>'
        + "".join(f'<td class="n" data-colour="{c.value}">{g[c.value]}</td>' for c in Colour)
        + "</tr>"
        for g in board["groups"]
    )


def _units(board: dict[str, Any]) -> str:
    """A row per inspected unit, the slowest first; nothing when the board covers one unit."""
    if "units" not in board:
        return ""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(u['unit'])}</td>"
        f'<td class="n">{u["total"]}</td><td class="n">{u["completed"]}</td><td class="n">{u["overdue"]}</td>'
        f'<td class="n">{u["rate"]}</td>'
        + "".join(f'<td class="n" data-colour="{c.value}">{u[c.value]}</td>' for c in Colour)
        + "</tr>"
        for u in board["units"]
    )
    return (
        '<h2>各被巡察单位（完成率由低到高）</h2><table id="units"><thead><tr><th>被巡察单位</th><th>问题</th>'
        f"<th>已完成</th><th>逾期</th><th>完成率</th>{_lights(board)}</tr></thead><tbody>{rows}</tbody></table>\n"
    )


def _attention(board: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f'<tr data-colour="{a["colour"]}"><td><span class="dot {a["colour"]}"></span>{Colour(a["colour"]).label}</td>'
        f"<td>{e(a['number'])}</td><td>{e(a['title'])}</td><td>{e(a['department'] or '')}</td>"
        f"<td>{e(a['leader'] or '')}</td><td>{e(a['deadline'])}</td><td>{e(a['state'])}</td></tr>"
        for a in board["attention"]
    )
    if not rows:
        return ""
    return (
        f"<h2>需要督办（{board['attention_total']} 项）</h2><table><thead><tr><th>亮灯</th><th>编号</th><th>问题</th>"
        f"<th>责任部门</th><th>责任领导</th><th>完成时限</th><th>状态</th></tr></thead><tbody>{rows}</tbody></table>"
    )
