"""`--help` laid out at any terminal width (witness/help_format.py), in both locales.

Drawn widths 40-160 against every command's real help, the properties a reader relies on:
every line fits the terminal; every example command can still be copied and run (whole
on one line, or carried on with ` \\` where a shell reads it as one, an option never parted
from its value); no text is lost; and text that fits is printed exactly as written.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from witness.cli import COMMANDS, build_parser
from witness.help_format import HelpFormatter, display_width

LOCALES = ("zh-CN", "en")
#: Closing marks may hang one past the margin (Chinese line-breaking rules).
CLOSING = "，。、；：？！）」』》〉】"
#: An example command in a description or epilog, as its author wrote it.
COMMAND_LINE = re.compile(r"^ {2}(witness|WITNESS_[A-Z_]+=|echo|docker)\b")
COMMENT = re.compile(r"\s+#\s|\s{2,}")


def _walk(parser: argparse.ArgumentParser, path: str):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{path} {name}")


@functools.cache
def _parsers(locale: str) -> list[tuple[str, argparse.ArgumentParser]]:
    """The top-level parser and every command's (with their ACTION parsers)."""
    with patch.dict(os.environ, {"WITNESS_LOCALE": locale}):
        found = [("witness", build_parser())]
        for name in COMMANDS:
            (sub,) = (
                a for a in build_parser(name)._actions if isinstance(a, argparse._SubParsersAction)
            )
            found += list(_walk(sub.choices[name], name))
    return found


def _render(
    parser: argparse.ArgumentParser, locale: str, columns: int, usage: bool = False
) -> list[str]:
    """The help as a terminal `columns` wide prints it, with or without the usage block."""
    with patch.dict(os.environ, {"WITNESS_LOCALE": locale, "COLUMNS": str(columns)}):
        lines = parser.format_help().splitlines()
    return lines if usage else lines[lines.index("") + 1 :]


def _source_commands(text: str) -> list[str]:
    """Each example command of `text`, its `\\` lines joined, without its comment."""
    commands: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if COMMAND_LINE.match(lines[index]):
            parts = [lines[index]]
            while parts[-1].rstrip().endswith("\\") and index + 1 < len(lines):
                index += 1
                parts.append(lines[index])
            first = COMMENT.split(parts[0].strip(), maxsplit=1)[0]
            whole = " ".join([first, *(p.strip() for p in parts[1:])])
            commands.append(" ".join(whole.replace(" \\", " ").split()))
        index += 1
    return commands


def _shell_lines(lines: list[str]) -> list[str]:
    """The output as a shell reads it: a line ending ` \\` carries on into the next."""
    joined, carry = [], ""
    for line in lines:
        body = line.strip()
        if body.endswith(" \\"):
            carry += body[:-1] + " "
            continue
        joined.append(" ".join((carry + body).split()))
        carry = ""
    return joined


def _ink(text: str) -> str:
    """What is read, not where: everything but spaces, line breaks and the marks layout adds."""
    return re.sub(r"[\s\\#]", "", text)


def _texts(parser: argparse.ArgumentParser) -> list[str]:
    return [text for text in (parser.description, parser.epilog) if text]


@settings(max_examples=25, deadline=None)
@given(columns=st.integers(40, 160), locale=st.sampled_from(LOCALES))
def test_every_line_fits_the_terminal(columns: int, locale: str) -> None:
    """No line is wider than the terminal (argparse's usage too: it never breaks inside a
    group), except a word wider than any line and a piece of a command with no option
    left to break before."""
    for path, parser in _parsers(locale):
        commands = [c for text in _texts(parser) for c in _source_commands(text)]
        for line in _render(parser, locale, columns, usage=True):
            body = line.rstrip(CLOSING)
            if display_width(body) <= columns or " " not in body.strip():
                continue
            piece = " ".join(body.replace(" \\", " ").split())
            words = piece.split()
            assert any(piece in command for command in commands), (path, columns, line)
            assert not any(w.startswith("-") for w in words[1:]), (path, columns, line)


@settings(max_examples=25, deadline=None)
@given(columns=st.integers(40, 160), locale=st.sampled_from(LOCALES))
def test_every_example_command_can_be_copied(columns: int, locale: str) -> None:
    """Each example reads, as a shell joins ` \\` lines, exactly as written; a break never
    parts an option from its value."""
    for path, parser in _parsers(locale):
        output = _render(parser, locale, columns)
        shell = _shell_lines(output)
        for command in (c for text in _texts(parser) for c in _source_commands(text)):
            assert any(command in line for line in shell), (path, columns, command)
        for line, following in zip(output, output[1:], strict=False):
            if line.endswith(" \\") and line.split()[-2].startswith("--"):
                value = following.split()[0]
                assert value.startswith("-"), (path, columns, line, following)


@settings(max_examples=25, deadline=None)
@given(columns=st.integers(40, 160), locale=st.sampled_from(LOCALES))
def test_no_text_is_lost(columns: int, locale: str) -> None:
    """Descriptions and epilogs keep every character; the whole help, usage included,
    reads the same as on a terminal wide enough for every line."""
    for path, parser in _parsers(locale):
        lines = _render(parser, locale, columns, usage=True)
        output = _ink("\n".join(lines))
        for text in _texts(parser):
            assert _ink(text) in output, (path, columns, text[:40])
        wide = _render(parser, locale, 1000, usage=True)
        assert output == _ink("\n".join(wide)), (path, columns)


@pytest.mark.parametrize("locale", LOCALES)
def test_text_that_fits_is_printed_as_written(locale: str) -> None:
    for path, parser in _parsers(locale):
        output = _render(parser, locale, 400)
        for text in _texts(parser):
            for line in text.splitlines():
                assert line.rstrip() in output, (path, line)


@pytest.mark.parametrize(
    ("source", "columns", "expected"),
    [
        # a pipe carried on before its next command, `--out -` kept together
        (
            "  witness simulate --projects 5 --realtime --speed 120 --out - | witness ingest -",
            44,
            [
                "  witness simulate --projects 5 --realtime \\",
                "      --speed 120 --out - | witness ingest -",
            ],
        ),
        # a comment with no room beside its command goes under it, still a comment
        (
            "  witness archive verify B.zip --live JY-2026-0012  # 把归档包与在线库的链逐条比对",
            60,
            [
                "  witness archive verify B.zip --live JY-2026-0012",
                "      # 把归档包与在线库的链逐条比对",
            ],
        ),
        # a definition wraps under its `=` column; Chinese joins without a space
        (
            "  flags   = 以 ';' 连接的规则编号：PRICE-40-4（报价有规律或完全相同），\n"
            "            PRICE-SCREEN、REL-RING",
            44,
            [
                "  flags   = 以 ';' 连接的规则编号：",
                "            PRICE-40-4（报价有规律或完全相同），",
                "            PRICE-SCREEN、REL-RING",
            ],
        ),
        # hand-broken lines of a paragraph join: Chinese without a space, Latin with one
        (
            "把状态快照保存在数据库中（每 N 个事件或\n每 M 秒保存一次）。\nnext one",
            30,
            ["把状态快照保存在数据库中（每 N", "个事件或每 M 秒保存一次）。", "next one"],
        ),
        (
            "exit code: 0 done, 2 bad cells (each named by sheet, row and\ncolumn) or bad arguments",
            40,
            [
                "exit code: 0 done, 2 bad cells (each",
                "named by sheet, row and column) or bad",
                "arguments",
            ],
        ),
    ],
)
def test_layout_of_one_item(source: str, columns: int, expected: list[str]) -> None:
    """Fixed cases, so a change of layout is seen as one, not only as a property holding."""
    source_fits = all(display_width(line) <= columns for line in source.splitlines())
    formatter = HelpFormatter("witness", width=columns)
    laid_out = formatter._fill_text(source, columns, "").splitlines()
    assert laid_out == (source.splitlines() if source_fits else expected)
    assert source_fits == (laid_out == source.splitlines())
