"""Text a person types never becomes structure in a report: headings, HTML, tables and links in the
Markdown of the public report and the weekly bulletin are only ours, checked with a real Markdown
parser (markdown-it-py, CommonMark)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from markdown_it import MarkdownIt

from tests.backends import fresh_url
from tests.conftest import HANDLER, OFFICE, Clock
from workflow import clock, db
from workflow.demo import example_path
from workflow.intake import round_yaml
from workflow.items import actions
from workflow.reports import periodic, public
from workflow.reports.document import Document, to_markdown
from workflow.reports.settings import Settings

HOSTILE = [
    "整改\n\n## 三、伪造章节\n\n1. 伪造条目",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[点我](http://evil.example/x) ![图](http://evil.example/y.png)",
    "| 伪 | 造 |\n|---|---|\n| 表 | 格 |",
    "**粗体** _斜体_ `代码` ~~删除~~ &lt;实体&gt;",
    "> 引用\n- 列表\n+ 列表\n=====",
]


def _plain(text: str) -> str:
    """Harmless text with the same lines: a line break may show (as <br> in a table cell), nothing more."""
    return "\n".join("整改" for line in text.split("\n") if line.strip())


def _shape(markdown: str) -> list[str]:
    """The structure CommonMark makes of the Markdown: every block and inline token but plain text."""
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    out = []
    for token in md.parse(markdown):
        out.append(token.type)
        out += [child.type for child in token.children or [] if child.type != "text"]
    return out


def _text(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def _doc(text: str) -> Document:
    doc = Document()
    doc.title("通报")
    doc.subtitle("（2024年10月）")
    doc.heading("一、标题")
    doc.para(f"整改情况：{text}")
    doc.table(("问题", "进展"), [(text, f"{text}\n第二行")])
    doc.sign("中共太山镇委员会")
    return doc


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_text_gives_the_same_structure_as_a_plain_word(text: str) -> None:
    assert _shape(to_markdown(_doc(text))) == _shape(to_markdown(_doc(_plain(text))))
    shown = _text(to_markdown(_doc(text)))
    for word in ("alert(1)", "伪造章节", "http://evil.example/x", "&lt;实体&gt;"):
        if word in text:
            assert word.replace("&", "&amp;") in shown  # shown as the text it is


def _reports(engine: sa.Engine, tick: Clock, texts: list[str]) -> list[str]:
    with db.unit_of_work(engine) as conn:
        actions.fire(conn, 1, "assign", OFFICE, tick())
        actions.fire(conn, 1, "start", HANDLER, tick())
        for n, text in enumerate(texts):
            actions.add_progress(conn, 1, HANDLER, tick(), on=date(2024, 10, 15 + n), text=text)
    day = date(2024, 10, 25)
    with db.reading(engine) as conn:
        report, _ = public.public(conn, day, Settings())
        weekly, _ = periodic.periodic(conn, "weekly", day, Settings())
    return [to_markdown(report), to_markdown(weekly)]


def test_hostile_progress_leaves_the_public_report_and_the_bulletin_as_with_plain_text(
    seeded: sa.Engine, tick: Clock, tmp_path: Path
) -> None:
    hostile = _reports(seeded, tick, HOSTILE)
    plain_engine = db.make_engine(fresh_url(tmp_path, "plain.db"))
    db.create_schema(plain_engine)
    data = round_yaml.load_file(example_path("taishan.yaml"))
    with db.unit_of_work(plain_engine) as conn:
        round_yaml.import_round(conn, data, OFFICE, clock.parse_moment("2024-10-14T16:00"))
    plain = _reports(plain_engine, Clock(), [_plain(text) for text in HOSTILE])
    for bad, good in zip(hostile, plain, strict=True):
        assert _shape(bad) == _shape(good)
    assert "伪造章节" in hostile[0] and "引用" in hostile[1]  # the texts are there, as text
