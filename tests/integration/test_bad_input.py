"""Bad input through every way data gets in — the use cases (what the CLI options reach), a YAML round,
an .xlsx or .csv ledger, rules and accountability, evidence files: each is refused with a clear
Chinese message naming the problem, stores nothing, and leaves every table exactly as it was. Text
that merely looks dangerous (SQL) is data and is stored verbatim."""

from __future__ import annotations

import itertools
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from tests.backends import fresh_url
from tests.bad_input_fixtures import (
    BAD_DATES,
    BAD_TEXT,
    HANDLER,
    LEADER,
    OFFICE,
    SQL,
    assert_clear,
    dump,
    raw_xlsx,
    seed,
)
from tests.ledger_fixtures import HEADER, row, write_csv, write_xlsx
from workflow import clock, db
from workflow.audit import verify
from workflow.db.tables.core import (
    ACCOUNTABILITY,
    ASPECT,
    EVIDENCE,
    ITEM,
    MEASURE,
    PERSON,
    PROGRESS,
    ROUND,
    RULE,
)
from workflow.demo import example_path
from workflow.errors import InvalidInput, NotFound
from workflow.intake import round_yaml
from workflow.intake.ledger import apply, formats, plan, workbook
from workflow.items import actions, people, round_records
from workflow.read import items as item_queries
from workflow.read import people as people_read

NOW = clock.parse_moment("2025-01-10T10:00")
TODAY = clock.local_today(NOW)
EARLIER = date(2025, 1, 9)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """One seeded database for every refusal in this module: each must leave it as it was."""
    engine = db.make_engine(fresh_url(tmp_path_factory.mktemp("bad")), synchronous="NORMAL")
    seed(engine)
    yield engine
    engine.dispose()


@contextmanager
def refused(engine: sa.Engine, *allowed: object, says: str = "") -> Iterator[None]:
    """The block raises InvalidInput with a clear Chinese message (containing `says`); nothing stored."""
    before = dump(engine)
    with pytest.raises(InvalidInput, match=re.escape(says)) as caught:
        yield
    message = str(caught.value)
    assert_clear(message, *allowed)
    assert says in message
    assert dump(engine) == before


def write(engine: sa.Engine, action: Callable[[Connection], object]) -> None:
    with db.unit_of_work(engine) as conn:
        action(conn)


# --- text, through every use case that stores it ------------------------------------------------------

TextCase = Callable[[Connection, str], object]
TEXT_FIELDS: dict[str, TextCase] = {
    "person name": lambda c, v: people.add_person(c, OFFICE, NOW, name=v, roles="leader"),
    "person department": lambda c, v: people.add_person(
        c, OFFICE, NOW, name="新人", roles="leader", department=v
    ),
    "person title": lambda c, v: people.add_person(c, OFFICE, NOW, name="新人", roles="leader", title=v),
    "person email": lambda c, v: people.add_person(c, OFFICE, NOW, name="新人", roles="leader", email=v),
    "actor": lambda c, v: actions.fire(c, 3, "assign", v, NOW),
    "reason": lambda c, v: actions.fire(c, 3, "assign", OFFICE, NOW, reason=v),
    "summary": lambda c, v: actions.fire(c, 1, "submit", HANDLER, NOW, summary=v),
    "finding": lambda c, v: actions.fire(c, 1, "confirm", OFFICE, NOW, finding=v),
    "extension reason": lambda c, v: actions.extend(
        c, 1, HANDLER, NOW, new_deadline=date(2025, 3, 31), reason=v, approved_by=LEADER
    ),
    "extension approver": lambda c, v: actions.extend(
        c, 1, HANDLER, NOW, new_deadline=date(2025, 3, 31), reason="备案手续办理中", approved_by=v
    ),
    "reassign reason": lambda c, v: actions.reassign(c, 1, OFFICE, NOW, reason=v, department="新部门"),
    "reassign leader": lambda c, v: actions.reassign(c, 1, OFFICE, NOW, reason="分工调整", leader=v),
    "reassign department": lambda c, v: actions.reassign(c, 1, OFFICE, NOW, reason="分工调整", department=v),
    "reassign cooperating": lambda c, v: actions.reassign(
        c, 1, OFFICE, NOW, reason="分工调整", cooperating=v
    ),
    "measure text": lambda c, v: actions.add_measure(c, 1, OFFICE, NOW, text=v),
    "measure owner": lambda c, v: actions.add_measure(c, 1, OFFICE, NOW, text="新措施", owner=v),
    "progress text": lambda c, v: actions.add_progress(c, 1, HANDLER, NOW, on=EARLIER, text=v),
    "progress when": lambda c, v: actions.add_progress(c, 1, HANDLER, NOW, on=EARLIER, text="x", when_text=v),
    "evidence ref": lambda c, v: actions.attach_evidence(c, 1, HANDLER, NOW, kind="批文", ref=v),
    "evidence note": lambda c, v: actions.attach_evidence(
        c, 1, HANDLER, NOW, kind="批文", ref="文号", note=v
    ),
    "rule title": lambda c, v: round_records.add_rule(
        c, OFFICE, NOW, title=v, kind="made", issued_on=EARLIER
    ),
    "rule document": lambda c, v: round_records.add_rule(
        c, OFFICE, NOW, title="制度", kind="made", issued_on=EARLIER, doc_ref=v
    ),
    "rule note": lambda c, v: round_records.add_rule(
        c, OFFICE, NOW, title="制度", kind="made", issued_on=EARLIER, note=v
    ),
    "accountability person": lambda c, v: round_records.add_accountability(
        c, OFFICE, NOW, person=v, measure="约谈", decided_on=EARLIER
    ),
    "accountability post": lambda c, v: round_records.add_accountability(
        c, OFFICE, NOW, person="张某", measure="约谈", decided_on=EARLIER, post=v
    ),
    "accountability reason": lambda c, v: round_records.add_accountability(
        c, OFFICE, NOW, person="张某", measure="约谈", decided_on=EARLIER, reason=v
    ),
}


# What the refusal calls each field: it must name the field, then the rule.
LABELS = {
    "person name": "姓名",
    "person department": "部门",
    "person title": "职务",
    "person email": "邮箱",
    "actor": "人员姓名",
    "reason": "理由",
    "summary": "整改完成情况",
    "finding": "回头看结论",
    "extension reason": "理由",
    "extension approver": "人员姓名",
    "reassign reason": "理由",
    "reassign leader": "责任领导",
    "reassign department": "责任部门",
    "reassign cooperating": "配合单位",
    "measure text": "整改措施",
    "measure owner": "措施责任单位",
    "progress text": "进展内容",
    "progress when": "日期说明",
    "evidence ref": "文号",
    "evidence note": "说明",
    "rule title": "制度名称",
    "rule document": "文号",
    "rule note": "说明",
    "accountability person": "被问责人",
    "accountability post": "单位及职务",
    "accountability reason": "问责事由",
}


@pytest.mark.parametrize("kind", list(BAD_TEXT))
@pytest.mark.parametrize("field", list(TEXT_FIELDS))
def test_bad_text_in_any_stored_field_is_refused_and_stores_nothing(
    shared: sa.Engine, field: str, kind: str
) -> None:
    rules = {
        "overlong": "过长（20001 字",
        "surrogate": "含有无法识别的字符",
        "GBK bytes": "含有无法识别的字符",
    }
    with refused(shared, says=LABELS[field] + rules.get(kind, "含有控制字符")):
        write(shared, lambda c: TEXT_FIELDS[field](c, BAD_TEXT[kind]))


def test_sql_like_text_is_stored_verbatim_as_data(engine: sa.Engine) -> None:
    seed(engine)
    write(engine, lambda c: people.add_person(c, OFFICE, NOW, name=SQL, roles="leader", department=SQL))
    write(engine, lambda c: actions.add_progress(c, 1, HANDLER, NOW, on=EARLIER, text=SQL, when_text=SQL))
    write(engine, lambda c: actions.add_measure(c, 1, OFFICE, NOW, text=SQL, owner=SQL))
    write(engine, lambda c: actions.attach_evidence(c, 1, HANDLER, NOW, kind="批文", ref=SQL, note=SQL))
    write(engine, lambda c: actions.reassign(c, 1, OFFICE, NOW, reason=SQL, leader=SQL, cooperating=SQL))
    write(engine, lambda c: round_records.add_rule(c, OFFICE, NOW, title=SQL, kind="made", issued_on=EARLIER))
    write(
        engine,
        lambda c: round_records.add_accountability(
            c, OFFICE, NOW, person=SQL, measure="约谈", decided_on=EARLIER
        ),
    )
    with db.reading(engine) as conn:
        stored = [
            conn.execute(sa.select(PERSON.c.department).where(PERSON.c.name == SQL)).scalar_one(),
            conn.execute(sa.select(PROGRESS.c.text, PROGRESS.c.when_text)).all()[-1],
            conn.execute(sa.select(MEASURE.c.text, MEASURE.c.owner).order_by(MEASURE.c.id)).all()[-1],
            conn.execute(sa.select(EVIDENCE.c.ref, EVIDENCE.c.note)).one(),
            conn.execute(sa.select(ITEM.c.leader, ITEM.c.cooperating).where(ITEM.c.id == 1)).one(),
            conn.execute(sa.select(RULE.c.title)).scalar_one(),
            conn.execute(sa.select(ACCOUNTABILITY.c.person)).scalar_one(),
        ]
        assert stored == [SQL, (SQL, SQL), (SQL, SQL), (SQL, SQL), (SQL, SQL), SQL, SQL]
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 3
        assert [r["id"] for r in item_queries.list_items(conn, TODAY, leader=SQL)] == [1]
        assert item_queries.list_items(conn, TODAY, department=SQL) == []
        with pytest.raises(NotFound, match="没有名为"):
            people_read.load_actor(conn, SQL + " OR 1=1")
        assert verify.verify(conn).ok


# --- dates --------------------------------------------------------------------------------------------

DateCase = Callable[[Connection], object]
FUTURE = date(2025, 1, 11)
NOT_YET: dict[str, DateCase] = {
    "progress": lambda c: actions.add_progress(c, 1, HANDLER, NOW, on=FUTURE, text="提前写好的进展"),
    "measure done": lambda c: actions.complete_measure(c, 1, 1, HANDLER, NOW, on=FUTURE),
    "rule issued": lambda c: round_records.add_rule(
        c, OFFICE, NOW, title="制度", kind="made", issued_on=FUTURE
    ),
    "accountability": lambda c: round_records.add_accountability(
        c, OFFICE, NOW, person="张某", measure="约谈", decided_on=FUTURE
    ),
}


@pytest.mark.parametrize("case", list(NOT_YET))
def test_a_date_after_today_for_something_that_happened_is_refused(shared: sa.Engine, case: str) -> None:
    with refused(shared, says="晚于今天"):
        write(shared, NOT_YET[case])


@pytest.mark.parametrize("text", [*BAD_DATES, "2024/02/30", "2024年13月1日", "下个月", "", "0000-01-01"])
def test_far_and_impossible_dates_and_moments_are_refused_in_chinese(text: str) -> None:
    from workflow.dates import parse_date

    with pytest.raises(ValueError, match="日期") as caught:
        parse_date(text)
    assert_clear(str(caught.value))
    with pytest.raises(ValueError, match="时间") as caught:
        clock.parse_moment(text + "T09:00")
    assert_clear(str(caught.value))


# --- the YAML round ----------------------------------------------------------------------------------

SEED = (
    example_path("taishan.yaml")
    .read_text(encoding="utf-8")
    .replace("县委上下联动乡村振兴专项巡察（太山镇）", "另一轮巡察")
)  # a new round: refusals must be for the flaw planted, not for importing the seed twice


def _seed_with(old: str, new: str) -> bytes:
    assert old in SEED
    return SEED.replace(old, new, 1).encode()


YAML_FILES: dict[str, tuple[bytes, str]] = {
    "a list": (b"- round\n- people\n- aspects\n", "应是一个包含 round"),
    "a scalar": (b"just some text\n", "应是一个包含 round"),
    "only a comment": (b"# nothing here\n", "应是一个包含 round"),
    "empty": (b"", "是空文件"),
    "GBK": (SEED.encode("gbk"), "不是 UTF-8 文本"),
    "Latin-1": ("round:\n  name: café\n".encode("latin-1"), "不是 UTF-8 文本"),
    "invalid UTF-8": (SEED.encode().replace("禁而不绝".encode(), b"\xff\xfe\xfd"), "不是 UTF-8 文本"),
    "UTF-16": (SEED.encode("utf-16"), "不是 UTF-8 文本"),
    "a PNG": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG 图片"),
    "a zip": (b"PK\x03\x04" + bytes(100), "zip 压缩包"),
    "raw NUL": (_seed_with("新增违法占地禁而不绝", "新增\x00违法"), "不允许的控制字符"),
    "escaped NUL": (_seed_with("title: 新增违法占地禁而不绝", 'title: "新增\\0违法"'), "title: 含有控制字符"),
    "escaped ESC in a list": (
        _seed_with("cooperating: []", 'cooperating: ["\\e[31m"]'),
        "cooperating[0]: 含有控制字符",
    ),
    "escaped DEL": (_seed_with("title: 新增违法占地禁而不绝", 'title: "a\\x7fb"'), "含有控制字符"),
    "escaped C1": (_seed_with("title: 新增违法占地禁而不绝", 'title: "a\\x9bb"'), "含有控制字符"),
    "escaped lone surrogate": (
        _seed_with("name: 另一轮巡察", 'name: "\\ud800"'),
        "round.name: 含有无法识别的字符",
    ),
    "overlong title": (
        _seed_with("title: 新增违法占地禁而不绝", "title: " + "长" * 501),
        "title: 过长（最多 500 字）",
    ),
    "overlong person name": (_seed_with("name: 审计员", "name: " + "长" * 65), "people[5].name: 过长"),
    "overlong cooperating": (
        _seed_with("cooperating: []", f"cooperating: [{'长' * 600}, {'长' * 600}]"),
        "配合单位合计过长",
    ),
    "overlong description": (
        _seed_with("description: 乡镇", "description: " + "长" * 20_001 + "乡镇"),
        "过长（最多 20000 字）",
    ),
    "null number": (_seed_with('number: "1"', "number: ~"), "应为文本或整数"),
    "a number as title": (_seed_with("title: 新增违法占地禁而不绝", "title: 12345"), "title: 应为文本"),
    "unknown key": (_seed_with("round:", "rounds: {}\nround:"), "rounds: 未知的项"),
    "missing aspects": (SEED.split("aspects:")[0].encode(), "aspects: 缺少此项"),
    "roles not a list": (_seed_with("roles: [auditor]", "roles: auditor"), "应为列表"),
    "unknown role": (_seed_with("roles: [auditor]", "roles: [admin]"), "应为以下之一"),
    "python tag": (b"!!python/object/apply:os.system ['true']\n", "不支持的标签"),
    "deep nesting": (b"[" * 20_000 + b"]" * 20_000, "嵌套层次过深"),
    "tab indentation": (b"round:\n\tname: x\n", "制表符"),
    "unclosed quote": (b'round:\n  name: "x\n', "没有成对"),
    "SQL as a key": (_seed_with("round:", f'"{SQL}": 1\nround:'), "未知的项"),
}
YAML_DATES = {
    "feedback date": "feedback_date: 2024-10-14",
    "deadline": "deadline: 2024-12-31",
    "measure due": "due: 2024-12-31",
}


def import_yaml(engine: sa.Engine, path: Path) -> None:
    data = round_yaml.load_file(path)
    write(engine, lambda c: round_yaml.import_round(c, data, OFFICE, NOW))


@pytest.mark.parametrize("case", list(YAML_FILES))
def test_a_bad_yaml_round_is_refused_and_imports_nothing(
    shared: sa.Engine, tmp_path: Path, case: str
) -> None:
    data, says = YAML_FILES[case]
    path = tmp_path / "round.yaml"
    path.write_bytes(data)
    with refused(shared, path, SQL, says=says):
        import_yaml(shared, path)


@pytest.mark.parametrize("text", BAD_DATES)
@pytest.mark.parametrize("field", list(YAML_DATES))
def test_far_and_impossible_dates_in_a_yaml_round_are_refused(
    shared: sa.Engine, tmp_path: Path, field: str, text: str
) -> None:
    key = YAML_DATES[field].split(":")[0]
    path = tmp_path / "round.yaml"
    path.write_bytes(_seed_with(YAML_DATES[field], f"{key}: {text}"))
    with refused(shared, path, says=f"{key}: "):
        import_yaml(shared, path)


def test_a_yaml_that_is_a_directory_missing_or_huge_is_refused(shared: sa.Engine, tmp_path: Path) -> None:
    folder = tmp_path / "round.yaml"
    folder.mkdir()
    with refused(shared, folder, says="这是一个文件夹"):
        import_yaml(shared, folder)
    with refused(shared, tmp_path, says="文件不存在"):
        import_yaml(shared, tmp_path / "nowhere.yaml")
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as f:  # sparse: the size is refused before a byte is read
        f.truncate(round_yaml.MAX_FILE_BYTES + 1)
    with refused(shared, huge, says="太大"):
        import_yaml(shared, huge)


def test_sql_like_text_in_a_yaml_round_is_imported_verbatim(engine: sa.Engine, tmp_path: Path) -> None:
    seed(engine)
    data = round_yaml.load_yaml(SEED)
    data["round"]["name"] = SQL
    data["aspects"][0]["items"][0]["title"] = SQL
    data["aspects"][0]["items"][0]["cooperating"] = [SQL, SQL]
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    import_yaml(engine, path)
    with db.reading(engine) as conn:
        round_id = conn.execute(sa.select(ROUND.c.id).where(ROUND.c.name == SQL)).scalar_one()
        first = conn.execute(
            sa.select(ITEM.c.title, ITEM.c.cooperating).where(
                ITEM.c.round_id == round_id, ITEM.c.number == "一/1"
            )
        ).one()
        assert tuple(first) == (SQL, f"{SQL}、{SQL}")
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 6


# --- the ledger: .xlsx and .csv -------------------------------------------------------------------------

NEW_ROUND = {"group_name": "县委第一巡察组", "unit": "中共某镇委员会", "feedback_date": "2024-10-14"}


def import_ledger(engine: sa.Engine, path: Path, encoding: str | None = None) -> apply.Summary:
    """The CLI's path: read the file, choose the round, check against the database, write."""
    table = workbook.load(path, encoding=encoding)
    with db.unit_of_work(engine) as conn:
        target = plan.target_round(conn, table.meta, "台账轮次", **NEW_ROUND)
        planned = plan.prepare(conn, table, target, OFFICE, today=TODAY)
        return apply.apply(conn, planned, NOW)


def _patched(source: Path, member: str, change: Callable[[bytes], bytes], target: Path) -> Path:
    """A copy of the workbook with one part of the package changed."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, change(data) if info.filename == member else data)
    return target


def _good(tmp: Path) -> Path:
    return raw_xlsx(tmp / "good.xlsx", [["序号", "问题描述"], ["1", "问题概括。描述"]])


LedgerFile = Callable[[Path], Path]


def _write(name: str, data: bytes) -> LedgerFile:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name

    return make


def _zip(name: str, members: dict[str, str]) -> LedgerFile:
    def make(tmp: Path) -> Path:
        with zipfile.ZipFile(tmp / name, "w") as z:
            for member, text in members.items():
                z.writestr(member, text)
        return tmp / name

    return make


def _part(member: str, change: Callable[[bytes], bytes]) -> LedgerFile:
    return lambda tmp: _patched(_good(tmp), member, change, tmp / "damaged.xlsx")


def _corrupt_deflate(tmp: Path) -> Path:
    data = bytearray(_good(tmp).read_bytes())
    at = data.index(b"xl/sharedStrings.xml") + len("xl/sharedStrings.xml")  # the local header's name
    for i in range(at + 2, at + 12):
        data[i] ^= 0xFF  # the compressed bytes of the part: a bad CRC or a bad deflate stream
    (tmp / "crc.xlsx").write_bytes(bytes(data))
    return tmp / "crc.xlsx"


def _csv_bytes(name: str, body: bytes) -> LedgerFile:
    return _write(name, ",".join(HEADER).encode() + b"\n" + body)


LEDGER_FILES: dict[str, tuple[LedgerFile, str]] = {
    "a PNG named .xlsx": (_write("台账.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200)), "PNG 图片"),
    "a PDF named .xlsx": (_write("台账.xlsx", b"%PDF-1.7\n" + bytes(200)), "PDF 文件"),
    "an old .xls named .xlsx": (_write("台账.xlsx", b"\xd0\xcf\x11\xe0" + bytes(200)), "旧版 Excel"),
    "text named .xlsx": (_write("台账.xlsx", "序号,问题描述\n1,x\n".encode()), "不是有效的 .xlsx 文件"),
    "a zip that is not a workbook": (_zip("台账.xlsx", {"hello.txt": "hi"}), "没有 Excel 工作簿"),
    "a Word document named .xlsx": (
        _zip("台账.xlsx", {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}),
        "没有 Excel 工作簿",
    ),
    "an empty .xlsx": (_write("台账.xlsx", b""), "是空文件"),
    "an empty .csv": (_write("台账.csv", b""), "是空文件"),
    "invalid UTF-8 in a cell": (
        _part("xl/sharedStrings.xml", lambda d: d.replace("问题概括".encode(), b"\xff\xfe")),
        "已损坏",
    ),
    "a control character in the XML": (
        _part("xl/sharedStrings.xml", lambda d: d.replace("问题概括".encode(), b"&#27;")),
        "已损坏",
    ),
    "a truncated sheet": (_part("xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2]), "已损坏"),
    "a workbook part that is not XML": (_part("xl/workbook.xml", lambda d: b"<nope"), "已损坏"),
    "a damaged package": (_corrupt_deflate, "不是有效的 .xlsx 文件"),
    "a PNG named .csv": (_write("台账.csv", b"\x89PNG\r\n\x1a\n" + bytes(200)), "PNG 图片"),
    "a GBK .csv read as UTF-8": (
        lambda tmp: write_csv(tmp / "台账.csv", [row(1)], encoding="gbk"),
        "请加 --encoding gbk",
    ),
    "Latin-1 bytes in a .csv": (_csv_bytes("台账.csv", b"1,x,caf\xe9 probl\xe8me.\n"), "不是 utf-8-sig 编码"),
    "invalid UTF-8 in a .csv": (_csv_bytes("台账.csv", b"1,x,\xff\xfe\n"), "不是 utf-8-sig 编码"),
    "a cell larger than CSV allows": (_csv_bytes("台账.csv", b"1,x," + b"y" * 200_000 + b"\n"), "单元格过长"),
    "an .ods": (_write("台账.ods", b"PK\x03\x04"), "只能导入 .xlsx 或 .csv"),
}


@pytest.mark.parametrize("case", list(LEDGER_FILES))
def test_a_file_that_is_not_a_ledger_is_refused_and_imports_nothing(
    shared: sa.Engine, tmp_path: Path, case: str
) -> None:
    make, says = LEDGER_FILES[case]
    path = make(tmp_path)
    with refused(shared, path, says=says):
        import_ledger(shared, path)


@pytest.mark.parametrize("encoding", ["klingon", "rot13", "base64", "utf\x00-8", "utf-16"])
def test_an_encoding_that_cannot_read_the_csv_is_refused(
    shared: sa.Engine, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "台账.csv", [row(1)])
    # UTF-16 decodes any even number of bytes: the result is no header, in mojibake.
    with refused(shared, path, encoding, says="找不到表头" if encoding == "utf-16" else "未知的编码"):
        import_ledger(shared, path, encoding=encoding)


def test_a_ledger_that_is_a_directory_missing_huge_or_a_zip_bomb_is_refused(
    shared: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "台账.xlsx").mkdir()
    with refused(shared, tmp_path, says="这是一个文件夹"):
        import_ledger(shared, tmp_path / "台账.xlsx")
    with refused(shared, tmp_path, says="文件不存在"):
        import_ledger(shared, tmp_path / "没有.csv")
    with (tmp_path / "huge.csv").open("wb") as f:
        f.truncate(workbook.MAX_FILE_BYTES + 1)
    with refused(shared, tmp_path, says="太大"):
        import_ledger(shared, tmp_path / "huge.csv")
    monkeypatch.setattr(
        formats, "MAX_UNPACKED_BYTES", 1000
    )  # stands for a zip bomb (tests/unit/test_hostile_files.py)
    path = write_xlsx(tmp_path / "bomb.xlsx", [row(1)])
    with refused(shared, path, says="解压后太大"):
        import_ledger(shared, path)


LONG = "长"
LEDGER_CELLS: dict[str, tuple[dict[str, Any], str]] = {
    "NUL": ({"问题描述": "问题\x00概括。"}, "C列（问题描述）：问题描述含有控制字符 '\\x00'"),
    "ESC": ({"典型表现": "表现\x1b[2J"}, "D列（典型表现）：典型表现含有控制字符"),
    "DEL": ({"责任部门": "规划\x7f办"}, "G列（责任部门）：责任部门含有控制字符"),
    "C1": ({"整改措施": "措施\x9b"}, "E列（整改措施）：整改措施含有控制字符"),
    "overlong problem": ({"问题描述": LONG * 20_501}, "问题描述过长"),
    "overlong title sentence": ({"问题描述": LONG * 501 + "。描述"}, "第一句过长"),
    "overlong leader": ({"责任领导": LONG * 65}, "责任领导过长"),
    "overlong department": ({"责任部门": LONG * 201}, "责任部门过长"),
    "overlong cooperating": ({"配合单位": LONG * 1001}, "配合单位过长"),
    "overlong aspect number": ({"问题类别": "一" * 21 + "、类别"}, "问题类别的编号"),
    "overlong aspect title": ({"问题类别": "一、" + LONG * 501}, "问题类别的编号"),
    "overlong measure": ({"整改措施": LONG * 5001}, "一项整改措施过长"),
    "overlong evidence": ({"佐证材料": "批文：" + LONG * 201}, "佐证材料的文号或名称过长"),
    "overlong 序号": ({"序号": "1" * 41}, "序号过长"),
    "progress after today": ({"整改进展": "2025-06-01：尚未发生的事"}, "晚于今天"),
    "impossible progress day": ({"整改进展": "2月30日：某事"}, "不存在的日期"),
    "SQL as a status": ({"完成情况": SQL}, "无法识别的完成情况"),
    **{
        f"deadline {d}": ({"整改时限": d}, "J列（整改时限）：")
        for d in (*BAD_DATES, "0000年12月底", "9999年12月底", "2100年1月31日前")
    },
    **{f"progress dated {d}": ({"整改进展": f"{d}：某事"}, "K列（整改进展）：") for d in BAD_DATES},
}
XLSX_CELLS: dict[str, Any] = {
    "1900": datetime(1900, 1, 1),
    "9999": date(9999, 12, 31),
    "a time": time(12, 0),
    "serial 1": 1,
    "serial 2958465": 2958465,
    "a huge float": 1e308,
}


# XML cannot hold C0 control characters at all (a workbook that tries is damaged, see above).
_C0 = re.compile("[\x00-\x08\x0b-\x1f]")
CELL_CASES = [
    (case, suffix)
    for case, (cells, _) in LEDGER_CELLS.items()
    for suffix in (".csv", ".xlsx")
    if suffix == ".csv" or not any(_C0.search(str(v)) for v in cells.values())
]


@pytest.mark.parametrize(("case", "suffix"), CELL_CASES)
def test_a_bad_cell_is_reported_by_row_and_column_and_nothing_is_imported(
    shared: sa.Engine, tmp_path: Path, case: str, suffix: str
) -> None:
    cells, says = LEDGER_CELLS[case]
    writer = write_csv if suffix == ".csv" else write_xlsx
    path = writer(tmp_path / f"台账{suffix}", [row(1), row(2, **cells)], (*HEADER, "佐证材料"))
    with refused(shared, path, SQL, says=says):
        import_ledger(shared, path)


@pytest.mark.parametrize("case", list(XLSX_CELLS))
def test_a_deadline_cell_far_off_or_not_a_date_is_refused(
    shared: sa.Engine, tmp_path: Path, case: str
) -> None:
    path = write_xlsx(tmp_path / "台账.xlsx", [row(1, 整改时限=XLSX_CELLS[case])])
    with refused(shared, path, says="J列（整改时限）："):
        import_ledger(shared, path)


def test_sql_like_text_in_a_ledger_is_imported_verbatim(engine: sa.Engine, tmp_path: Path) -> None:
    seed(engine)
    path = write_csv(
        tmp_path / "台账.csv", [row(1, 问题描述=f"{SQL}。描述", 责任部门=SQL, 整改进展=f"2024-11-01：{SQL}")]
    )
    assert import_ledger(engine, path).created == 1
    with db.reading(engine) as conn:
        item = conn.execute(sa.select(ITEM).where(ITEM.c.title == SQL)).one()
        assert (item.department, item.description) == (SQL, "描述")
        assert conn.execute(sa.select(PROGRESS.c.text).where(PROGRESS.c.item_id == item.id)).scalar() == SQL
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 4


# --- evidence files -----------------------------------------------------------------------------------


def _evidence(engine: sa.Engine, path: Path) -> None:
    write(engine, lambda c: actions.attach_evidence(c, 1, HANDLER, NOW, kind="文件", file=path))


def test_an_evidence_file_that_is_no_file_empty_huge_or_badly_named_is_refused(
    shared: sa.Engine, tmp_path: Path
) -> None:
    with refused(shared, tmp_path, says="这是一个文件夹"):
        _evidence(shared, tmp_path)
    with refused(shared, tmp_path, says="文件不存在"):
        _evidence(shared, tmp_path / "没有.pdf")
    (tmp_path / "空.pdf").write_bytes(b"")
    with refused(shared, tmp_path, says="是空文件"):
        _evidence(shared, tmp_path / "空.pdf")
    with (tmp_path / "huge.pdf").open("wb") as f:
        f.truncate(actions.MAX_EVIDENCE_BYTES + 1)
    with refused(shared, tmp_path, says="太大"):
        _evidence(shared, tmp_path / "huge.pdf")
    os.mkfifo(tmp_path / "pipe.pdf")  # reading it would wait forever
    with refused(shared, tmp_path, says="不是普通文件"):
        _evidence(shared, tmp_path / "pipe.pdf")
    (tmp_path / "批文\x1b[2J.pdf").write_bytes(b"%PDF-1.7")
    with refused(shared, tmp_path, says="文件名含有控制字符"):
        _evidence(shared, tmp_path / "批文\x1b[2J.pdf")
    gbk = os.fsencode(tmp_path) + b"/" + "批文".encode("gbk") + b".pdf"  # a name from a Windows zip
    with open(gbk, "wb") as f:
        f.write(b"%PDF-1.7")
    with refused(shared, tmp_path, says="文件名含有无法识别的字符"):
        _evidence(shared, Path(os.fsdecode(gbk)))


# --- properties: any text, through the use cases and through the YAML importer ---------------------------

# Characters that matter here, mixed into arbitrary text: controls (C0, DEL, C1, NEL), lone surrogates,
# whitespace that strip() removes, quotes and SQL punctuation, a BOM, an emoji, a right-to-left override.
SPECIAL = st.sampled_from(
    ["\x00", "\x1b", "\x7f", "\x9b", "\x85", "\x1c", "\ud800", "\udcff", "\t", "\n", "\r", " ", "\u3000",
     "'", '"', ";", "-", "\\", "%", "_", "\ufeff", "😀", "\u202e", "\u2028"]
)  # fmt: skip
SIZES = (39, 40, 41, 63, 64, 65, 199, 200, 201, 255, 256, 499, 500, 501, 4999, 5000, 5001, 20000, 20001)
TEXTS = st.one_of(
    st.text(st.one_of(st.characters(), SPECIAL), max_size=40),
    st.builds(lambda n, c, tail: c * n + tail, st.sampled_from(SIZES), st.sampled_from(["x", "长"]), SPECIAL),
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")
# Names, departments, units, titles: one line (see inputs.clean_line).
ONE_LINE = {"measure owner", "person department", "accountability person", "round group", "cooperating unit"}
ONE_LINE |= {"new person's title"}


def acceptable(text: str, limit: int, required: bool, one_line: bool = False) -> bool:
    """The rule every stored text follows (see inputs.clean_text and clean_line), stated independently."""
    s = text.strip()
    fits = not (required and not s) and len(s) <= limit and not _CONTROL.search(s)
    return fits and not (one_line and _LINE_BREAK.search(s))


_counter = itertools.count(1)
Read = Callable[[Connection], Any]
# field → (write it, read back what was stored, limit, required)
FUZZED: dict[str, tuple[TextCase, Read, int, bool]] = {
    "progress text": (
        TEXT_FIELDS["progress text"],
        lambda c: c.execute(sa.select(PROGRESS.c.text).order_by(PROGRESS.c.id.desc()).limit(1)).scalar(),
        20000,
        True,
    ),
    "progress when": (
        TEXT_FIELDS["progress when"],
        lambda c: c.execute(sa.select(PROGRESS.c.when_text).order_by(PROGRESS.c.id.desc()).limit(1)).scalar(),
        40,
        False,
    ),
    "measure text": (
        TEXT_FIELDS["measure text"],
        lambda c: c.execute(sa.select(MEASURE.c.text).order_by(MEASURE.c.id.desc()).limit(1)).scalar(),
        5000,
        True,
    ),
    "measure owner": (
        TEXT_FIELDS["measure owner"],
        lambda c: c.execute(sa.select(MEASURE.c.owner).order_by(MEASURE.c.id.desc()).limit(1)).scalar(),
        200,
        False,
    ),
    "evidence ref": (
        TEXT_FIELDS["evidence ref"],
        lambda c: c.execute(sa.select(EVIDENCE.c.ref).order_by(EVIDENCE.c.id.desc()).limit(1)).scalar(),
        200,
        True,  # without a file, the reference is the evidence
    ),
    "evidence note": (
        TEXT_FIELDS["evidence note"],
        lambda c: c.execute(sa.select(EVIDENCE.c.note).order_by(EVIDENCE.c.id.desc()).limit(1)).scalar(),
        5000,
        False,
    ),
    "person department": (
        lambda c, v: people.add_person(
            c, OFFICE, NOW, name=f"人{next(_counter)}", roles="leader", department=v
        ),
        lambda c: c.execute(sa.select(PERSON.c.department).order_by(PERSON.c.id.desc()).limit(1)).scalar(),
        200,
        False,
    ),
    "rule title": (
        TEXT_FIELDS["rule title"],
        lambda c: c.execute(sa.select(RULE.c.title).order_by(RULE.c.id.desc()).limit(1)).scalar(),
        500,
        True,
    ),
    "accountability person": (
        TEXT_FIELDS["accountability person"],
        lambda c: c.execute(
            sa.select(ACCOUNTABILITY.c.person).order_by(ACCOUNTABILITY.c.id.desc()).limit(1)
        ).scalar(),
        64,
        True,
    ),
    "accountability reason": (
        TEXT_FIELDS["accountability reason"],
        lambda c: c.execute(
            sa.select(ACCOUNTABILITY.c.reason).order_by(ACCOUNTABILITY.c.id.desc()).limit(1)
        ).scalar(),
        5000,
        False,
    ),
}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """A seeded database the properties write into (accepted text is stored)."""
    engine = db.make_engine(fresh_url(tmp_path_factory.mktemp("fuzz")), synchronous="OFF")
    seed(engine)
    yield engine
    engine.dispose()


def stored_or_refused(
    engine: sa.Engine, do: Callable[[Connection], object], read: Read, *allowed: object
) -> Any:
    """Run one write; on refusal check that nothing changed and return the refusal, else what was stored."""
    before = dump(engine)
    try:
        write(engine, do)
    except InvalidInput as exc:
        assert_clear(str(exc), *allowed)
        assert dump(engine) == before
        return exc
    with db.reading(engine) as conn:
        return read(conn)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(list(FUZZED)), text=TEXTS)
def test_any_text_in_any_field_is_stored_exactly_or_refused_whole(
    fuzzed: sa.Engine, field: str, text: str
) -> None:
    do, read, limit, required = FUZZED[field]
    outcome = stored_or_refused(fuzzed, lambda c: do(c, text), read, text)
    event("refused" if isinstance(outcome, InvalidInput) else "stored")
    if acceptable(text, limit, required, field in ONE_LINE):
        assert outcome == (text.strip() or None), f"{field}: {text!r} should have been stored as it is"
    else:
        assert isinstance(outcome, InvalidInput), f"{field}: {text!r} should have been refused"


# field in the YAML round → (where it is, how to read it back, limit, required)
YAML_FIELDS: dict[str, tuple[tuple[Any, ...], Callable[[Connection, int], Any], int, bool]] = {
    "round group": (
        ("round", "group"),
        lambda c, r: c.execute(sa.select(ROUND.c.group_name).where(ROUND.c.id == r)).scalar(),
        200,
        True,
    ),
    "aspect title": (
        ("aspects", 0, "title"),
        lambda c, r: c.execute(sa.select(ASPECT.c.title).where(ASPECT.c.round_id == r)).scalar(),
        500,
        True,
    ),
    "item title": (("aspects", 0, "items", 0, "title"), lambda c, r: _first_item(c, r).title, 500, True),
    "item description": (
        ("aspects", 0, "items", 0, "description"),
        lambda c, r: _first_item(c, r).description,
        20000,
        False,
    ),
    "cooperating unit": (
        ("aspects", 0, "items", 0, "cooperating", 0),
        lambda c, r: _first_item(c, r).cooperating,
        1000,
        False,
    ),
    "measure text": (
        ("aspects", 0, "items", 0, "measures", 0, "text"),
        lambda c, r: c.execute(
            sa.select(MEASURE.c.text).where(MEASURE.c.item_id == _first_item(c, r).id, MEASURE.c.seq == 1)
        ).scalar(),
        5000,
        True,
    ),
    "new person's title": (
        ("people", 6, "title"),
        lambda c, r: c.execute(sa.select(PERSON.c.title).order_by(PERSON.c.id.desc()).limit(1)).scalar(),
        200,
        False,
    ),
}


def _first_item(conn: Connection, round_id: int) -> Any:
    return conn.execute(sa.select(ITEM).where(ITEM.c.round_id == round_id, ITEM.c.number == "一/1")).one()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(list(YAML_FIELDS)), text=TEXTS)
def test_any_text_in_a_yaml_round_is_imported_exactly_or_refused_whole(
    fuzzed: sa.Engine, tmp_path_factory: pytest.TempPathFactory, field: str, text: str
) -> None:
    where, read, limit, required = YAML_FIELDS[field]
    n = next(_counter)
    data = round_yaml.load_yaml(SEED)
    data["round"]["name"] = f"模糊测试轮次{n}"
    data["people"].append({"name": f"新人{n}", "roles": ["leader"]})
    data["aspects"][0]["items"][0]["cooperating"] = [""]
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = text
    document = yaml.safe_dump(data, allow_unicode=True)
    # What the file says is what YAML reads back (a NEL in a plain scalar is a line break, for one).
    said = round_yaml.load_yaml(document)
    for key in where:
        said = said[key]
    path = tmp_path_factory.mktemp("yaml") / "round.yaml"
    path.write_text(document, encoding="utf-8")

    def do(conn: Connection) -> None:
        round_yaml.import_round(conn, round_yaml.load_file(path), OFFICE, NOW)

    def stored(conn: Connection) -> Any:
        round_id = conn.execute(sa.select(ROUND.c.id).where(ROUND.c.name == f"模糊测试轮次{n}")).scalar_one()
        return read(conn, round_id)

    outcome = stored_or_refused(fuzzed, do, stored, said, path)
    event("refused" if isinstance(outcome, InvalidInput) else "stored")
    if acceptable(said, limit, required, field in ONE_LINE):
        expected = said.strip() if field != "new person's title" else (said.strip() or None)
        assert outcome == expected, f"{field}: {said!r} should have been imported as it is"
    else:
        assert isinstance(outcome, InvalidInput), f"{field}: {said!r} should have been refused"


def test_an_empty_leader_or_handler_in_yaml_is_absent_not_a_person_named_empty(
    engine: sa.Engine, tmp_path: Path
) -> None:
    seed(engine)
    data = round_yaml.load_yaml(SEED)
    item = data["aspects"][0]["items"][0]
    item.update(leader="", handler="  ", department="")
    data["aspects"][0]["items"][0]["measures"][0]["owner"] = ""
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    import_yaml(engine, path)  # PostgreSQL refused it before: '' is no person (item_leader_fkey)
    with db.reading(engine) as conn:
        round_id = conn.execute(sa.select(ROUND.c.id).where(ROUND.c.name == "另一轮巡察")).scalar_one()
        first = _first_item(conn, round_id)
        assert (first.leader, first.handler, first.department) == (None, None, None)
        assert conn.execute(sa.select(MEASURE.c.owner).where(MEASURE.c.item_id == first.id)).scalar() is None
