"""[web] in zhenggai.toml: idle timeout, throttling, trusted proxies, upload limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.config import section
from workflow.errors import InvalidInput


@dataclass(frozen=True)
class WebSettings:
    idle_minutes: int = 30  # a session unused this long is over
    max_failures: int = 5  # failed logins (per account, and per address) before a pause
    pause_minutes: int = 15  # how long the pause lasts, and the window failures are counted in
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-Proto/-For are believed
    secure_cookies: bool | None = None  # None: Secure when the request came over TLS


_INTS = ("idle_minutes", "max_failures", "pause_minutes")


def load(config: dict[str, Any]) -> WebSettings:
    table = section(config, "web")
    known = {*_INTS, "trusted_proxies", "secure_cookies"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InvalidInput(f"配置 [web] 中有未知项：{'、'.join(unknown)}（可用：{'、'.join(sorted(known))}）")
    values: dict[str, Any] = {}
    for key in _INTS:
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
                raise InvalidInput(f"配置 [web] {key} 应为 1 到 100000 之间的整数")
            values[key] = value
    proxies = table.get("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise InvalidInput('配置 [web] trusted_proxies 应为地址的列表，例如 ["127.0.0.1"]')
    values["trusted_proxies"] = tuple(proxies)
    if "secure_cookies" in table:
        if not isinstance(table["secure_cookies"], bool):
            raise InvalidInput("配置 [web] secure_cookies 应为 true 或 false")
        values["secure_cookies"] = table["secure_cookies"]
    return WebSettings(**values)
