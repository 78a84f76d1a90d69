"""Reading event files line by line, with line numbers for every error."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import BinaryIO

from witness.events import ContractError, Event, parse_event


def open_source(path: str) -> BinaryIO:
    """A file path, or '-' for standard input; binary so bad encodings are caught per line."""
    if path == "-":
        return sys.stdin.buffer
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return p.open("rb")


def read_lines(source: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes) for every non-blank line."""
    for number, raw in enumerate(source, start=1):
        line = raw.rstrip(b"\r\n")
        if line.strip():
            yield number, line


def read_events(path: str, *, strict: bool = True) -> Iterator[Event | ContractError]:
    """Parse a JSONL file; with strict=False, yield ContractError for bad lines instead of raising."""
    source = open_source(path)
    with (
        source if source is not sys.stdin.buffer else nullcontext(source) as src
    ):  # never close stdin
        for number, line in read_lines(src):
            try:
                yield parse_event(line, line=number)
            except ContractError as exc:
                if strict:
                    raise
                yield exc
