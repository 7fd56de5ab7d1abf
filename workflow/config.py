"""Configuration: one TOML file (standard library tomllib), a section per concern.

Looked up in order: --config FILE, the ZHENGGAI_CONFIG environment variable, ./zhenggai.toml.
A missing default file means built-in defaults; a named file that is missing or malformed is an error.
Each module that owns a section validates it itself (see `reminders`, `reports`).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from workflow.errors import InvalidInput
from workflow.inputs import read_file

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
