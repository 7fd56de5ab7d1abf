"""Small files that stand for a huge amount of work (issue 9 §5): a YAML of nested aliases, an .xlsx whose
parts unpack to gigabytes or whose sheet names a far row or column. Each is refused with one Chinese
sentence before the work starts — the YAML under a memory limit it would otherwise blow through."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from tests.bad_input_fixtures import assert_clear, raw_xlsx
from tests.ledger_fixtures import HEADER
from workflow.errors import InvalidInput
from workflow.intake import round_yaml
from workflow.intake.ledger import formats, workbook

ROOT = Path(__file__).parents[2]

# --- YAML ---------------------------------------------------------------------------------------------


def _alias_bomb(path: Path, levels: int = 8) -> Path:
    """A valid-looking round whose items nest by alias: ~700 bytes that stand for 9**8 items."""
    lines = [
        "round: {name: 轮次, group: 巡察组, unit: 单位, feedback_date: 2024-10-14}",
        "aspects:",
        "- number: 一",
        "  title: 方面",
        "  items:",
        "  - &a0 {number: 0, title: 问题}",
    ]
    for n in range(1, levels):
        nested = ",".join([f"*a{n - 1}"] * 9)
        lines.append(f"  - &a{n} {{number: {n}, title: 问题, items: [{nested}]}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# The file loaded in a process of its own under an address-space limit: today's code needs under
# 100 MB for it; the code before this change ran into the limit (MemoryError) after seconds.
_LOAD = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
    from workflow.errors import InvalidInput
    from workflow.intake import round_yaml
    try:
        round_yaml.load_file(Path(sys.argv[1]))
    except InvalidInput as exc:
        print(exc)
    """
)


def test_a_yaml_alias_bomb_is_refused_in_one_line_within_a_small_memory_limit(tmp_path: Path) -> None:
    bomb = _alias_bomb(tmp_path / "round.yaml")
    assert bomb.stat().st_size < 1024
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, str(bomb)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    assert (
        done.stdout
        == f"{bomb} 不是有效的 YAML：第 7 行第 40 列含有锚点引用（*名称）：不支持锚点和引用，请把内容直接写出\n"
    )


def test_an_anchor_without_alias_is_harmless_but_any_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "round.yaml"
    path.write_text("round: &r {name: 轮次}\nother: *r\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="第 2 行第 8 列含有锚点引用") as caught:
        round_yaml.load_file(path)
    assert_clear(str(caught.value), path)
    assert round_yaml.load_yaml("a: &x 1\n") == {"a": 1}


# --- .xlsx --------------------------------------------------------------------------------------------


def _workbook(tmp_path: Path) -> Path:
    return raw_xlsx(tmp_path / "base.xlsx", [list(HEADER), ["1", "一、类别", "问题概括。描述"]])


def _with_parts(tmp_path: Path, parts: dict[str, int], name: str = "bomb.xlsx") -> Path:
    """The workbook with the named parts replaced by (or added as) XML of about that many bytes,
    compressed as a zip bomb is (a run of the same bytes deflates about a thousandfold)."""
    out = tmp_path / name
    base = _workbook(tmp_path)
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in src.infolist():
            if info.filename not in parts:
                z.writestr(info.filename, src.read(info.filename))
        block = b"<si><t>" + b"A" * 1000 + b"</t></si>"
        for part, size in parts.items():
            with z.open(part, "w") as f:
                f.write(
                    b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                )
                chunk = block * 1024
                for _ in range(size // len(chunk)):
                    f.write(chunk)
                f.write(b"</sst>")
    return out


def _refused_quickly(path: Path, says: str, within: float = 10) -> str:
    started = time.monotonic()
    with pytest.raises(InvalidInput, match=re.escape(says)) as caught:
        workbook.load(path)
    # A bomb is refused on the sizes the package declares, before any part is parsed: milliseconds.
    # The bound is loose on purpose (parsing the 935 MB part took minutes).
    assert time.monotonic() - started < within
    message = str(caught.value)
    assert_clear(message, path)
    assert says in message
    return message


def test_an_xlsx_whose_shared_strings_unpack_to_935_mb_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = _with_parts(tmp_path, {"xl/sharedStrings.xml": 935 * 10**6})
    assert bomb.stat().st_size < 10 * 2**20
    message = _refused_quickly(bomb, "解压后太大：其中的 xl/sharedStrings.xml 有 8")  # 891.6 MB
    assert "每个部分最多 128.0 MB" in message and "压缩炸弹" in message


def test_an_xlsx_whose_parts_together_unpack_past_the_total_is_refused(tmp_path: Path) -> None:
    parts = {f"xl/media/part{n}.xml": 100 * 2**20 for n in range(3)}  # each under the per-part cap
    message = _refused_quickly(_with_parts(tmp_path, parts), "解压后太大：共 2")  # 297.7 MB
    assert "（最多 256.0 MB）" in message


def _declare(data: bytearray, member: bytes, size: int) -> None:
    """Write `size` as the unpacked size of `member`, in its local header and its central directory entry."""
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        at = data.find(signature)
        while at != -1:
            if data[at + name_at : at + name_at + len(member)] == member:
                struct.pack_into("<I", data, at + size_at, size)
            at = data.find(signature, at + 1)


def test_a_part_that_inflates_past_its_declared_size_is_cut_there_and_refused_as_damaged(
    tmp_path: Path,
) -> None:
    """zipfile hands out no more than a part declares (and openpyxl reads every part through it), so a
    package that understates a part's size is a damaged file, not a way around the caps."""
    data = bytearray(_with_parts(tmp_path, {"xl/sharedStrings.xml": 300 * 2**20}).read_bytes())
    _declare(data, b"xl/sharedStrings.xml", 1000)
    lying = tmp_path / "lying.xlsx"
    lying.write_bytes(bytes(data))
    with zipfile.ZipFile(lying) as z:
        assert z.getinfo("xl/sharedStrings.xml").file_size == 1000
    _refused_quickly(lying, "不是有效的 .xlsx 文件：文件已损坏")


def _with_sheet_tail(tmp_path: Path, xml: bytes) -> Path:
    base = _workbook(tmp_path)
    out = tmp_path / "far.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", xml + b"</sheetData>")
            z.writestr(info.filename, data)
    return out


def test_a_sheet_naming_its_last_row_is_refused_instead_of_making_a_million_empty_rows(
    tmp_path: Path,
) -> None:
    far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = _with_sheet_tail(tmp_path, far)
    assert path.stat().st_size < 10_000
    _refused_quickly(path, f"的工作表「台账」超过 {formats.MAX_ROWS} 行", within=60)  # counting takes ~2 s


def test_cells_far_to_the_right_are_not_read(tmp_path: Path) -> None:
    """A cell in column XFD made every row 16,384 cells wide; columns past MAX_COLUMNS are not read."""
    wide = b"".join(
        b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n) for n in range(3, 3003)
    )
    started = time.monotonic()
    table = workbook.load(_with_sheet_tail(tmp_path, wide))
    assert time.monotonic() - started < 10  # it took 13 s and 700 MB
    assert max(len(values) for _, values in table.rows) <= formats.MAX_COLUMNS
    assert table.rows[0] == (2, ["1", "一、类别", "问题概括。描述"])
