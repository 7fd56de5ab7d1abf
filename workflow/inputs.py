"""Files people hand in (a round in YAML, a ledger, an evidence file, the configuration): read whole,
bounded, and refused with a reason a clerk can act on instead of an operating-system message."""

from __future__ import annotations

import errno
import re
import stat
from datetime import date, datetime
from pathlib import Path

from workflow.clock import local_today
from workflow.errors import InvalidInput

MAX_TEXT = 20000  # the longest free text a person may type (a description, a progress note)
# The largest id or count a database integer holds (BIGINT on PostgreSQL, INTEGER on SQLite).
MAX_INT = 2**63 - 1

_REASONS = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ELOOP: "符号链接循环",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.EROFS: "只读的文件系统",
    errno.ENOSPC: "磁盘已满",
    errno.EIO: "读写出错",
}


_MAGIC = {
    b"PK\x03\x04": "这是一个 zip 压缩包（.xlsx 工作簿也是：若是，请把扩展名改为 .xlsx）",
    b"\xd0\xcf\x11\xe0": "这是旧版 Excel（.xls）或其他 Office 97–2003 文件，请在 Excel 中“另存为” .xlsx",
    b"\x89PNG": "这是一张 PNG 图片",
    b"\xff\xd8\xff": "这是一张 JPEG 图片",
    b"%PDF": "这是一个 PDF 文件",
}


def binary_kind(raw: bytes) -> str | None:
    """What a file is by its first bytes, when it is a kind people mistake for a text or a ledger."""
    return next((text for magic, text in _MAGIC.items() if raw.startswith(magic)), None)


def size_text(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n} 字节"


def os_reason(exc: OSError) -> str:
    """Why a file could not be used, in Chinese (the operating system's own text is English)."""
    return _REASONS.get(exc.errno or 0) or f"系统错误 {exc.errno}"


def _unreadable(path: Path, exc: OSError) -> InvalidInput:
    reason = "文件不存在" if exc.errno == errno.ENOENT else os_reason(exc)
    return InvalidInput(f"无法读取 {path}：{reason}")


def read_file(path: Path, limit: int, *, empty_ok: bool = False) -> bytes:
    """The whole of a regular file of at most `limit` bytes (and not empty, unless `empty_ok`); the
    size is checked before reading, so a huge file (or a device that never ends) costs nothing."""
    try:
        info = path.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(f"无法读取 {path}：这是一个文件夹，不是文件")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"无法读取 {path}：不是普通文件（设备、管道或套接字）")
    if info.st_size == 0 and not empty_ok:
        raise InvalidInput(f"{path} 是空文件")
    if info.st_size > limit:
        raise InvalidInput(f"{path} 太大（{size_text(info.st_size)}，最多 {size_text(limit)}）")
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if len(data) > limit:  # it grew after the check
        raise InvalidInput(f"{path} 太大（超过 {size_text(limit)}）")
    return data


# --- text a person typed ----------------------------------------------------------------------------

# C0 controls but tab and newline, DEL, C1 controls; and lone surrogates, which is what Python makes of
# bytes that were not UTF-8 (a GBK argument in a UTF-8 terminal) and which no database can store.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: object, label: str, limit: int = MAX_TEXT, *, required: bool = False) -> str:
    """Strip; refuse control characters (they corrupt ledgers and terminals), text that was not valid
    UTF-8, and overlong text. Every text a use case stores passes through here."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput(f"{label}不能为空")
    if len(text) > limit:
        raise InvalidInput(f"{label}过长（{len(text)} 字，最多 {limit} 字）")
    if bad := _CONTROL.search(text):
        raise InvalidInput(f"{label}含有控制字符 {bad.group()!r}")
    if bad := _SURROGATE.search(text):
        raise InvalidInput(f"{label}含有无法识别的字符 {bad.group()!r}：文字不是有效的 UTF-8（编码不对？）")
    return text


def clean_optional(value: object, label: str, limit: int) -> str | None:
    """clean_text for an optional field: empty becomes None."""
    return clean_text(value, label, limit) or None


# Tab, line feed and carriage return (which clean_text lets through for descriptions), and the Unicode
# line and paragraph separators: a name or a unit on two lines breaks mail headers, file names and
# one-line tables.
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")


def clean_line(value: object, label: str, limit: int, *, required: bool = False) -> str:
    """clean_text for a one-line text — a person's name, a department or unit, a title, a round's name:
    no tab or line break either."""
    text = clean_text(value, label, limit, required=required)
    if bad := _LINE_BREAK.search(text):
        raise InvalidInput(f"{label}含有换行符或制表符 {bad.group()!r}：只能填写一行")
    return text


def clean_line_optional(value: object, label: str, limit: int) -> str | None:
    """clean_line for an optional field: empty becomes None."""
    return clean_line(value, label, limit) or None


# What a mail server accepts as an address: ASCII, one @, a dotted domain; no spaces, quotes, angle
# brackets, commas or semicolons, which would make one address into several in a mail header.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)


def clean_email(value: object, label: str = "邮箱", limit: int = 200) -> str | None:
    """An optional e-mail address (name@example.cn); empty becomes None."""
    text = clean_line_optional(value, label, limit)
    if text is not None and not _EMAIL.fullmatch(text):
        raise InvalidInput(f"{label} {text!r} 不是有效的电子邮箱地址（应如 name@example.cn）")
    return text


def occurred(day: date, now: datetime, label: str) -> date:
    """A date of something that has happened (progress, a measure done, a rule issued): not after today."""
    if day > local_today(now):
        raise InvalidInput(f"{label} {day} 晚于今天（{local_today(now)}）：只记录已经发生的事")
    return day
