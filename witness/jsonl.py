"""Reading event files line by line, with line numbers for every error."""

from __future__ import annotations

import codecs
import itertools
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import BinaryIO

from witness.errors import InputFileError
from witness.events import ContractError, Event, parse_event
from witness.i18n import register, t
from witness.payloads import MAX_EVENT_BYTES

register(
    {
        "jsonl.where": ("{path} 第 {line} 行", "{path} line {line}"),
        "jsonl.not_utf8": ("不是 UTF-8 文本", "not UTF-8 text"),
        "jsonl.not_json": ("不是 JSON：{reason}", "not JSON: {reason}"),
        "jsonl.not_object": ("不是 JSON 对象", "not a JSON object"),
        "jsonl.long_utf16": (
            "第 {line} 行超过 {n} 字节，不可能是一个事件：UTF-16 文件在此停止读取",
            "line {line} is over {n} bytes, no event can be: the UTF-16 file is read no further",
        ),
        "jsonl.bad_utf16": (
            "文件以 UTF-16 标记开头，但第 {line} 行起不是有效的 UTF-16 文本",
            "the file opens with a UTF-16 mark, but from line {line} on it is no valid UTF-16",
        ),
    }
)


def open_source(path: str) -> BinaryIO:
    """A file path, or '-' for standard input; binary so bad encodings are caught per line.

    A missing file is an InputFileError (a FileNotFoundError too): one line and exit 2."""
    if path == "-":
        return sys.stdin.buffer
    p = Path(path)
    if not p.is_file():
        raise InputFileError.missing(path)
    return p.open("rb")


@contextmanager
def opened(path: str) -> Iterator[BinaryIO]:
    """`open_source` as a context: a file is closed after, standard input never."""
    source = open_source(path)
    with source if source is not sys.stdin.buffer else nullcontext(source) as src:
        yield src


def read_json_lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line of a JSON Lines file whose lines are
    all UTF-8 JSON objects; InputFileError naming the file and line at the first that is
    not (for tools that read a whole file before they answer: `witness evaluate`)."""
    with opened(path) as src:
        for number, raw in read_lines(src):
            where = t("jsonl.where", path=path, line=number)
            try:
                text = raw.decode("utf-8")  # read_lines took a BOM off already
                obj = json.loads(text)
            except UnicodeDecodeError:
                raise InputFileError(t("jsonl.not_utf8"), source=where) from None
            except json.JSONDecodeError as exc:
                raise InputFileError(t("jsonl.not_json", reason=exc.msg), source=where) from None
            if not isinstance(obj, dict):
                raise InputFileError(t("jsonl.not_object"), source=where)
            yield number, text


#: The longest line kept whole: an event at the size limit and its CRLF.
LINE_LIMIT = MAX_EVENT_BYTES + 2


#: What is read at a time while passing over the rest of an oversize line.
_SKIP_CHUNK = 1 << 20


class OversizeLine(bytes):
    """The head of a line longer than any event may be (the rest was read past, not
    kept: a hostile file of one 4 GB line held it all in memory); `size` is the line's
    whole length, for the refusal."""

    size: int = 0


def _bounded_lines(source: BinaryIO) -> Iterator[bytes]:
    """The source's lines, each at most LINE_LIMIT bytes held at a time."""
    while raw := source.readline(LINE_LIMIT):
        if len(raw) < LINE_LIMIT or raw.endswith(b"\n"):
            yield raw
            continue
        head = OversizeLine(memoryview(raw)[: MAX_EVENT_BYTES + 1])
        size, raw = len(raw), b""
        while (more := source.readline(_SKIP_CHUNK)) and not more.endswith(b"\n"):
            size += len(more)
        head.size = size + len(more.rstrip(b"\r\n"))
        yield head


def read_lines(source: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, raw UTF-8 bytes) for every non-blank line.

    A UTF-8 byte-order mark opening the file (Notepad's "UTF-8 with BOM", many Windows
    exports) is not part of line 1: `witness replay` and `witness ingest` rejected that
    line as "not valid JSON". A file opening with a UTF-16 byte-order mark (what
    Windows PowerShell 5's `>` writes, e.g. `witness simulate --out - > day.jsonl`) is
    read as UTF-16: every line of it was "not valid JSON". No line is held whole past
    LINE_LIMIT: a longer one comes as an `OversizeLine`, refused by its size."""
    lines = _bounded_lines(source)
    first = next(lines, None)
    if first is None:
        return
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield from _utf16_lines(itertools.chain([first], lines))
        return
    for number, raw in enumerate(itertools.chain([first], lines), start=1):
        if isinstance(raw, OversizeLine):
            yield number, raw
            continue
        line = raw.rstrip(b"\r\n")
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if line.strip():
            yield number, line


def _utf16_lines(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """Lines of UTF-16 text with a byte-order mark, re-encoded as UTF-8. Splitting the
    bytes at b"\\n" cuts UTF-16 code units in two, so the text is decoded as a stream and
    split after decoding."""
    decoder = codecs.getincrementaldecoder("utf-16")()
    pending, number = "", 0

    def complete(text: str) -> Iterator[tuple[int, bytes]]:
        nonlocal number
        number += 1
        line = text.rstrip("\r").encode("utf-8")
        if line.strip():  # blank as the UTF-8 path judges it: ASCII white space only
            yield number, line

    try:
        for chunk in chunks:
            if isinstance(chunk, OversizeLine) or len(pending) > MAX_EVENT_BYTES:
                raise InputFileError(t("jsonl.long_utf16", line=number + 1, n=MAX_EVENT_BYTES))
            pending += decoder.decode(chunk)
            *done, pending = pending.split("\n")
            for text in done:
                yield from complete(text)
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputFileError(t("jsonl.bad_utf16", line=number + 1)) from None
    if pending:
        yield from complete(pending)


def read_events(path: str, *, strict: bool = True) -> Iterator[Event | ContractError]:
    """Parse a JSONL file; with strict=False, yield ContractError for bad lines instead of raising."""
    with opened(path) as src:  # never closes stdin
        for number, line in read_lines(src):
            try:
                yield parse_event(line, line=number)
            except ContractError as exc:
                if strict:
                    raise
                yield exc
