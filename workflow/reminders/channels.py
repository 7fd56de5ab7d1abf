"""The delivery channels: a Markdown file per message, e-mail over SMTP, and a webhook (JSON, WeCom,
DingTalk with signing). Each raises DeliveryError with a reason for the outbox list.

Every channel carries the message's key (the file name, the Message-ID header, the Idempotency-Key
header) so that a receiver can spot a repeat: delivery is at least once (see `outbox`).

People's text reaches each medium made safe for it: a file name is bounded and never leaves the
reminder folder (no link inside it is followed); a mail header never holds a control character.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import hmac
import json
import os
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any

from workflow import clock
from workflow.reminders.catalogue import label
from workflow.reminders.settings import Settings, SmtpChannel, WebhookChannel
from workflow.reminders.text import who

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
# A file or folder name's UTF-8 bytes: common file systems allow 255; a long department name (three
# bytes a character) is cut well below that, with a hash of the whole name to keep it unique.
_NAME_BYTES = 120
# What must never reach a mail header: C0/C1 controls and the Unicode line separators (a line break
# would start a header of the sender's choosing, e.g. Bcc).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_WECOM_LIMIT = 4000  # bytes of markdown content WeCom accepts (4096, with room for the title)
_DINGTALK_LIMIT = 18000


class DeliveryError(Exception):
    """A channel could not deliver; the message says why, in words for the outbox list."""


@dataclass(frozen=True)
class Delivery:
    id: int
    message_key: str
    channel: str
    address: str
    attempts: int
    rule: str
    recipient: str
    subject: str
    body: str
    data: str
    created_at: datetime


def bounded(name: str, whole: str | None = None) -> str:
    """`name` cut to _NAME_BYTES of UTF-8 at a character boundary, with a hash of `whole` (default:
    the name) so that two long names that share their beginning stay apart."""
    raw = name.encode()
    if len(raw) <= _NAME_BYTES:
        return name
    digest = hashlib.sha256((whole or name).encode()).hexdigest()[:12]
    return raw[: _NAME_BYTES - len(digest) - 1].decode(errors="ignore") + "~" + digest


def file_path(directory: Path, d: Delivery) -> Path:
    """One file per message, named by its key: re-delivering rewrites the same file."""
    name = _UNSAFE.sub("_", who(d.recipient))
    if name.startswith(".") or not name:  # ".." or a hidden folder
        name = f"_{name}"
    day = clock.local_today(d.created_at).isoformat()
    stem = bounded(_UNSAFE.sub("_", f"{day}-{label(d.rule)}"))
    return directory / bounded(name, d.recipient) / f"{stem}-{d.message_key[:12]}.md"


class _Link(Exception):
    """A name inside the reminder folder is a symbolic link (or not what it should be)."""


def _folder(base: int, name: str) -> int:
    """Open (making it if need be) the recipient's folder inside `base`, never through a link."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, dir_fd=base)
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=base)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise _Link(name) from None
        raise


def _write(folder: int, name: str, text: str) -> None:
    """Write the file atomically (a reader never sees half a reminder); a link in the temporary
    file's place is refused, and os.replace swaps a link in the final place, never follows it."""
    tmp = f".{name}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644, dir_fd=folder)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Link(tmp) from None
        raise
    with open(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)


def send_file(directory: Path, d: Delivery) -> Path:
    path = file_path(directory, d)
    text = (
        f"<!-- zhenggai message {d.message_key} -->\n"
        f"收件人：{who(d.recipient)}\n"
        f"时间：{clock.show(d.created_at)}\n\n"
        f"{d.body}"
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)  # the configured folder itself: the administrator's
        base = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            folder = _folder(base, path.parent.name)
            try:
                _write(folder, path.name, text)
            finally:
                os.close(folder)
        finally:
            os.close(base)
    except _Link as exc:
        raise DeliveryError(
            f"提醒文件夹 {directory} 中的 {exc} 是符号链接（或不是文件夹），拒绝写入：文件夹内不跟随链接，请删除它"
        ) from None
    except OSError as exc:
        raise DeliveryError(f"无法写入文件 {path}：{exc.strerror or exc}") from None
    return path


def header(text: str) -> str:
    """People's text as a mail header value: each run of control characters becomes one space."""
    return _CONTROL.sub(" ", text).strip()


def mail_address(address: str) -> str:
    """The one recipient of a mail, or DeliveryError: a stored address with a line break or a comma
    must not smuggle in a header or a second recipient."""
    parsed = getaddresses([address])
    if _CONTROL.search(address) or len(parsed) != 1 or "@" not in parsed[0][1]:
        raise DeliveryError(
            f"收件地址 {address!r} 不是一个有效的邮箱地址，拒绝发送：请更正该人员的邮箱（person）"
        )
    return address


def mail(s: SmtpChannel, d: Delivery) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = header(d.subject)
    msg["From"] = s.sender
    msg["To"] = mail_address(d.address)
    msg["Date"] = format_datetime(d.created_at.astimezone(clock.LOCAL))
    msg["Message-ID"] = message_id(d, s.sender)
    msg["X-Zhenggai-Rule"] = header(d.rule)
    msg.set_content(d.body)
    return msg


def message_id(d: Delivery, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<zhenggai.{d.message_key}@{domain}>"


def send_smtp(s: SmtpChannel, d: Delivery) -> None:
    msg = mail(s, d)
    try:
        if s.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"SMTP 服务器拒收收件人 {d.address}：{exc.recipients}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {s.host}:{s.port} 投递失败：{type(exc).__name__}: {exc}") from None


def webhook_body(w: WebhookChannel, d: Delivery) -> dict[str, Any]:
    if w.format == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": _cut(d.body, _WECOM_LIMIT)}}
    if w.format == "dingtalk":
        return {
            "msgtype": "markdown",
            "markdown": {"title": d.subject, "text": _cut(d.body, _DINGTALK_LIMIT)},
        }
    return {
        "id": d.message_key,
        "rule": d.rule,
        "recipient": d.recipient,
        "subject": d.subject,
        "text": d.body,
        "created_at": clock.to_text(d.created_at),
        "data": json.loads(d.data),
    }


def _cut(text: str, limit: int) -> str:
    raw = text.encode()
    if len(raw) <= limit:
        return text
    tail = "\n……（内容过长已截断，完整内容见文件渠道或 zhenggai outbox show）"
    return raw[: limit - len(tail.encode())].decode(errors="ignore") + tail


def signed_url(w: WebhookChannel, now_ms: int) -> str:
    """DingTalk's signature: HMAC-SHA256 of "timestamp\\nsecret", base64, as query parameters."""
    if not w.secret or w.format != "dingtalk":
        return w.url
    digest = hmac.new(w.secret.encode(), f"{now_ms}\n{w.secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{w.url}{'&' if '?' in w.url else '?'}timestamp={now_ms}&sign={sign}"


def send_webhook(w: WebhookChannel, d: Delivery) -> None:
    payload = json.dumps(webhook_body(w, d), ensure_ascii=False).encode()
    request = urllib.request.Request(
        signed_url(w, int(time.time() * 1000)),
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": d.message_key},
    )
    host = urllib.parse.urlsplit(w.url).netloc
    try:
        with urllib.request.urlopen(request, timeout=w.timeout) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"Webhook {host} 返回 HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"Webhook {host} 无法连接：{reason}") from None
    if w.format in ("wecom", "dingtalk"):
        # Both robots answer 200 with {"errcode": 0} on success and a non-zero errcode otherwise.
        try:
            reply = json.loads(answer or b"{}")
        except ValueError:
            raise DeliveryError(f"Webhook {host} 的应答不是 JSON") from None
        if reply.get("errcode", 0) != 0:
            raise DeliveryError(
                f"Webhook {host} 拒绝：errcode={reply.get('errcode')} {reply.get('errmsg', '')}"
            )


def send(settings: Settings, d: Delivery) -> None:
    if d.channel == "web":
        return  # the message is in the database: the recipient's web inbox shows it (reminders/inbox.py)
    if d.channel == "file":
        send_file(settings.file.dir, d)
    elif d.channel == "smtp":
        if settings.smtp is None:
            raise DeliveryError("SMTP 渠道未配置（[channels.smtp]），邮件暂存待发")
        send_smtp(settings.smtp, d)
    elif d.channel == "webhook":
        if settings.webhook is None:
            raise DeliveryError("Webhook 渠道未配置（[channels.webhook]），消息暂存待发")
        send_webhook(settings.webhook, d)
    else:
        raise DeliveryError(f"未知渠道 {d.channel}")
