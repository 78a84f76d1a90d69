"""Counts, speeds and durations on the command line: nonsense is refused by name.

Before, `simulate --speed nan` generated a day paced by nan, `evaluate --show -1`
listed every miss but one, `tail --idle-exit nan` never exited, `doctor --timeout 0`
gave every check no time, and `evaluate --projects 0` answered in English inside a
Chinese session.
"""

from __future__ import annotations

import pytest

from witness.cli import build_parser, main

REFUSED = [
    ("simulate", "--projects", "0"),
    ("simulate", "--projects", "1.5"),
    ("simulate", "--speed", "nan"),
    ("simulate", "--speed", "inf"),
    ("simulate", "--speed", "-2"),
    ("simulate", "--max-gap", "-1"),
    ("simulate", "--max-gap", "nan"),
    ("simulate", "--frame-interval", "0"),
    ("evaluate", "--projects", "0"),
    ("evaluate", "--projects", "-3"),
    ("evaluate", "--show", "-1"),
    ("tail", "--idle-exit", "nan"),
    ("tail", "--idle-exit", "-1"),
    ("doctor", "--timeout", "0"),
    ("doctor", "--timeout", "nan"),
]


@pytest.mark.parametrize(("command", "option", "value"), REFUSED)
def test_a_number_that_means_nothing_is_refused_naming_the_option(
    command, option, value, monkeypatch, capsys
):
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    with pytest.raises(SystemExit) as stopped:
        main([command, f"{option}={value}"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert f"参数 {option}" in err and value in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("command", "option", "value", "expected"),
    [
        ("simulate", "--max-gap", "0", 0.0),
        ("simulate", "--max-gap", "inf", float("inf")),
        ("simulate", "--speed", "0.5", 0.5),
        ("evaluate", "--show", "0", 0),
        ("tail", "--idle-exit", "2.5", 2.5),
        ("doctor", "--timeout", "0.2", 0.2),
    ],
)
def test_the_edges_that_mean_something_are_kept(command, option, value, expected):
    args = build_parser(command).parse_args([command, f"{option}={value}"])
    assert getattr(args, option.lstrip("-").replace("-", "_")) == expected
