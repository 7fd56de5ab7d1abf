"""Reports as a small document model, rendered in one place as Markdown or as Word (.docx).

The .docx follows the usual layout of Party and government documents (GB/T 9704): A4, 仿宋 body at
三号 (16 pt) with a 28 pt line pitch and two-character first-line indent, 黑体 and 楷体 headings,
方正小标宋 title. Fonts a machine lacks fall back in Word; the structure stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from workflow.escape import md, md_cell

Kind = Literal["title", "subtitle", "heading", "para", "table", "sign"]


@dataclass(frozen=True, slots=True)
class Block:
    kind: Kind
    text: str = ""
    level: int = 1  # headings: 1 = 一、 2 = （一）
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)

    def title(self, text: str) -> None:
        self.blocks.append(Block("title", text))

    def subtitle(self, text: str) -> None:
        self.blocks.append(Block("subtitle", text))

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(Block("heading", text, level))

    def para(self, text: str) -> None:
        self.blocks.append(Block("para", text))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        cells = tuple(tuple("" if v is None else str(v) for v in r) for r in rows)
        self.blocks.append(Block("table", header=tuple(header), rows=cells))

    def sign(self, *lines: str) -> None:
        self.blocks.extend(Block("sign", line) for line in lines if line)


def to_markdown(doc: Document) -> str:
    out: list[str] = []
    for b in doc.blocks:
        if b.kind == "title":
            out.append(f"# {md(b.text)}")
        elif b.kind == "subtitle":
            out.append(f"*{md(b.text)}*")
        elif b.kind == "heading":
            out.append(f"{'#' * (b.level + 1)} {md(b.text)}")
        elif b.kind == "para":
            out.append(md(b.text))
        elif b.kind == "table":
            lines = [
                "| " + " | ".join(map(md_cell, b.header)) + " |",
                "|" + "|".join("---" for _ in b.header) + "|",
            ]
            lines += ["| " + " | ".join(map(md_cell, r)) + " |" for r in b.rows]
            out.append("\n".join(lines))
        else:  # sign: right-aligned in Word; in Markdown, plain lines at the end
            out.append(md(b.text))
    return "\n\n".join(out) + "\n"


# --- Word ----------------------------------------------------------------------------------------

BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TITLE_FONT = "仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"


def to_docx(doc: Document, path: Path) -> None:
    # One walk over the blocks, with the two writers sharing the document and its end marker as
    # closures: split up, they would pass the half-built document and five docx names around.
    from docx import Document as new_document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.oxml.text.paragraph import CT_P
    from docx.shared import Mm, Pt
    from docx.text.paragraph import Paragraph

    word = new_document()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def run(paragraph: object, text: str, font: str, size: float, bold: bool = False) -> None:
        r = paragraph.add_run(text)  # type: ignore[attr-defined]
        r.font.name, r.font.size, r.font.bold = font, Pt(size), bold
        # Word picks the East Asian font from w:eastAsia, which python-docx does not set by itself.
        r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)

    # word.add_paragraph() finds the body's closing sectPr by scanning every child, which makes a long
    # report quadratic (minutes at 20,000 items); inserting before the sectPr we hold is constant time.
    end = word.element.body.sectPr
    assert end is not None

    def paragraph(text: str, font: str, size: float, *, align: Any = None, indent: bool = False) -> None:
        element = cast(CT_P, OxmlElement("w:p"))
        end.addprevious(element)
        p = Paragraph(element, word)
        fmt = p.paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
        fmt.space_before = fmt.space_after = Pt(0)
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        run(p, text, font, size)

    for b in doc.blocks:
        if b.kind == "title":
            paragraph(b.text, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif b.kind == "subtitle":
            paragraph(b.text, SUBHEADING_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif b.kind == "heading":
            paragraph(b.text, HEADING_FONT if b.level == 1 else SUBHEADING_FONT, 16, indent=True)
        elif b.kind == "para":
            for line in b.text.split("\n"):
                paragraph(line, BODY_FONT, 16, indent=True)
        elif b.kind == "table":
            table = word.add_table(rows=1, cols=len(b.header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, b.header, strict=True):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                run(cell.paragraphs[0], text, HEADING_FONT, 12)
            for values in b.rows:
                for cell, text in zip(table.add_row().cells, values, strict=True):
                    run(cell.paragraphs[0], text, BODY_FONT, 12)
        else:
            paragraph(b.text, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    word.save(str(path))


def docx_text(path: Path) -> list[str]:
    """The paragraphs of a .docx, for tests and for checking what was written."""
    from docx import Document as open_document

    return [p.text for p in open_document(str(path)).paragraphs]
