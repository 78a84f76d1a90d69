"""Every subcommand's `--help` speaks the active locale: zh-CN by default, English on request.

Walks each command's parser (and the nested ACTION parsers of `archive` and `user`) in both
locales and checks every option's help, every ACTION's one-line help and the epilog.
"""

from __future__ import annotations

import argparse
import re

import pytest

from witness.cli import COMMANDS, build_parser
from witness.help_format import display_width

CJK = re.compile("[\u4e00-\u9fff]")

#: Chinese terms the English help keeps on purpose: they are the labels printed in the bid
#: documents and bills (a header text to type, a field to look for), not prose.
DOCUMENT_TERMS = (
    "统一社会信用代码",
    "招标控制价",
    "最高投标限价",
    "否决投标",
    "招标代理",
    "加密锁号",
    "机器码",
    "综合单价",
)


def _command_parser(name: str) -> argparse.ArgumentParser:
    parser = build_parser(name)
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _walk(parser: argparse.ArgumentParser, path: str):
    """(path, parser, [(label, rendered help or None)]) for `parser` and its ACTION parsers."""
    formatter = parser._get_formatter()
    helps: list[tuple[str, str | None]] = []
    nested = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                helps.append((f"{path} {choice.dest}", choice.help))
            nested.extend(action.choices.items())
            continue
        label = "/".join(action.option_strings) or action.dest
        text = None if action.help in (None, argparse.SUPPRESS) else formatter._expand_help(action)
        helps.append((f"{path} {label}", text))
    yield path, parser, helps
    for sub_name, sub_parser in nested:
        yield from _walk(sub_parser, f"{path} {sub_name}")


def _build(name: str, locale: str, monkeypatch) -> list:
    monkeypatch.setenv("WITNESS_LOCALE", locale)
    walked = list(_walk(_command_parser(name), name))
    for _path, parser, _helps in walked:
        parser.format_help()  # argparse's %-interpolation must hold in every locale
    return walked


@pytest.mark.parametrize("name", list(COMMANDS))
def test_zh_cn_help_is_chinese(name, monkeypatch) -> None:
    for path, parser, helps in _build(name, "zh-CN", monkeypatch):
        for label, text in helps:
            assert text is not None, f"{label}: no help"
            assert CJK.search(text), f"{label}: help not translated: {text!r}"
        if parser.epilog:
            assert CJK.search(parser.epilog), f"{path}: epilog not translated"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_english_help_is_english(name, monkeypatch) -> None:
    zh = {path: parser.epilog for path, parser, _ in _build(name, "zh-CN", monkeypatch)}
    for path, parser, helps in _build(name, "en", monkeypatch):
        for label, text in helps:
            assert text is not None, f"{label}: no help"
            for term in DOCUMENT_TERMS:
                text = text.replace(term, "")
            assert not CJK.search(text), f"{label}: Chinese in the English help: {text!r}"
        if parser.epilog:
            assert parser.epilog != zh[path], f"{path}: the same epilog in both locales"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_both_locales_take_the_same_options(name, monkeypatch) -> None:
    def shape(locale: str):
        return [
            (
                path,
                # the same usage, whatever its prefix (usage: / 用法：) and line breaks
                " ".join(re.sub(r"^(usage: |用法：)", "", parser.format_usage()).split()),
                sorted(s for a in parser._actions for s in a.option_strings),
            )
            for path, parser, _ in _build(name, locale, monkeypatch)
        ]

    assert shape("zh-CN") == shape("en")


def test_default_locale_is_chinese(monkeypatch, capsys) -> None:
    from witness.cli import main

    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    with pytest.raises(SystemExit):
        main(["tail", "--help"])
    out = capsys.readouterr().out
    assert "告警" in out and "witness tail --severity red" in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_chinese_help_wraps_bydisplay_width(name, monkeypatch) -> None:
    """A Chinese character takes two terminal columns; argparse alone would count it as one."""
    width = 50
    for _path, parser, helps in _build(name, "zh-CN", monkeypatch):
        formatter = parser._get_formatter()
        for label, text in helps:
            for line in formatter._split_lines(text, width):
                # closing marks may hang past the margin; one long flag or URL is not broken
                body = line.rstrip("，。、；：？！）」』》〉】")
                single_token = " " not in body.strip() and not CJK.search(body)
                assert display_width(body) <= width or single_token, (label, line)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_line_of_the_help_fits_the_terminal(name, locale, monkeypatch) -> None:
    """argparse's usage block too, at the width the help was written for (narrower
    terminals: test_help_layout.py)."""
    monkeypatch.setenv("COLUMNS", "100")
    for path, parser, _helps in _build(name, locale, monkeypatch):
        for line in parser.format_help().splitlines():
            body = line.rstrip("，。、；：？！）」』》〉】")
            assert display_width(body) <= 100, (path, locale, line)
