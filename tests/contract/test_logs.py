"""kafka-python's repeats during a broker outage are counted, not printed line by line."""

from __future__ import annotations

import io
import logging

from witness.logs import RepeatFilter, configure


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _logger(name: str, stream: io.StringIO, flt: RepeatFilter) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.addFilter(flt)
    log = logging.getLogger(name)
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.WARNING)
    return log


def test_an_outage_worth_of_coordinator_lines_prints_one_and_then_the_count():
    clock, out = Clock(), io.StringIO()
    flt = RepeatFilter(window_s=30, clock=clock)
    log = _logger("kafka.coordinator", out, flt)
    for i in range(9000):
        clock.now = i * 0.002  # 9,000 lines in 18 s, node ids changing
        log.warning("Marking the coordinator dead (node %s) for group %s", i % 3, "g")
    assert out.getvalue().count("Marking the coordinator dead") == 1
    clock.now = 31.0
    log.warning("Marking the coordinator dead (node %s) for group %s", 2, "g")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert (
        lines[1]
        == "Marking the coordinator dead (node 2) for group g [8999 more like this in 31 s]"
    )


def test_witness_own_lines_and_other_kinds_are_never_held_back():
    clock, out = Clock(), io.StringIO()
    flt = RepeatFilter(window_s=30, clock=clock)
    mine = _logger("streams.recorder", out, flt)
    kafka = _logger("kafka.conn", out, flt)
    for _ in range(5):
        mine.warning("broker unreachable")
        kafka.warning("connect to %s refused", "b1")
        kafka.error("connect to %s refused", "b1")  # another level is another kind
    text = out.getvalue()
    assert text.count("broker unreachable") == 5
    assert text.count("connect to b1 refused") == 2


def test_configure_puts_the_filter_on_the_handlers_once():
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = []
    try:
        configure(verbose=False)
        configure(verbose=True)
        assert root.handlers
        for h in root.handlers:
            assert sum(isinstance(f, RepeatFilter) for f in h.filters) == 1
        assert logging.getLogger("kafka").level == logging.WARNING
    finally:
        root.handlers[:] = saved
