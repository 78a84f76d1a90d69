"""User-facing messages in zh-CN (default) and English (WITNESS_LOCALE=en).

Each module keeps its own strings next to its code by calling `register`, so this file
stays small; `t(key, **params)` picks the active locale.
"""

from __future__ import annotations

import os

_MESSAGES: dict[str, dict[str, str]] = {}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add messages as {key: (zh-CN, en)}."""
    for key, (zh, en) in messages.items():
        _MESSAGES[key] = {"zh-CN": zh, "en": en}


def current_locale() -> str:
    loc = os.environ.get("WITNESS_LOCALE", "zh-CN")
    return "en" if loc.startswith("en") else "zh-CN"


def t(key: str, locale: str | None = None, **params: object) -> str:
    loc = locale or current_locale()
    entry = _MESSAGES.get(key)
    if entry is None:
        return key.format(**params) if params else key
    return entry.get(loc, entry["zh-CN"]).format(**params)


register(
    {
        "severity.red": ("红色", "red"),
        "severity.orange": ("橙色", "orange"),
        "severity.yellow": ("黄色", "yellow"),
        "status.open": ("待处理", "open"),
        "status.acknowledged": ("已确认", "acknowledged"),
        "status.referred": ("已移交", "referred"),
        "status.dismissed": ("已排除", "dismissed"),
        "error.no_file": ("找不到文件", "no such file"),
        "error.is_dir": ("是目录，不是文件", "a directory, not a file"),
        "error.no_permission": ("没有读取权限", "permission denied"),
    }
)
