"""Evidence uploads: within the size limit of the command line's --file, not empty, and of a type
whose content matches its name (a photo named .jpg must be a JPEG): what the browser says the type is
counts for nothing. Kept to kinds a browser shows safely or downloads (no SVG, no HTML)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

from fastapi import UploadFile

from workflow.errors import InvalidInput
from workflow.inputs import size_text

# Magic bytes of each accepted kind, and the extensions that name it.
_KINDS: dict[str, tuple[tuple[bytes, ...], tuple[str, ...], str]] = {
    "jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg"), "image/jpeg"),
    "png": ((b"\x89PNG\r\n\x1a\n",), (".png",), "image/png"),
    "gif": ((b"GIF87a", b"GIF89a"), (".gif",), "image/gif"),
    "pdf": ((b"%PDF-",), (".pdf",), "application/pdf"),
    "zip": ((b"PK\x03\x04",), (".docx", ".xlsx", ".pptx", ".zip", ".ofd"), "application/octet-stream"),
    "ole": ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), (".doc", ".xls", ".ppt"), "application/octet-stream"),
}
ACCEPTED = sorted(ext for _, exts, _ in _KINDS.values() for ext in exts)
IMAGES = {".jpg", ".jpeg", ".png", ".gif"}


def media_type(name: str) -> str:
    ext = Path(name).suffix.lower()
    return next((mime for _, exts, mime in _KINDS.values() if ext in exts), "application/octet-stream")


def _base_name(name: str) -> str:
    """The file's own name, whatever folders a browser (or an attacker) put before it."""
    return PureWindowsPath(PurePosixPath(name).name).name.strip()


def checked(name: str, data: bytes, limit: int) -> str:
    """The name to store, or InvalidInput saying why the upload is refused."""
    base = _base_name(name)
    if not base:
        raise InvalidInput("请选择要上传的文件")
    if len(base.encode()) > 200 or any(ord(c) < 32 or c == "\x7f" for c in base):
        raise InvalidInput("文件名太长或含有控制字符，请改名后上传")
    if not data:
        raise InvalidInput(f"{base} 是空文件")
    if len(data) > limit:
        raise InvalidInput(f"{base} 太大（超过 {size_text(limit)}）")
    ext = Path(base).suffix.lower()
    kind = next((k for k, (_, exts, _) in _KINDS.items() if ext in exts), None)
    if kind is None:
        raise InvalidInput(f"不接受 {ext or '无扩展名'} 类型的文件（可上传：{' '.join(ACCEPTED)}）")
    if not data.startswith(_KINDS[kind][0]):
        raise InvalidInput(f"{base} 的内容与扩展名 {ext} 不符，拒绝上传")
    return base


@contextmanager
def saved(upload: UploadFile, limit: int) -> Iterator[Path]:
    """The upload checked and written to a private temporary folder under its own name (the use case
    takes a path, as the command line gives it), removed afterwards."""
    data = upload.file.read(limit + 1)
    base = checked(upload.filename or "", data, limit)
    with tempfile.TemporaryDirectory(prefix="zhenggai-upload-") as folder:
        path = Path(folder) / base
        path.write_bytes(data)
        yield path
