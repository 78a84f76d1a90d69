"""`--help` laid out for the terminal it is read in, Chinese or English.

argparse counts characters, so a line of Chinese came out twice as wide as the terminal;
and its raw-description mode prints descriptions and epilogs as written, so text broken by
hand at 100 columns came out ragged at 80, with example commands broken in two and their
comments wrapped to the left margin (a command a user copies must still run as written).

Descriptions and epilogs are read as items, each laid out on its own:

- an example command (an indented line, or lines ending in `\\`): wider than the terminal,
  it is carried on over lines ending ` \\` before an option, as a shell reads it, never
  broken anywhere else; a comment after it (`# ...`, or a column set off by two spaces)
  stays in the column it was written in, or goes under the command when there is no room;
- a hanging item (`flags   = ...`, `退出码：...`, a line followed by lines indented four or
  more columns deeper): wraps with its continuation column kept;
- a paragraph (unindented lines): lines broken by hand in mid-sentence join, and the
  whole wraps to the terminal; a line ending a sentence (or `:`) ends the paragraph.

An item whose lines all fit is printed exactly as written. argparse's usage lines are its
own, except one it leaves too wide (it never breaks inside a group such as
`[--events FILE | --bundle FILE | ...]`): that one breaks before a part or an alternative.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Characters a terminal draws two columns wide (CJK, full-width forms and punctuation).
_WIDE_CHARS = (
    "\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)
_WIDE = re.compile(f"[{_WIDE_CHARS}]")
#: A run of spaces, one wide character, or a run of anything else (a Latin word).
_TOKEN = re.compile(f" +|[{_WIDE_CHARS}]|[^ {_WIDE_CHARS}]+")
#: Chinese line-breaking rules: these never start a line, those never end one.
_NO_LINE_START = frozenset("，。、；：？！）」』》〉】")
_NO_LINE_END = frozenset("（「『《〈【")
_CJK_PUNCTUATION = _NO_LINE_START | _NO_LINE_END
#: A line ending in one of these ends its paragraph (a sentence, a heading, a list entry).
_ENDS_PARAGRAPH = tuple("。．.！!？?:：)）")
#: An example's comment: ` # ...`, or a second column set off by two or more spaces.
_COMMENT = re.compile(r"(?<=\S)(\s+#\s|\s{2,})(?=\S)")
#: A definition's hanging column: `name   = ` at the start of a line.
_DEFINITION = re.compile(r"^\s*\S+\s+=\s+")
#: Narrower than this, a comment goes under its command instead of beside it.
_MIN_COLUMN = 20
#: A line indented this much deeper than its item's first line hangs under it.
_HANG_DEPTH = 4
_COMMAND_GOES_ON = "\\"


def display_width(text: str) -> int:
    """Terminal columns `text` takes: two for a wide character, one for the rest."""
    return sum(2 if _WIDE.match(ch) else 1 for ch in text)


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _join(left: str, right: str) -> str:
    """Join two lines of a paragraph: Chinese runs on without a space, Latin takes one."""
    if not left:
        return right
    a, b = left[-1], right[0]
    if (_WIDE.match(a) and _WIDE.match(b)) or a in _CJK_PUNCTUATION or b in _CJK_PUNCTUATION:
        return left + right
    return f"{left} {right}"


def wrap(text: str, first: int, rest: int) -> list[str]:
    """`text` in lines of at most `first` columns, then `rest`.

    Broken at spaces and between wide characters, never before a closing mark or after an
    opening one; spacing inside a line is kept as written (a definition's aligned `=`).
    A word wider than its line is not broken.
    """
    lines: list[str] = []
    line, used, room = "", 0, first
    for token in _TOKEN.findall(text.strip()):
        if token.startswith(" "):
            if line:
                line, used = line + token, used + len(token)
            continue
        size = display_width(token)
        if line.strip() and used + size > room and token not in _NO_LINE_START:
            carry = line[-1] if line[-1] in _NO_LINE_END else ""
            head = line[: len(line) - len(carry)].rstrip()
            if head:
                lines.append(head)
                line, used, room = carry, display_width(carry), rest
        line, used = line + token, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines


@dataclass
class _Item:
    """One command, hanging item or paragraph of a description or epilog."""

    lines: list[str]

    @property
    def first(self) -> str:
        return self.lines[0]

    @property
    def is_command(self) -> bool:
        """An indented line standing alone (not a `name = ...` definition), or a command
        carried on over lines ending `\\`."""
        if _DEFINITION.match(self.first):
            return False
        return _indent_of(self.first) > 0 and all(
            line.rstrip().endswith(_COMMAND_GOES_ON) for line in self.lines[:-1]
        )

    def takes(self, line: str) -> bool:
        """Does `line` carry this item on, rather than start the next one?"""
        last = self.lines[-1].rstrip()
        if not line.strip() or not last:
            return False
        if last.endswith(_COMMAND_GOES_ON):
            return True
        if len(self.lines) > 1 and self.first.rstrip().endswith(_COMMAND_GOES_ON):
            return False  # the command has ended
        if _indent_of(line) >= _indent_of(self.first) + _HANG_DEPTH:
            return True
        is_paragraph = all(_indent_of(own) == 0 for own in self.lines)
        return is_paragraph and _indent_of(line) == 0 and not last.endswith(_ENDS_PARAGRAPH)


def _items(text: str) -> list[_Item]:
    """Split a description or epilog into the items laid out one by one (module doc)."""
    items: list[_Item] = []
    for line in text.splitlines():
        if items and items[-1].takes(line):
            items[-1].lines.append(line)
        else:
            items.append(_Item([line]))
    return items


#: Where a long command may be carried on with `\`: before an option, an environment
#: assignment or the next command of a pipe, so an option keeps its value.
_BREAK_BEFORE = re.compile(r"^(--?[A-Za-z]|[A-Z][A-Z0-9_]*=|witness$|docker$)")
_BREAK_AFTER = frozenset({"|", "&&", "||", ";"})


def _pack(
    segments: list[list[str]], width: int, column_of: Callable[[int], int], end: str = ""
) -> list[str]:
    """Words in unbreakable runs (`segments`) onto lines no wider than `width` where a run
    allows it; a line starting with run i starts at column `column_of(i)`, and every line
    but the last ends with ` {end}` when `end` is given."""
    lines: list[tuple[int, list[str]]] = [(column_of(0), list(segments[0]))]
    for index, segment in enumerate(segments[1:], start=1):
        column, words = lines[-1]
        mark = [end] if end and index < len(segments) - 1 else []
        if column + display_width(" ".join([*words, *segment, *mark])) > width:
            lines.append((column_of(index), list(segment)))
        else:
            words.extend(segment)
    text = [" " * column + " ".join(words) for column, words in lines]
    return [line + f" {end}" for line in text[:-1]] + text[-1:] if end else text


def _runs(words: list[str], breaks_before: Callable[[str, str], bool]) -> list[list[str]]:
    """`words` cut into runs, a new one wherever `breaks_before(previous, word)`."""
    runs = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        if breaks_before(previous, word):
            runs.append([word])
        else:
            runs[-1].append(word)
    return runs


def _break_command(line: str, width: int, carried: int) -> list[str]:
    """A command wider than `width` carried on over lines ending ` \\`, as a shell reads
    it; the pieces after the first start at column `carried`. A piece with no place to
    break stays whole."""
    runs = _runs(
        line.split(),
        lambda previous, word: bool(_BREAK_BEFORE.match(word)) or previous in _BREAK_AFTER,
    )
    return _pack(runs, width, lambda i: _indent_of(line) if i == 0 else carried, _COMMAND_GOES_ON)


def _lay_out_command(line: str, width: int, carried: int) -> list[str]:
    """An example command is never broken but where a shell carries it on (` \\`). Its
    comment stays in the column it was written in: a `# ...` comment on one line, a
    column of text wrapped in it; where there is no room for that, it goes under the
    command."""
    if display_width(line) <= width:
        return [line]
    match = _COMMENT.search(line, _indent_of(line))
    command, comment = (line[: match.start()], line[match.end() :]) if match else (line, "")
    too_wide = display_width(command) > width
    lines = _break_command(command, width, carried) if too_wide else [command]
    if not comment:
        return lines
    mark = "# " if match.group(1).strip() == "#" else ""
    if len(lines) == 1:
        column = display_width(line[: match.end()]) - len(mark)  # as written
        room = width - column - len(mark)
        parts = wrap(comment, room, room)
        if room >= _MIN_COLUMN and (len(parts) == 1 or not mark):
            pad = " " * (column - display_width(command))
            return [command + pad + mark + parts[0]] + [" " * column + part for part in parts[1:]]
    under = _indent_of(line) + _HANG_DEPTH
    room = width - under - len(mark)
    return lines + [" " * under + mark + part for part in wrap(comment, room, room)]


def _lay_out_command_item(item: _Item, width: int) -> list[str]:
    """One command, however its author carried it on: laid out afresh as a whole."""
    if len(item.lines) == 1:
        return _lay_out_command(item.first, width, _indent_of(item.first) + _HANG_DEPTH)
    words = " ".join(line.rstrip().removesuffix(_COMMAND_GOES_ON) for line in item.lines)
    whole = " " * _indent_of(item.first) + " ".join(words.split())
    return _lay_out_command(whole, width, _indent_of(item.lines[1]))


def _lay_out_text(item: _Item, width: int) -> list[str]:
    """A hanging item or a paragraph, joined and wrapped with its continuation column."""
    lead = _indent_of(item.first)
    text = item.first.strip()
    for line in item.lines[1:]:
        text = _join(text, line.strip())
    definition = _DEFINITION.match(item.first)
    if len(item.lines) > 1 and _indent_of(item.lines[1]) > lead:
        hang = _indent_of(item.lines[1])
    else:
        hang = display_width(definition.group(0)) if definition else lead
    if width - hang < _MIN_COLUMN:
        hang = lead
    lines = wrap(text, width - lead, width - hang) or [""]
    return [" " * lead + lines[0]] + [" " * hang + line for line in lines[1:]]


#: A usage line too wide may break before a part or a group's next alternative.
_USAGE_PART = re.compile(r"^[\[(]")


def _depth(word: str) -> int:
    return sum(word.count(c) for c in "[({") - sum(word.count(c) for c in "])}")


def _fit_usage_line(line: str, width: int, hang: int) -> list[str]:
    """One of argparse's usage lines, wider than `width` (argparse never breaks inside a
    group such as `[--events FILE | --bundle FILE | ...]`): broken before a part or after
    a `|`, the later lines from column `hang`, one further in inside a group."""
    runs = _runs(
        line.split(), lambda previous, word: bool(_USAGE_PART.match(word)) or previous == "|"
    )
    depths = [0]
    for run in runs[:-1]:
        depths.append(depths[-1] + sum(_depth(word) for word in run))
    packed = _pack(runs, width, lambda i: _indent_of(line) if i == 0 else hang + (depths[i] > 0))
    return [piece for part in packed for piece in _break_usage_part(part, width)]


def _break_usage_part(line: str, width: int) -> list[str]:
    """A usage part still too wide (`[--software-version SOFTWARE_VERSION]` at 60
    columns) broken at its spaces, its later lines one column in."""
    if display_width(line) <= width:
        return [line]
    return _pack([[word] for word in line.split()], width, lambda i: _indent_of(line) + (i > 0))


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter with text laid out by display width (module docstring)."""

    def _format_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None,
    ) -> str:
        """argparse's usage, aligned under a prefix in wide characters (`用法：` counts three
        to argparse, six on the terminal), and a line it left too wide (it never breaks
        inside a group) broken before a part."""
        text = super()._format_usage(usage, actions, groups, prefix)
        shown = argparse._("usage: ") if prefix is None else prefix  # as argparse printed it
        lines = text.rstrip("\n").split("\n")
        shift = " " * (display_width(shown) - len(shown))
        lines = lines[:1] + [shift + line if line.startswith(" ") else line for line in lines[1:]]
        width = self._width - self._current_indent
        first_hang = (
            _indent_of(lines[1]) if len(lines) > 1 else display_width(f"{shown}{self._prog} ")
        )
        fitted = [
            part
            for index, line in enumerate(lines)
            for part in (
                [line]
                if display_width(line) <= width
                else _fit_usage_line(line, width, first_hang if index == 0 else _indent_of(line))
            )
        ]
        return "\n".join(fitted) + "\n\n"

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        room = width - len(indent)
        out: list[str] = []
        for item in _items(text):
            if all(display_width(line) <= room for line in item.lines):
                laid_out = item.lines
            elif item.is_command:
                laid_out = _lay_out_command_item(item, room)
            else:
                laid_out = _lay_out_text(item, room)
            out += [indent + line if line else line for line in laid_out]
        return "\n".join(out)

    def _split_lines(self, text: str, width: int) -> list[str]:
        if not _WIDE.search(text):
            return super()._split_lines(text, width)
        one_line = self._whitespace_matcher.sub(" ", text).strip()
        return wrap(one_line, width, width)
