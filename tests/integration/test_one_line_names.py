"""Names, departments, units, titles and e-mail addresses are one line (issue 9 §5): a tab or a line
break in them is refused like a control character wherever they come in — the use cases (what
`person add`, `item reassign`, `item measure-add`, `accountability add` reach), a YAML round, a ledger's
cells, a new round named for a ledger — and nothing is stored. A line break in a leader's name once
stopped the reminders for everyone (it reached a mail header)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from tests.backends import fresh_url
from tests.bad_input_fixtures import HANDLER, LEADER, OFFICE, assert_clear, dump, seed
from tests.ledger_fixtures import HEADER, row, write_csv, write_xlsx
from workflow import clock, db
from workflow.db.tables.core import PERSON
from workflow.demo import example_path
from workflow.errors import InvalidInput
from workflow.intake import round_yaml
from workflow.intake.ledger import apply, plan, workbook
from workflow.items import actions, editing, people, round_records

NOW = clock.parse_moment("2025-01-10T10:00")
EARLIER = clock.local_today(NOW).replace(day=9)
BREAKS = {"newline": "甲\n乙", "tab": "甲\t乙", "CR": "甲\r乙", "line separator": "甲\u2028乙"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """One seeded database (item 1 in 整改中) for every refusal here: each must leave it as it was."""
    engine = db.make_engine(fresh_url(tmp_path_factory.mktemp("lines")), synchronous="NORMAL")
    seed(engine)
    yield engine
    engine.dispose()


@contextmanager
def refused(engine: sa.Engine, says: str) -> Iterator[None]:
    before = dump(engine)
    with pytest.raises(InvalidInput, match=re.escape(says)) as caught:
        yield
    assert_clear(str(caught.value))
    assert says in str(caught.value)
    assert dump(engine) == before


def write(engine: sa.Engine, action: Callable[[Connection], object]) -> None:
    with db.unit_of_work(engine) as conn:
        action(conn)


# --- the use cases ------------------------------------------------------------------------------------


def _add_with(key: str, conn: Connection, value: str) -> object:
    given: dict[str, Any] = {"aspect": "一", "title": "新问题", "deadline": "2025-03-31", key: value}
    return editing.add_item(conn, OFFICE, NOW, **given)


UseCase = Callable[[Connection, str], object]
ONE_LINE: dict[str, UseCase] = {
    "person name": lambda c, v: people.add_person(c, OFFICE, NOW, name=v, roles="leader"),
    "person department": lambda c, v: people.add_person(
        c, OFFICE, NOW, name="新人", roles="leader", department=v
    ),
    "person title": lambda c, v: people.add_person(c, OFFICE, NOW, name="新人", roles="leader", title=v),
    "person email": lambda c, v: people.add_person(c, OFFICE, NOW, name="新人", roles="leader", email=v),
    "reassign leader": lambda c, v: actions.reassign(c, 1, OFFICE, NOW, reason="分工调整", leader=v),
    "reassign department": lambda c, v: actions.reassign(c, 1, OFFICE, NOW, reason="分工调整", department=v),
    "reassign handler": lambda c, v: actions.reassign(c, 1, OFFICE, NOW, reason="分工调整", handler=v),
    "reassign cooperating": lambda c, v: actions.reassign(
        c, 1, OFFICE, NOW, reason="分工调整", cooperating=v
    ),
    "measure owner": lambda c, v: actions.add_measure(c, 1, OFFICE, NOW, text="新措施", owner=v),
    "accountability person": lambda c, v: round_records.add_accountability(
        c, OFFICE, NOW, person=v, measure="约谈", decided_on=EARLIER
    ),
    "accountability post": lambda c, v: round_records.add_accountability(
        c, OFFICE, NOW, person="张某", measure="约谈", decided_on=EARLIER, post=v
    ),
    # issue 10 §4: a person edited, a problem added by hand
    "person edit department": lambda c, v: people.edit_person(c, OFFICE, NOW, name=LEADER, department=v),
    "person edit title": lambda c, v: people.edit_person(c, OFFICE, NOW, name=LEADER, title=v),
    "person edit email": lambda c, v: people.edit_person(c, OFFICE, NOW, name=LEADER, email=v),
    **{
        f"item add {key}": partial(_add_with, key)
        for key in ("aspect", "leader", "department", "handler", "cooperating")
    },
}


@pytest.mark.parametrize("kind", list(BREAKS))
@pytest.mark.parametrize("field", list(ONE_LINE))
def test_a_line_break_or_tab_in_a_name_or_unit_is_refused_and_stores_nothing(
    shared: sa.Engine, field: str, kind: str
) -> None:
    says = "含有控制字符" if kind == "CR" else "含有换行符或制表符"  # CR was always refused
    with refused(shared, says):
        write(shared, lambda c: ONE_LINE[field](c, BREAKS[kind]))


def test_line_breaks_stay_allowed_where_text_is_prose(shared: sa.Engine) -> None:
    write(shared, lambda c: actions.add_progress(c, 1, HANDLER, NOW, on=EARLIER, text="第一段\n第二段\t续"))


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "xin@",
        "@example.cn",
        "xin@example",
        "a@b.cn, c@d.cn",
        "<xin@example.cn>",
        "徐波@镇.cn",
    ],
)
def test_an_email_address_must_look_like_one(shared: sa.Engine, email: str) -> None:
    with refused(shared, "不是有效的电子邮箱地址（应如 name@example.cn）"):
        write(shared, lambda c: people.add_person(c, OFFICE, NOW, name="新人", roles="leader", email=email))


def test_a_plain_email_address_is_stored(engine: sa.Engine) -> None:
    seed(engine)
    write(
        engine,
        lambda c: people.add_person(c, OFFICE, NOW, name="新人", roles="leader", email=" xin@example.cn "),
    )
    with db.reading(engine) as conn:
        assert (
            conn.execute(sa.select(PERSON.c.email).where(PERSON.c.name == "新人")).scalar()
            == "xin@example.cn"
        )


# --- a YAML round -------------------------------------------------------------------------------------

SEED = (
    example_path("taishan.yaml")
    .read_text(encoding="utf-8")
    .replace("县委上下联动乡村振兴专项巡察（太山镇）", "另一轮巡察")
)


def _set(data: dict[str, Any], where: str, value: str) -> None:
    """Set a value by a path such as aspects[0].items[0].leader (the path the error names)."""
    *parents, last = where.replace("[", ".").replace("]", "").split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value


YAML_FIELDS = (
    "round.name",
    "round.group",
    "round.unit",
    "people[0].name",
    "people[0].department",
    "people[0].title",
    "people[0].email",
    "aspects[0].number",
    "aspects[0].items[0].number",
    "aspects[0].items[0].leader",
    "aspects[0].items[0].department",
    "aspects[0].items[0].handler",
    "aspects[0].items[0].cooperating[0]",
    "aspects[0].items[0].measures[0].owner",
)


@pytest.mark.parametrize("kind", ["newline", "tab"])
@pytest.mark.parametrize("where", YAML_FIELDS)
def test_a_line_break_in_a_name_in_a_yaml_round_is_refused_with_its_place(
    shared: sa.Engine, tmp_path: Path, where: str, kind: str
) -> None:
    data = round_yaml.load_yaml(SEED)
    data["aspects"][0]["items"][0]["cooperating"] = ["县自然资源局"]
    data["aspects"][0]["items"][0].setdefault("measures", [{"text": "措施"}])[0]["owner"] = "规划办"
    _set(data, where, BREAKS[kind])
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with refused(shared, f"{where}: 含有换行符或制表符"):
        round_yaml.load_file(path)


def test_an_email_in_a_yaml_round_must_look_like_one(shared: sa.Engine, tmp_path: Path) -> None:
    data = round_yaml.load_yaml(SEED)
    data["people"][1]["email"] = "徐波 <xubo@example.cn>"
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with refused(shared, "people[1].email: 邮箱 '徐波 <xubo@example.cn>' 不是有效的电子邮箱地址"):
        round_yaml.load_file(path)


# --- a ledger -----------------------------------------------------------------------------------------

NEW_ROUND = {"group_name": "县委第一巡察组", "unit": "中共某镇委员会", "feedback_date": "2024-10-14"}


def import_ledger(engine: sa.Engine, path: Path, **new_round: str) -> apply.Summary:
    table = workbook.load(path)
    with db.unit_of_work(engine) as conn:
        target = plan.target_round(
            conn, table.meta, new_round.pop("name", "台账轮次"), **(NEW_ROUND | new_round)
        )
        planned = plan.prepare(conn, table, target, OFFICE, today=clock.local_today(NOW))
        return apply.apply(conn, planned, NOW)


LEDGER_CELLS = {
    "序号": ("A", "序号含有换行符或制表符"),
    "责任领导": ("F", "责任领导含有换行符或制表符"),
    "责任部门": ("G", "责任部门含有换行符或制表符"),
    "责任人": ("I", "责任人含有换行符或制表符"),
}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("kind", ["newline", "tab"])
@pytest.mark.parametrize("header", list(LEDGER_CELLS))
def test_a_line_break_in_a_name_cell_is_reported_at_its_cell(
    shared: sa.Engine, tmp_path: Path, header: str, kind: str, suffix: str
) -> None:
    writer = write_csv if suffix == ".csv" else write_xlsx
    path = writer(tmp_path / f"台账{suffix}", [row(1), row(2, **{header: BREAKS[kind]})], HEADER)
    column, says = LEDGER_CELLS[header]
    with refused(shared, f"第{3 if suffix == '.csv' else 4}行 {column}列（{header}）：{says}"):
        import_ledger(shared, path)


def test_cooperating_units_one_per_line_are_fine_but_a_tab_inside_one_is_not(
    engine: sa.Engine, tmp_path: Path
) -> None:
    seed(engine)
    fine = write_xlsx(tmp_path / "a.xlsx", [row(1, 配合单位="自然资源所\n农业农村办")])
    assert import_ledger(engine, fine).created == 1
    bad = write_xlsx(tmp_path / "b.xlsx", [row(2, 配合单位="自然资源所\t农业农村办")])
    with refused(engine, "第3行 H列（配合单位）：配合单位含有换行符或制表符 '\\t'"):
        import_ledger(engine, bad)


@pytest.mark.parametrize("option", ["name", "group_name", "unit"])
def test_a_new_round_named_for_a_ledger_is_one_line(shared: sa.Engine, tmp_path: Path, option: str) -> None:
    path = write_xlsx(tmp_path / "台账.xlsx", [row(1)])
    with refused(shared, "含有换行符或制表符"):
        import_ledger(shared, path, **{option: "新\n轮次"})
