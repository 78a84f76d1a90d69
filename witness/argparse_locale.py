"""argparse's own words (usage, section titles, its error messages) in the active locale.

argparse writes them in English through gettext, and no catalogue for them ships with
Python, so a Chinese CLI printed `usage:`, `options:` and `error: the following arguments
are required: --project` to an officer who mistyped a command. argparse looks its
`_` and `ngettext` up in its own module at every call; `install()` points them at this
table, which answers in Chinese under zh-CN and leaves English (and any message not in
the table) as argparse wrote it.
"""

from __future__ import annotations

import argparse

from witness.i18n import current_locale

#: argparse's message -> zh-CN. Keys are argparse's exact strings (a test checks that
#: each is still one, so a Python upgrade that rewords one is seen).
ZH_CN: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的取值 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多接受一个值",
    "expected at least one argument": "至少需要一个值",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "必须给出以下参数之一：%s",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "ignored explicit argument %r": "该选项不接受值，忽略了 %r",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s'：%(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的子命令 %(parser_name)r（可选：%(choices)s）",
}
#: ngettext's (singular, plural) -> zh-CN (Chinese has one form).
ZH_CN_PLURAL: dict[tuple[str, str], str] = {
    ("expected %s argument", "expected %s arguments"): "需要 %s 个值",
}


def _gettext(message: str) -> str:
    return ZH_CN.get(message, message) if current_locale() == "zh-CN" else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    if current_locale() == "zh-CN" and (singular, plural) in ZH_CN_PLURAL:
        return ZH_CN_PLURAL[singular, plural]
    return singular if n == 1 else plural


def install() -> None:
    """Answer argparse's gettext calls from the table above (idempotent)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
