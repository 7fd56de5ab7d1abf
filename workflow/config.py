"""Configuration: one TOML file (standard library tomllib), a section per concern.

Looked up in order: --config FILE, the ZHENGGAI_CONFIG environment variable, ./zhenggai.toml.
A missing default file means built-in defaults; a named file that is missing or malformed is an error.
Each package that owns a section validates it itself (`reminders.settings`, `reports.settings`); the
warning lights, which everything shows, are read here (`yellow_days`).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from states.categories import LABELS, Category, Rate
from workflow.errors import InvalidInput
from workflow.inputs import read_file

if TYPE_CHECKING:
    from states.colours import Scheme

DEFAULT_FILE = "zhenggai.toml"
MAX_FILE_BYTES = 1024 * 1024


def load(path: str | Path | None = None) -> dict[str, Any]:
    named = path or os.environ.get("ZHENGGAI_CONFIG")
    file = Path(named) if named else Path(DEFAULT_FILE)
    if not file.exists():
        if named:
            raise InvalidInput(f"配置文件不存在：{file}")
        return {}
    raw = read_file(file, MAX_FILE_BYTES, empty_ok=True)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"配置文件 {file} 不是 UTF-8 文本（第 {exc.start} 字节）：请另存为 UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib says where in English ("Invalid value (at line 3, column 7)"); keep only the where.
        at = re.search(r"line (\d+), column (\d+)", str(exc))
        where = f"第 {at[1]} 行第 {at[2]} 列" if at else "文件末尾"
        raise InvalidInput(f"配置文件 {file} 不是有效的 TOML：{where}有语法错误") from None


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise InvalidInput(f"配置项 [{name}] 应是一个表（table）")
    return value


# Where the yellow threshold was set before it became one setting; still read, and must agree.
_OLD_YELLOW_KEYS = (("report", "yellow_days"), ("reminders.deadline", "warning_days"))


def yellow_days(config: dict[str, Any]) -> int:
    """[lights] yellow_days: how many days before its deadline an open item turns yellow, on the board,
    in the ledger, the reports and `item list`, and when the yellow reminder (黄灯预警) goes out.

    The older keys [report] yellow_days and [reminders.deadline] warning_days still work; when more
    than one is set they must agree, so that the board and the reminders never show different colours."""
    from states.colours import YELLOW_DAYS

    lights = section(config, "lights")
    unknown = sorted(set(lights) - {"yellow_days", "colours"})
    if unknown:
        raise InvalidInput(f"配置 [lights] 中有未知项：{'、'.join(unknown)}（可用：yellow_days、colours）")
    found: dict[str, object] = {}
    if "yellow_days" in lights:
        found["[lights] yellow_days"] = lights["yellow_days"]
    for where, key in _OLD_YELLOW_KEYS:
        table: Any = config
        for part in where.split("."):
            table = table.get(part, {}) if isinstance(table, dict) else {}
        if isinstance(table, dict) and key in table:
            found[f"[{where}] {key}"] = table[key]
    given: dict[str, int] = {}
    for name, value in found.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365:
            raise InvalidInput(f"配置 {name} = {value!r} 有误：应为 0 到 365 之间的整数")
        given[name] = value
    if len(set(given.values())) > 1:
        shown = "、".join(f"{name} = {value}" for name, value in given.items())
        raise InvalidInput(f"黄灯天数设置不一致：{shown}；请只在 [lights] yellow_days 中设置一处")
    return next(iter(given.values()), YELLOW_DAYS)


def light_scheme(config: dict[str, Any]) -> Scheme:
    """[lights.colours]: which colour each meaning of a light shows, for `item list`/`item show`, the
    board, the ledger export and the reminders. Keys are meanings (done, ongoing, overdue, submitted,
    near, on_track, or their Chinese: 已完成, 长期坚持, 逾期, 已报结待验收 / 已报结, 临近时限, 按期推进);
    values colours (green/yellow/red/blue or 绿/黄/红/蓝, 绿灯 …). Unset meanings keep their default.

        [lights.colours]
        submitted = "蓝"   # 已报结待验收亮蓝灯
    """
    from states.colours import COLOUR_NAMES, DEFAULT_SCHEME, MEANING_LABELS, Meaning

    table = section(config, "lights").get("colours", {})
    if not isinstance(table, dict):
        raise InvalidInput("配置项 [lights.colours] 应是一个表（table）")
    names = {
        **{m.value: m for m in Meaning},
        **{v: k for k, v in MEANING_LABELS.items()},
        "已报结": Meaning.submitted,
    }
    scheme = dict(DEFAULT_SCHEME)
    for key, value in table.items():
        meaning = names.get(str(key).strip())
        if meaning is None:
            shown = "、".join(f"{m.value}（{m.label}）" for m in Meaning)
            raise InvalidInput(f"配置 [lights.colours] 中有未知的含义 {key!r}（可用：{shown}）")
        found = COLOUR_NAMES.get(value.strip()) if isinstance(value, str) else None
        if found is None:
            raise InvalidInput(
                f"配置 [lights.colours] {key} = {value!r} 不是可用的颜色（green、yellow、red、blue，或 绿、黄、红、蓝）"
            )
        scheme[meaning] = found
    return scheme


def rate_precision(config: dict[str, Any]) -> int:
    """[report] rate_precision: decimals of the completion rate everywhere it is printed (summary,
    reports, the board, the monthly reminder): 0 gives 67%, 2 gives 98.71%."""
    value = section(config, "report").get("rate_precision", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4:
        raise InvalidInput("配置 [report] rate_precision 应为 0 到 4 之间的整数")
    return value


def category_labels(config: dict[str, Any]) -> dict[Category, str]:
    """[categories]: the wording of each completion category (completed = "已完成", basic = "基本完成",
    in_progress = "正在整改", not_done = "未完成", ongoing = "长期坚持"), in every output."""
    raw = section(config, "categories")
    unknown = sorted(set(raw) - {c.value for c in Category})
    if unknown:
        known = "、".join(c.value for c in Category)
        raise InvalidInput(f"配置 [categories] 中有未知项：{'、'.join(unknown)}（可用：{known}）")
    labels = dict(LABELS)
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip() or len(value) > 20 or not value.isprintable():
            raise InvalidInput(f"配置 [categories] {key} 应为 1 到 20 个字的一行文字")
        labels[Category(key)] = value.strip()
    if len(set(labels.values())) < len(labels):
        raise InvalidInput("配置 [categories] 中各完成类别的说法不能相同")
    return labels


def rate(config: dict[str, Any]) -> Rate:
    """The completion rate: [report] rate_counts (which categories count as done; default only
    已完成, so 基本完成 is not done) and [report] rate_precision. One setting for summary, the
    reports, the board, the ledger export and the reminders."""
    labels = category_labels(config)
    by_word = {**{c.value: c for c in Category}, **{w: c for c, w in labels.items()}}
    by_word.update({w: c for c, w in LABELS.items()})
    value = section(config, "report").get("rate_counts", [Category.completed.value])
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput('配置 [report] rate_counts 应为完成类别的列表，如 ["已完成"]')
    wrong = [v for v in value if v not in by_word]
    if wrong:
        known = "、".join(labels[c] for c in Category)
        raise InvalidInput(
            f"配置 [report] rate_counts 中有未知的完成类别：{'、'.join(wrong)}（可用：{known}）"
        )
    return Rate(frozenset(by_word[v] for v in value), rate_precision(config))
