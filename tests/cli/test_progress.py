"""Progress bars are for a person at a terminal: none in a log, a pipe or CI output.

A bar redraws itself with carriage returns; `witness screen ... 2> screen.log` used to fill
the log with them (and its labels were English in the Chinese CLI).
"""

from __future__ import annotations

import io
import sys

import pytest

from witness.cli import main
from witness.progress import progress_bar


class _Stderr(io.StringIO):
    """A stderr that is, or is not, a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("tty", "enabled", "drawn"), [(True, True, True), (False, True, False), (True, False, False)]
)
def test_a_bar_is_drawn_only_on_a_terminal_that_wants_one(monkeypatch, tty, enabled, drawn):
    stderr = _Stderr(tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    items = list(progress_bar(range(5), desc="读取 a.csv", unit=" 行", enabled=enabled))
    assert items == [0, 1, 2, 3, 4]  # the bar never changes what it counts
    assert ("读取 a.csv" in stderr.getvalue()) == drawn
    assert ("\r" in stderr.getvalue()) == drawn


def _bids(path) -> str:
    rows = ["tender,bidder,price"]
    rows += [f"T{t},B{(t + b) % 7},{1000 + 37 * b + t}" for t in range(40) for b in range(4)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def _screen(tmp_path, monkeypatch, stderr: _Stderr) -> str:
    monkeypatch.setattr("witness.commands.screen.PROGRESS_BYTES", 0)  # every file is "large"
    monkeypatch.setattr(sys, "stderr", stderr)
    bids = _bids(tmp_path / "bids.csv")
    args = ["screen", bids, "--tender", "tender", "--bidder", "bidder", "--price", "price"]
    assert main([*args, "--out", str(tmp_path / "out.csv")]) == 0
    return stderr.getvalue()


def test_screen_draws_no_bar_into_a_log(tmp_path, monkeypatch):
    err = _screen(tmp_path, monkeypatch, _Stderr(tty=False))
    assert "\r" not in err
    assert "读取 160 行，40 个标段" in err  # the messages are all still there


def test_screen_labels_its_bars_in_the_locale(tmp_path, monkeypatch):
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    err = _screen(tmp_path, monkeypatch, _Stderr(tty=True))
    assert "读取 bids.csv" in err and "分析投标人团伙" in err and " 个标段" in err
    assert "reading bids.csv" not in err and "bidder groups" not in err


@pytest.mark.parametrize("tty", [True, False])
def test_simulate_draws_a_bar_only_on_a_terminal(tmp_path, monkeypatch, tty):
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    stderr = _Stderr(tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["simulate", "--projects", "2", "--out", str(tmp_path / "ev.jsonl")]) == 0
    assert ("个项目/s" in stderr.getvalue()) == tty  # the bar's rate, in its unit
    assert ("\r" in stderr.getvalue()) == tty
