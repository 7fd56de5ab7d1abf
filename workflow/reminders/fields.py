"""What a value in zhenggai.toml may be, and how a mistake in it reads: annotated field types for the
pydantic models of `settings`, and pydantic's errors turned into Chinese that names the table and key
(配置 [reminders.weekly] weekday = 'xyz' 有误：应为mon、tue… 之一)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError, core_schema

Tables = dict[tuple[str, ...], type[BaseModel]]  # the TOML tables, by path: ("reminders", "weekly") → …


def expected(what: str) -> PydanticCustomError:
    """Read as: 配置 [table] key = value 有误：应为{what}."""
    return PydanticCustomError("expected", "应为{what}", {"what": what})


def says(text: str) -> PydanticCustomError:
    """Read as: 配置 [table] key{text}, or 配置 [table] {text} when it is about the whole table."""
    return PydanticCustomError("says", "{text}", {"text": text})


class Checked:
    """Annotated metadata: validate with a pydantic-core schema; any mistake reads 应为{what}."""

    def __init__(self, what: str, schema: core_schema.CoreSchema) -> None:
        self.what, self.schema = what, schema

    def __get_pydantic_core_schema__(self, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(self._check, self.schema)

    def _check(self, value: Any, inner: core_schema.ValidatorFunctionWrapHandler) -> Any:
        try:
            return inner(value)
        except ValidationError:
            raise expected(self.what) from None


class Parsed:
    """Annotated metadata: a function that parses the value and raises its own `expected`/`says`."""

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        self.parse = parse

    def __get_pydantic_core_schema__(self, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.parse)


_TEXT = core_schema.str_schema(strict=True, strip_whitespace=True, min_length=1)


def whole(low: int, high: int) -> Checked:
    return Checked(f" {low} 到 {high} 之间的整数", core_schema.int_schema(strict=True, ge=low, le=high))


def one_of(choices: tuple[str, ...], *, index: bool = False) -> Checked:
    """One of `choices` (stripped); with `index`, its position in them (mon → 0)."""
    schema: core_schema.CoreSchema = core_schema.chain_schema(
        [_TEXT, core_schema.literal_schema(list(choices))]
    )
    if index:
        schema = core_schema.no_info_after_validator_function(choices.index, schema)
    return Checked(f"{'、'.join(choices)} 之一", schema)


def _clock(value: Any) -> time:
    if isinstance(value, time):  # TOML local time: 09:00:00
        return value.replace(tzinfo=None)
    return time.fromisoformat(str(value))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def days(*, annual_ok: bool) -> Parsed:
    """A list of dates as YYYY-MM-DD (or TOML dates); with `annual_ok`, also MM-DD meaning every year,
    kept as (month, day)."""
    form = "YYYY-MM-DD 或每年的 MM-DD" if annual_ok else "YYYY-MM-DD"

    def parse(raw: Any) -> frozenset[date | tuple[int, int]]:
        if not isinstance(raw, list):
            raise expected("日期列表")
        out: set[date | tuple[int, int]] = set()
        for value in raw:
            text = str(value).strip()
            try:
                if isinstance(value, date):
                    out.add(value)
                elif annual_ok and len(text) == 5 and text[2] == "-":
                    month, day = int(text[:2]), int(text[3:])
                    date(2024, month, day)  # a leap year, so 02-29 is accepted
                    out.add((month, day))
                else:
                    out.add(date.fromisoformat(text))
            except ValueError:
                raise says(f" 中的 {value!r} 不是有效日期（应为 {form}）") from None
        return frozenset(out)

    return Parsed(parse)


FLAG = Checked(" true 或 false", core_schema.bool_schema(strict=True))
TEXT = Checked("非空字符串", _TEXT)
SECRET = Checked("非空字符串", core_schema.str_schema(strict=True, min_length=1))  # used as given
TEXTS = Checked(
    '字符串列表，如 ["a", "b"]',
    core_schema.no_info_after_validator_function(tuple, core_schema.list_schema(_TEXT, strict=True)),
)
PATH = Checked("非空字符串", core_schema.no_info_after_validator_function(Path, _TEXT))
SECONDS = Checked("大于 0 的数", core_schema.float_schema(strict=True, gt=0))
CLOCK = Checked('北京时间 HH:MM，如 "09:00"', core_schema.no_info_plain_validator_function(_clock))
DAY = Checked("日期 YYYY-MM-DD", core_schema.no_info_plain_validator_function(_day))
EMAIL = Checked("发件人邮箱地址", core_schema.str_schema(strict=True, strip_whitespace=True, pattern="@"))
URL = Checked(
    " http:// 或 https:// 开头的地址",
    core_schema.str_schema(strict=True, strip_whitespace=True, pattern="^https?://"),
)


# --- pydantic's errors in Chinese ----------------------------------------------------------------------


def tables(model: type[BaseModel], path: tuple[str, ...] = ()) -> Tables:
    """Every table under `model` (a field whose type is a model), by its path."""
    out: Tables = {}
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation) or (field.annotation,)
        for sub in (a for a in args if isinstance(a, type) and issubclass(a, BaseModel)):
            out[(*path, name)] = sub
            out |= tables(sub, (*path, name))
    return out


def _place(loc: tuple[int | str, ...], known: Tables) -> tuple[tuple[str, ...], str | None]:
    """(the table, the key in it) of an error's location."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in known:
            key = loc[n] if n < len(loc) else None
            return tuple(str(p) for p in loc[:n]), None if key is None else str(key)
    return (), str(loc[0]) if loc else None


def messages(exc: ValidationError, known: Tables) -> list[str]:
    """One line per mistake; the unknown keys of a table on one line, first, as a misspelt key is
    often why another key seems missing."""
    unknown: dict[tuple[str, ...], list[str]] = {}
    lines: list[str] = []
    for e in exc.errors():
        table, key = _place(e["loc"], known)
        where = f"[{'.'.join(table)}]"
        at = f"{where} {key}" if key else where
        if e["type"] == "extra_forbidden":
            unknown.setdefault(table, []).append(key or "")
        elif e["type"] == "says":
            lines.append(f"配置 {at}{e['msg']}" if key else f"配置 {where} {e['msg']}")
        elif e["type"] in ("model_type", "model_attributes_type", "dict_type"):
            lines.append(f"配置项 {where} 应是一个表（table）")
        else:  # "expected"; any other kind is a field that forgot its words (a test checks none does)
            lines.append(f"配置 {at} = {e['input']!r} 有误：{e['msg']}")
    first = [
        f"配置 [{'.'.join(table)}] 中有未知项：{'、'.join(sorted(keys))}"
        f"（可用：{'、'.join(known[table].model_fields)}）"
        for table, keys in unknown.items()
    ]
    return first + lines
