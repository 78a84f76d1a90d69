"""argparse's own words speak the active locale: usage, section titles and its errors.

An officer who mistypes a command reads why in Chinese; English stays argparse's.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
from collections import Counter

import pytest

from witness.argparse_locale import ZH_CN, ZH_CN_PLURAL
from witness.cli import main
from witness.help_format import display_width

PLACEHOLDER = re.compile(r"%\(\w+\)[sr]|%[sr]")


def _argparse_messages() -> set[str]:
    """Every string argparse passes to `_()` or `ngettext()`, read from its source."""
    tree = ast.parse(inspect.getsource(argparse))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "ngettext"):
            found |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    return {m for m in found if isinstance(m, str)}


def test_every_translated_message_is_one_argparse_still_writes() -> None:
    messages = _argparse_messages()
    assert "usage: " in messages  # the reading itself works
    missing = [
        m for m in [*ZH_CN, *(m for pair in ZH_CN_PLURAL for m in pair)] if m not in messages
    ]
    assert not missing, f"argparse no longer writes these (reworded?): {missing}"


@pytest.mark.parametrize(
    ("english", "chinese"), [*ZH_CN.items(), *((s, z) for (s, _p), z in ZH_CN_PLURAL.items())]
)
def test_a_translation_keeps_every_placeholder(english: str, chinese: str) -> None:
    """argparse fills them in with `%`: one lost or added would raise, not print."""
    assert Counter(PLACEHOLDER.findall(english)) == Counter(PLACEHOLDER.findall(chinese))
    assert re.search("[\u4e00-\u9fff]", chinese)


@pytest.mark.parametrize(
    ("argv", "zh", "en"),
    [
        (["record"], "缺少必需的参数：PROJECT", "the following arguments are required: PROJECT"),
        (
            ["tail", "--severity"],
            "参数 --severity：需要一个值",
            "argument --severity: expected one argument",
        ),
        (
            ["bogus"],
            "参数 COMMAND：无效的取值 'bogus'（可选：",
            "invalid choice: 'bogus' (choose from",
        ),
        (["tail", "--no-such"], "无法识别的参数：--no-such", "unrecognized arguments: --no-such"),
        (
            ["record", "P", "--list", "--events", "e.jsonl"],
            "不能与参数",
            "not allowed with argument",
        ),
    ],
)
def test_a_usage_error_speaks_the_locale(argv, zh, en, monkeypatch, capsys) -> None:
    for locale, usage, error, expected in (
        ("zh-CN", "用法：witness", "：错误：", zh),
        ("en", "usage: witness", ": error: ", en),
    ):
        monkeypatch.setenv("WITNESS_LOCALE", locale)
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        err = capsys.readouterr().err
        assert exit_info.value.code == 2
        assert err.startswith(usage) and error in err and expected in err, err


@pytest.mark.parametrize(
    ("locale", "prefix", "positionals", "options"),
    [
        ("zh-CN", "用法：", "位置参数:", "选项:"),
        ("en", "usage: ", "positional arguments:", "options:"),
    ],
)
def test_help_headings_and_usage_alignment(
    locale, prefix, positionals, options, monkeypatch, capsys
):
    monkeypatch.setenv("WITNESS_LOCALE", locale)
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["record", "--help"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(prefix + "witness record ")
    assert positionals in lines and options in lines
    # the usage's later lines start under its first option, however wide the prefix is drawn
    column = display_width(prefix + "witness record ")
    continued = lines[1 : lines.index("")]
    assert continued and all(
        len(line) - len(line.lstrip()) in (column, column + 1) for line in continued
    )
