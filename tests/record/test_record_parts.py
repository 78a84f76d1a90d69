"""The record's pieces without a store: timeline flags, camera coverage, fonts, odd input,
and the recorder's post-archive hook."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.record.conftest import PID, at, ev, frame, ink_share, need, pdf_text, project_events
from witness.events import make_event
from witness.record import render_record
from witness.record.coverage import coverage, sessions
from witness.record.milestones import milestones
from witness.record.model import ChainInfo, RoomInfo
from witness.record.sources import from_events


def _flags(events) -> dict[str, tuple[str, ...]]:
    return {m.key: m.flags for m in milestones(events)}


def test_a_clean_lifecycle_has_no_flags():
    flags = _flags(project_events("archived"))
    assert all(f == () for f in flags.values())


def test_late_missing_out_of_order_and_overran_steps():
    evs = [e for e in project_events("archived") if e.type != "opening.closed"]
    late = [
        e if e.type != "opening.started" else ev("opening.started", 40, {"room_id": "KB-1"})
        for e in evs
    ]
    flags = _flags(late)
    assert "late" in flags["opening"]
    assert "missing" in flags["opening_closed"]
    assert "out_of_order" not in flags["opening"]  # late, but after the deadline
    early = [
        e if e.type != "opening.started" else ev("opening.started", -5, {"room_id": "KB-1"})
        for e in evs
    ]
    assert "out_of_order" in _flags(early)["opening"]  # before the bid deadline
    overran = [
        e
        if e.type != "evaluation.finished"
        else ev("evaluation.finished", 200, e.payload.model_dump(mode="json"))
        for e in evs
    ]
    assert "overran" in _flags(overran)["evaluation_finished"]
    reversed_ = [
        e if e.type != "evaluation.started" else ev("evaluation.started", 1, {"room_id": "PB-1"})
        for e in evs
    ]
    assert "out_of_order" in _flags(reversed_)["evaluation"]


def test_an_unarchived_project_has_no_missing_steps_only_steps_not_yet_taken():
    flags = _flags(project_events("bidding"))
    assert all(f == () for f in flags.values())
    assert [m.at is None for m in milestones(project_events("bidding"))][1:] == [True] * 5


ROOM = RoomInfo("R", "evaluation", ("C1",))


def _session(start: float, end: float) -> list:
    return [
        ev("evaluation.started", start, {"room_id": "R"}),
        ev("evaluation.finished", end, {"room_id": "R", "ranking": []}),
    ]


def test_coverage_counts_gaps_and_offline_reports():
    evs = _session(0, 30)
    evs += [frame("R", "C1", m) for m in range(0, 11)]  # covered to minute 11
    evs.append(
        make_event(
            "camera.status",
            "*",
            at(20),
            {"camera_id": "C1", "room_id": "R", "status": "offline"},
        )
    )
    evs += [frame("R", "C1", 19.5), frame("R", "C1", 25)]  # 19.5 covers only to 20 (offline)
    [s] = coverage(sorted(evs, key=lambda e: e.ts), [ROOM], [], gap_seconds=60)
    [c] = s.cameras
    gaps = [(round(g.start.minute + g.start.second / 60, 2), round(g.minutes, 2)) for g in c.gaps]
    assert gaps == [(11.0, 8.5), (20.0, 5.0), (26.0, 4.0)]
    assert c.online_minutes == pytest.approx(30 - 8.5 - 5 - 4, abs=0.05)


def test_a_camera_never_heard_from_is_one_gap_and_unlisted_cameras_appear():
    evs = _session(0, 10) + [frame("R", "C9", 1)]
    [s] = coverage(evs, [ROOM], [], gap_seconds=60)
    cams = {c.camera_id: c for c in s.cameras}
    assert cams["C1"].online_minutes == 0 and len(cams["C1"].gaps) == 1
    assert cams["C9"].online_minutes == pytest.approx(1.0)


def test_a_session_never_ended_runs_to_the_last_event():
    evs = [ev("opening.started", 0, {"room_id": "R"}), frame("R", "C1", 7)]
    [(room, kind, start, end)] = sessions(evs)
    assert (room, kind, (end - start)) == ("R", "opening", timedelta(minutes=7))


@settings(max_examples=80, deadline=None)
@given(
    times=st.lists(st.floats(-2, 32, allow_nan=False), max_size=40),
    offline=st.lists(st.floats(0, 30, allow_nan=False), max_size=4),
    gap=st.floats(5, 300),
)
def test_property_online_plus_gaps_is_the_session(times, offline, gap):
    evs = _session(0, 30) + [frame("R", "C1", m) for m in times]
    evs += [
        make_event(
            "camera.status",
            "*",
            at(m),
            {"camera_id": "C1", "room_id": "R", "status": "offline"},
            event_id=f"off-{m}",
        )
        for m in offline
    ]
    [s] = coverage(evs, [ROOM], [], gap_seconds=gap)
    [c] = s.cameras
    gaps = sum(g.minutes for g in c.gaps)
    assert c.online_minutes + gaps == pytest.approx(30, abs=0.06)
    assert all(g.minutes > 0 for g in c.gaps)
    assert all(a.end <= b.start for a, b in zip(c.gaps, c.gaps[1:], strict=False))


def _offline_input(events, alerts=()):
    return from_events(
        PID, events, list(alerts), file_name="x.jsonl", file_sha256="0" * 64, gap_seconds=60
    )


def test_same_input_same_bytes_and_the_locale_changes_them():
    inp = _offline_input(project_events("archived"))
    a = render_record(inp, fmt="pdf")
    assert a == render_record(inp, fmt="pdf")
    assert a != render_record(inp, fmt="pdf", locale="en")
    assert render_record(inp, fmt="html") == render_record(inp, fmt="html")


HOSTILE = [
    "<b>粗体</b> & <script>alert(1)</script>",
    "名称" * 400,
    "\u202eRTL-override 项目",
    "emoji 🏗️ 工程 \x07 \x1b[31m red",
    "back\\slash ]]> <![CDATA[",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_odd_but_legal_names_do_not_break_either_format(name):
    evs = project_events("archived")
    reg = evs[0].payload.model_dump(mode="json")
    reg["name"] = name
    evs[0] = ev("project.registered", -30 * 24 * 60, reg)
    inp = _offline_input(evs)
    pdf = render_record(inp, fmt="pdf")
    assert pdf.startswith(b"%PDF") and PID in pdf_text(pdf)
    page = render_record(inp, fmt="html").decode("utf-8")
    assert "<script>" not in page and "<b>粗体" not in page


def test_the_builtin_cid_font_still_extracts_chinese(monkeypatch, tmp_path):
    monkeypatch.setenv("WITNESS_RECORD_FONT", "STSong-Light")
    pdf = render_record(_offline_input(project_events("archived")))
    assert b"STSong-Light" in pdf
    text = pdf_text(pdf)
    assert "见证记录" in text and "二、流程时间线" in text


def test_a_wrong_font_path_is_a_clear_error(monkeypatch):
    from witness.errors import ConfigError

    monkeypatch.setenv("WITNESS_RECORD_FONT", "/nope/font.ttf")
    with pytest.raises(ConfigError, match="WITNESS_RECORD_FONT"):
        render_record(_offline_input(project_events("archived")))


def test_the_embedded_font_makes_a_page_that_renders(tmp_path):
    from witness.record.fonts import CANDIDATES, record_font

    if not any(Path(p).is_file() for p in CANDIDATES) and "WITNESS_RECORD_FONT" not in os.environ:
        need("a Chinese TrueType font (Debian package fonts-wqy-zenhei)")
    font = record_font()
    assert font.embedded
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_record(_offline_input(project_events("archived"))))
    from pypdf import PdfReader

    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages
        for f in page["/Resources"]["/Font"].values()
    }
    assert any("WenQuanYi" in f or "Witness" in f or "+" in f for f in fonts), fonts
    from tests.record.conftest import render_page_png

    png = render_page_png(pdf, tmp_path / "p")
    assert ink_share(png) > 0.02


def test_auto_record_makes_the_record_after_the_delay(sqlite_url):
    from streams.auto_record import AutoRecord
    from tests.record.conftest import record_into
    from witness.store import Store
    from witness.store.generated import listing

    store = Store(sqlite_url)
    record_into(store, project_events("archived"))
    hook = AutoRecord(sqlite_url, delay_s=0.3).start()
    hook.archived([PID, "NO-SUCH-PROJECT"])  # a bad project is logged, not fatal
    assert listing(store, PID) == []  # not before the delay
    deadline = time.monotonic() + 30
    while not listing(store, PID) and time.monotonic() < deadline:
        time.sleep(0.1)
    hook.archived([PID])  # archived again (re-delivery): same record, no new link
    hook.stop()
    [doc] = listing(store, PID)
    assert doc.made_by == "recorder" and hook.made == [PID, PID]
    assert store.verify_chain(PID) is None
    store.close()


def test_auto_record_stop_flushes_what_is_waiting(sqlite_url):
    from streams.auto_record import AutoRecord
    from tests.record.conftest import record_into
    from witness.store import Store
    from witness.store.generated import listing

    store = Store(sqlite_url)
    record_into(store, project_events("archived"))
    hook = AutoRecord(sqlite_url, delay_s=3600).start()
    hook.archived([PID])
    hook.stop()
    assert len(listing(store, PID)) == 1
    store.close()


class _Judges:
    """An `ArchiveJudged` whose answers the test sets."""

    def __init__(self) -> None:
        self.judged_past = -1  # the judges' committed offset on the archive's partition
        self.ends = {"alerts-0": 7}
        self.recorder_at = 0  # the recorder's committed offset on alerts-0
        self.asked_ends = 0
        self.fail = False
        self.asked = []  # archives per `judged` request

    def judged(self, archives) -> list[bool]:
        if self.fail:
            raise ConnectionError("broker gone")
        self.asked.append(len(archives))
        return [self.judged_past > offset for _tp, offset in archives]

    def alert_ends(self):
        self.asked_ends += 1
        return dict(self.ends)

    def all_stored(self, wanted) -> list[bool]:
        return [all(self.recorder_at >= end for end in ends.values()) for ends in wanted]

    def close(self) -> None:
        pass


def _wait_until(cond, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.05)
    return cond()


def test_auto_record_waits_for_the_judges_and_their_stored_alerts(sqlite_url):
    """The record is made only once the detectors committed past the archive and the
    recorder committed every alert they had sent by then, however long the delay passed."""
    from streams.auto_record import AutoRecord
    from tests.record.conftest import record_into
    from witness.store import Store
    from witness.store.generated import listing

    store = Store(sqlite_url)
    record_into(store, project_events("archived"))
    judges = _Judges()
    hook = AutoRecord(sqlite_url, delay_s=0.1, judged=judges, wait_s=3600).start()
    others = {"P-2": ("events-0", 300), "P-3": ("events-2", 900)}  # not judged here
    hook.archived([PID, *others], {PID: ("events-1", 41), **others})
    judges.fail = True  # a broker that does not answer holds the record, never loses it
    time.sleep(1.0)
    assert listing(store, PID) == []
    judges.fail = False
    judges.judged_past = 41  # committed offset 41: the archive (offset 41) not yet folded
    time.sleep(1.0)
    assert listing(store, PID) == [] and judges.asked_ends == 0
    judges.judged_past = 42  # folded: its alerts are on the topic, up to offset 7
    assert _wait_until(lambda: judges.asked_ends == 1)
    judges.ends = {"alerts-0": 99}  # alerts raised after the archive do not hold it back
    judges.recorder_at = 6
    time.sleep(1.0)
    assert listing(store, PID) == [] and judges.asked_ends == 1
    judges.recorder_at = 7
    assert _wait_until(lambda: listing(store, PID) != [])
    # one request for every project still waiting: three, then the two not judged
    assert judges.asked[0] == 3 and set(judges.asked) == {3, 2}
    hook.stop(flush=False)
    assert hook.made == [PID]
    store.close()


def test_auto_record_makes_the_record_at_the_deadline_when_no_judge_answers(sqlite_url, caplog):
    from streams.auto_record import AutoRecord
    from tests.record.conftest import record_into
    from witness.store import Store
    from witness.store.generated import listing

    store = Store(sqlite_url)
    record_into(store, project_events("archived"))
    hook = AutoRecord(sqlite_url, delay_s=0.1, judged=_Judges(), wait_s=1.5).start()
    started = time.monotonic()
    hook.archived([PID], {PID: ("events-1", 41)})
    with caplog.at_level("WARNING", logger="streams.auto_record"):
        assert _wait_until(lambda: listing(store, PID) != [])
        assert time.monotonic() - started >= 1.5
        hook.stop()
    assert "without the detectors' word" in caplog.text
    store.close()


def test_offline_input_needs_the_project(monkeypatch):
    from witness.record import RecordError

    for locale, says in (
        ("zh-CN", "f 中没有项目 NOPE 的事件"),
        ("en", "project NOPE has no events in f"),
    ):
        monkeypatch.setenv("WITNESS_LOCALE", locale)
        with pytest.raises(RecordError, match=says):
            from_events("NOPE", project_events("archived"), [], file_name="f", file_sha256="0")


def test_chain_info_of_an_offline_record_is_not_verified():
    inp = _offline_input(project_events("archived"))
    assert isinstance(inp.chain, ChainInfo) and inp.chain.verified is None
    assert inp.chain.source == "events"
