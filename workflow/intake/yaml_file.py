"""A YAML file a person typed: read as plain data (no aliases, dates left as text), and every problem
told in Chinese with its place — the line for a syntax error, the path (aspects[0].items[2]) for a
value the model refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workflow.errors import InvalidInput
from workflow.inputs import binary_kind

MAX_SHOWN = 200  # errors listed in the message; the rest are counted


class Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date (2025-13-01) reaches our own parser and is
    reported with its path, instead of failing the whole load inside PyYAML; and refuses aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # An alias (*name) repeats a node without copying it, so a 1 KB file of nested aliases
        # ("billion laughs") stands for billions of values that the validation would walk. A round
        # file has no need for them: refused at the first one, before anything is built.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "found alias", event.start_mark)
        return super().compose_node(parent, index)


Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=Loader)


# PyYAML's problems, as a clerk editing the file in Notepad would understand them.
_YAML_PROBLEMS = (
    ("cannot start any token", "含有制表符或不能出现在这里的字符（缩进只能用空格）"),
    ("special characters are not allowed", "含有不允许的控制字符"),
    ("mapping values are not allowed", "这里不能有冒号（值中含有冒号时请给整个值加引号）"),
    ("could not find expected ':'", "缺少冒号（应为「键: 值」）"),
    ("could not determine a constructor", "含有不支持的标签（!!…）"),
    ("found alias", "含有锚点引用（*名称）：不支持锚点和引用，请把内容直接写出"),
    ("unknown escape character", "引号中有未知的转义字符（\\ 后的字符）"),
    ("end of stream", "引号或括号没有成对"),
    ("expected ',' or", "括号没有成对，或缺少逗号"),
    ("expected <block end>", "缩进不一致"),
    ("did not find expected", "缩进不一致，或缺少「- 」或「键:」"),
)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = str(getattr(exc, "problem", None) or "")
    return next((text for key, text in _YAML_PROBLEMS if key in problem), "格式错误")


def parse(path: Path, raw: bytes) -> Any:
    """The file's bytes as data; InvalidInput naming the line of the first problem."""
    kind = binary_kind(raw)
    if kind is not None:
        raise InvalidInput(f"{path} 不是 YAML 文本：{kind}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} 不是 UTF-8 文本（第 {exc.start} 字节）：请另存为 UTF-8") from None
    try:
        return load_yaml(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow anywhere
        line = text.count("\n", 0, exc.position) + 1
        raise InvalidInput(
            f"{path} 不是有效的 YAML：第 {line} 行含有不允许的控制字符 {chr(exc.character)!r}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise InvalidInput(f"{path} 不是有效的 YAML：{where}{_yaml_problem(exc)}") from None
    except RecursionError:
        raise InvalidInput(f"{path} 不是有效的 YAML：嵌套层次过深") from None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（文件）"


# pydantic's error types in the words of this file format (value_error: our own message, in Chinese).
_VALIDATION_MESSAGES = {
    "missing": "缺少此项",
    "extra_forbidden": "未知的项（请检查拼写，可用的项见 README 的导入格式）",
    "invalid_key": "键应为文本",
    "string_type": "应为文本",
    "string_unicode": "含有无法识别的字符：文字不是有效的 UTF-8",
    "string_too_short": "不能为空",
    "string_too_long": "过长（最多 {max_length} 字）",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为列表（以「- 」开头的各行，或 [a, b]）",
    "model_type": "应为映射（「键: 值」的各行）",
    "model_attributes_type": "应为映射（「键: 值」的各行）",
    "dict_type": "应为映射（「键: 值」的各行）",
    "enum": "应为以下之一：{expected}",
}


def _validation_message(error: Any) -> str:
    kind = error["type"]
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = _VALIDATION_MESSAGES.get(kind, "无效的值")
    return template.format(**error.get("ctx", {}))


def invalid(path: Path, exc: ValidationError) -> InvalidInput:
    """Every value the model refused, one line each with its path in the file."""
    lines = [f"{_path(e['loc'])}: {_validation_message(e)}" for e in exc.errors()]
    more = f"\n……另有 {len(lines) - MAX_SHOWN} 处错误未列出" if len(lines) > MAX_SHOWN else ""
    return InvalidInput(f"{path} 有 {len(lines)} 处错误：\n" + "\n".join(lines[:MAX_SHOWN]) + more)
