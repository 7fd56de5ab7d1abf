"""Configuration: one TOML file (standard library tomllib), a section per concern.

Looked up in order: --config FILE, the ZHENGGAI_CONFIG environment variable, ./zhenggai.toml.
A missing default file means built-in defaults; a named file that is missing or malformed is an error.
Each module that owns a section validates it itself (see `reminders`, `reports`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from workflow.errors import InvalidInput

DEFAULT_FILE = "zhenggai.toml"


def load(path: str | Path | None = None) -> dict[str, Any]:
    named = path or os.environ.get("ZHENGGAI_CONFIG")
    file = Path(named) if named else Path(DEFAULT_FILE)
    if not file.exists():
        if named:
            raise InvalidInput(f"配置文件不存在：{file}")
        return {}
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"配置文件 {file} 有误：{exc}") from None


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise InvalidInput(f"配置项 [{name}] 应是一个表（table）")
    return value
