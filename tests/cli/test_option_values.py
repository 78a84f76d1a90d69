"""Option values that mean nothing are refused when parsed, naming the option.

`tail --severity purple` (or `--rule RLE`) filtered out every alert and left the officer watching an empty
stream; `demo --duration -5` started and stopped at once; `screen --warn-share 7` warned
about nothing; `demo --speed 0` said so in English only.
"""

from __future__ import annotations

import argparse

import pytest

from witness.cli import build_parser

SCREEN = ["screen", "t.csv", "--tender", "a", "--price", "b", "--out", "o.csv"]


def _parse(argv: list[str]) -> argparse.Namespace:
    return build_parser(argv[0]).parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["tail", "--severity", "purple"],
            "参数 --severity：没有告警级别 purple（可选：red, orange, yellow）",
        ),
        (["tail", "--severity", "red,Red"], "没有告警级别 Red"),
        (["tail", "--rule", "RLE"], "参数 --rule：没有规则 RLE：请给出规则编号或其前缀"),
        (["tail", "--rule", "REL-4"], "没有规则 REL-4："),  # a prefix ends at a dash
        (["tail", "--rule", "rel"], "没有规则 rel："),
        (["demo", "--duration", "-5"], "参数 --duration：应为大于 0 的数：-5"),
        (["demo", "--duration", "inf"], "参数 --duration：应为大于 0 的数：inf"),
        (["demo", "--speed", "0"], "参数 --speed：应为大于 0 的数：0"),
        (["demo", "--speed", "nan"], "参数 --speed：应为大于 0 的数：nan"),
        (["demo", "--projects", "2.5"], "参数 --projects：应为大于 0 的整数：2.5"),
        (["demo", "--projects", "0"], "参数 --projects：应为大于 0 的整数：0"),
        (
            [*SCREEN, "--warn-share", "7"],
            "参数 --warn-share：应为 0 到 1 之间的比例",
        ),
        (
            [*SCREEN, "--warn-share", "0"],
            "参数 --warn-share：应为 0 到 1 之间的比例",
        ),
    ],
)
def test_a_value_that_means_nothing_is_refused(argv, message, monkeypatch, capsys) -> None:
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    with pytest.raises(SystemExit) as info:
        _parse(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "attribute", "value"),
    [
        (["tail", "--severity", "red, orange"], "severity", frozenset({"red", "orange"})),
        (["tail", "--rule", "REL,PRICE-40-4"], "rule", frozenset({"REL", "PRICE-40-4"})),
        (["demo", "--duration", "0.5"], "duration", 0.5),
        (["demo", "--speed", "120"], "speed", 120.0),
        (["demo", "--projects", "3"], "projects", 3),
        (
            [*SCREEN, "--warn-share", "1"],
            "warn_share",
            1.0,
        ),
    ],
)
def test_a_value_that_means_something_is_kept(argv, attribute, value) -> None:
    assert getattr(_parse(argv), attribute) == value
