"""A person's text made safe for each medium it reaches: Markdown (reports, reminder messages), JSON
inside an HTML page, and a terminal. Structure (a heading, a table, a link, a script, a cursor move)
only ever comes from our own code; text a person typed is always shown as the text it is."""

from __future__ import annotations

import json
import re
from typing import Any

# Characters that make inline Markdown (emphasis, code, links, HTML, tables, strikethrough, entities).
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# What opens a block at the start of a line: a heading, a quote, a list item, a setext underline,
# a numbered item, a fence.
_MD_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
# C0 controls but tab and newline, DEL, C1 controls (ESC and CSI included).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def md(text: str) -> str:
    """Text for a Markdown paragraph: one line (a line break cannot start a new block), every character
    that could make structure escaped with a backslash, which Markdown renders as the character."""
    flat = " ".join(part.strip() for part in text.replace("\r", "\n").split("\n") if part.strip())
    escaped = _MD_INLINE.sub(r"\\\1", flat)
    return _MD_BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped, count=1)


def md_cell(text: str) -> str:
    """Text for a Markdown table cell: escaped as `md`, line breaks shown as <br> (our own HTML)."""
    lines = [md(line) for line in text.replace("\r", "\n").split("\n") if line.strip()]
    return "<br>".join(lines)


def json_for_html(data: Any) -> str:
    """JSON to embed in a <script type="application/json"> element: no text can close the element or
    open a comment, because <, > and & never appear literally (JSON reads \\u003c as <)."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def terminal(text: str) -> str:
    """Text for a terminal line: control characters (ESC sequences, C1 CSI, NUL …) shown as escapes
    (\\x1b) instead of being obeyed by the terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
