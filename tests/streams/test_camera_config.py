"""What an ops person tells `witness camera`: odd but legal, and wrong, cameras and options.

Before these checks a room id with a trailing space started a camera whose frames
never matched its registered room, an empty room died in the contract after the camera
opened, a `camera = 5` in cameras.toml was a TypeError traceback, two videos under one
ROOM:CAMERA were a ValueError traceback, `--fps inf` looped for ever on the first frame
and `--heartbeat 0` spun a dropped source's thread publishing offline statuses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.camera_agent import frame_event, status_event
from streams.camera_config import (
    AgentOptions,
    CameraConfigError,
    CameraSpec,
    check_unique,
    load_cameras,
)
from tests.support.video_events import empty_room, write_video
from witness.cli import main
from witness.errors import InputFileError

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _publishable(spec: CameraSpec) -> None:
    """The contract takes the camera's events (it raises ContractError otherwise)."""
    frame_event(spec, NOW, {"brightness": 0.5})
    status_event(spec, NOW, "online")


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_any_source_text_is_a_publishable_camera_or_a_named_refusal(text):
    try:
        spec = CameraSpec.parse(text)
    except CameraConfigError as exc:
        assert exc.describe()
        return
    room, camera, source = text.split(":", 2)
    assert (spec.room_id, spec.camera_id, spec.source) == (
        room.strip(),
        camera.strip(),
        source.strip(),
    )
    _publishable(spec)


@pytest.mark.parametrize(
    "room",
    ["", " ", "\u3000", "R1\n", "R\t1", "R\u200b1", "x" * 257, " R1", "R1 "],
)
def test_a_room_the_contract_or_a_reader_would_not_take_is_refused(room):
    with pytest.raises(CameraConfigError):
        CameraSpec(room, "C1", "a.mp4")


def test_blanks_a_hand_adds_are_dropped_where_a_person_typed_them(tmp_path):
    assert CameraSpec.parse(" R1 : C1 : rtsp://h/sub ").room_id == "R1"
    conf = tmp_path / "c.toml"
    conf.write_text('[[camera]]\nroom = "R1 "\ncamera = " C1"\nsource = "a.mp4"\n')
    (spec,) = load_cameras(conf)
    assert (spec.room_id, spec.camera_id) == ("R1", "C1")


_VALUES = st.one_of(
    st.text(max_size=12),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(0, 3), max_size=2),
)
_TABLES = st.lists(
    st.dictionaries(st.sampled_from(["room", "camera", "source", "sorce"]), _VALUES, max_size=4),
    max_size=4,
)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # a JSON string is a TOML basic string but for a raw DEL
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, float):
        return repr(value) if "e" in repr(value) or "." in repr(value) else f"{value}.0"
    return json.dumps(value)


def _toml(tables: list[dict]) -> str:
    return "".join(
        "[[camera]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in table.items())
        for table in tables
    )


@settings(max_examples=300)
@given(_TABLES)
def test_any_cameras_file_gives_publishable_cameras_or_one_named_line(tmp_path_factory, tables):
    conf = tmp_path_factory.mktemp("conf") / "cameras.toml"
    conf.write_text(_toml(tables), encoding="utf-8")
    try:
        specs = load_cameras(conf)
    except CameraConfigError as exc:
        assert str(conf) in exc.describe()
        return
    assert len(specs) == len(tables)
    for spec, table in zip(specs, tables, strict=True):
        assert spec.room_id == str(table["room"]).strip()
        _publishable(spec)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("camera = 5\n", "[[camera]]"),
        ("camera = [5]\n", "#1"),
        ('[[camera]]\nroom = "R"\ncamera = "C"\nsorce = "a.mp4"\n', "sorce"),
        ('[[camera]]\nroom = "R"\ncamera = "C"\nsource = {a = 1}\n', "source"),
        ('[[camera]]\nroom = ""\ncamera = "C"\nsource = "a.mp4"\n', "room"),
        ("\x00\x01 garbage", "TOML"),
        ("# nothing here\n", "[[camera]]"),
    ],
)
def test_a_wrong_cameras_file_names_the_file_and_what_is_wrong(tmp_path, monkeypatch, text, says):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    conf = tmp_path / "cameras.toml"
    conf.write_text(text)
    with pytest.raises(CameraConfigError) as caught:
        load_cameras(conf)
    assert str(conf) in caught.value.describe() and says in caught.value.describe()


def test_a_cameras_path_that_is_no_file_is_an_input_error(tmp_path):
    for path in (tmp_path, tmp_path / "none.toml"):
        with pytest.raises(InputFileError) as caught:
            load_cameras(path)
        assert str(path) in caught.value.describe()


def test_one_room_camera_pair_takes_one_video():
    with pytest.raises(CameraConfigError):
        check_unique([CameraSpec("R1", "C1", "a.mp4"), CameraSpec.parse("R1 :C1:b.mp4")])
    check_unique([CameraSpec("R1", "C1", "a.mp4"), CameraSpec("R2", "C1", "a.mp4")])


@pytest.mark.parametrize(
    "options",
    [
        {"fps": float("inf")},
        {"fps": float("nan")},
        {"fps": 0.0},
        {"fps": 1001.0},
        {"heartbeat_s": 0.0},
        {"heartbeat_s": float("nan")},
        {"heartbeat_s": -1.0},
        {"speed": float("inf")},
        {"speed": 0.0},
        {"max_frames": 0},
        {"backoff_initial_s": 0.0},
        {"start": datetime(2026, 11, 20, 9, 0)},
    ],
)
def test_options_that_would_spin_or_mean_nothing_are_refused(options):
    with pytest.raises(CameraConfigError):
        AgentOptions(**options)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--fps", "inf"], "--fps"),
        (["--heartbeat", "0"], "--heartbeat"),
        (["--max-frames", "-1"], "--max-frames"),
        (["--start", "yesterday"], "--start"),
        (["--start", "2026-11-20T09:00:00"], "--start"),
        (["--source", "R1:R1-cam1:b.mp4"], "twice"),
        (["--source", "R1:C2"], "ROOM:CAMERA:SOURCE"),
    ],
)
def test_the_command_refuses_before_it_opens_anything(tmp_path, monkeypatch, capsys, argv, says):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    out = tmp_path / "o.jsonl"
    rc = main(["camera", "a.mp4", "--room", "R1", "--out", str(out), *argv])
    err = capsys.readouterr().err
    assert rc == 2 and says in err and "Traceback" not in err
    assert not out.exists()


def test_the_summary_says_why_a_file_camera_sent_no_frames(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    video = write_video(tmp_path / "room.avi", [(empty_room(), 4, True)], fps=4)
    out = tmp_path / "o.jsonl"
    rc = main(
        [
            "camera",
            *("--source", f"R1:C1:{tmp_path}"),
            *("--source", f"R1:C2:{not_video}"),
            *("--source", f"R1:C3:{video}"),
            *("--out", str(out)),
        ]
    )
    lines = capsys.readouterr().err.splitlines()
    summary = {line.split()[1]: line for line in lines if line.startswith("camera ")}
    assert rc == 1
    assert "a directory" in summary["C1"]
    assert "cannot decode" in summary["C2"]
    assert "1 frames" in summary["C3"] and ";" not in summary["C3"]
