"""Files named on the command line that are missing or unreadable: one line, exit 2.

Found by feeding every file-reading command a missing path, binary bytes, UTF-16 and
broken JSON: `witness replay` died with a FileNotFoundError traceback, `witness evaluate`
with a UnicodeDecodeError one, and `witness archive verify` called a wrong path a damaged
bundle, exit 1, the code its help gives for "altered".
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from witness.cli import main

HOSTILE = {
    "binary": bytes(range(128, 256)) * 8,
    "utf16": '{"rule": "X"}\n'.encode("utf-16"),
    "broken": b'{"rule": "X"\n',
    "array": b"[1, 2]\n",
}


@pytest.fixture(autouse=True)
def _chinese(monkeypatch, tmp_path):
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    monkeypatch.setenv("WITNESS_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "{missing}", "--out", "{out}"],
        ["evaluate", "--truth", "{missing}", "--alerts", "{missing}"],
        ["archive", "verify", "{missing}"],
        ["archive", "import", "{missing}"],
        ["record", "P", "--bundle", "{missing}", "--out", "{out}"],
        ["record", "P", "--events", "{missing}", "--out", "{out}"],
    ],
)
def test_a_missing_file_is_named_in_one_line(argv, tmp_path, capsys) -> None:
    missing, out = tmp_path / "nowhere.jsonl", tmp_path / "out.x"
    argv = [a.format(missing=missing, out=out) for a in argv]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == (1 if argv[0] == "record" else 2), err  # record: 1 = cannot make
    assert f"{missing}: 找不到文件" in err and "Traceback" not in err
    assert "损坏" not in err  # not a damaged bundle: nothing was read


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "{dir}", "--out", "{out}"],
        ["evaluate", "--truth", "{dir}", "--alerts", "{dir}"],
        ["screen", "{dir}", "--tender", "t", "--price", "p", "--out", "{out}"],
        ["ingest-doc", "{dir}", "--project", "P", "--bidder", "B", "--out", "{out}"],
        ["ingest-boq", "{dir}", "--project", "P", "--bidder", "B", "--out", "{out}"],
        ["archive", "verify", "{dir}"],
        ["archive", "import", "{dir}"],
        ["record", "P", "--events", "{dir}", "--out", "{out}"],
    ],
)
def test_a_directory_is_said_to_be_one_in_one_line(argv, tmp_path, capsys) -> None:
    """A folder dragged in for a file was 'no such file' (it is there), in ingest-doc an
    English reason, and in ingest-boq two lines that named the file twice."""
    folder, out = tmp_path / "投标文件", tmp_path / "out.x"
    folder.mkdir()
    code = main([a.format(dir=folder, out=out) for a in argv])
    err = capsys.readouterr().err
    assert code == (1 if argv[0] == "record" else 2), err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{folder}" in lines[0] and "是目录，不是文件" in lines[0], err
    assert "Traceback" not in err and "找不到" not in err


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("which", ["--truth", "--alerts"])
def test_evaluate_names_the_file_and_line_that_is_not_json(kind, which, tmp_path, capsys) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"rule": "REL-34", "project_id": "P"}\n', "utf-8")
    bad = tmp_path / f"{kind}.jsonl"
    bad.write_bytes(b'{"rule": "REL-34"}\n\n' + HOSTILE[kind])
    files = {"--truth": good, "--alerts": good, which: bad}
    code = main(["evaluate", "--truth", str(files["--truth"]), "--alerts", str(files["--alerts"])])
    err = capsys.readouterr().err
    assert code == 2 and f"{bad} 第 3 行" in err, err
    reason = {"binary": "UTF-8", "utf16": "UTF-8", "broken": "JSON", "array": "JSON 对象"}[kind]
    assert reason in err


def test_evaluate_still_reads_a_file_saved_with_a_bom(tmp_path, capsys) -> None:
    truth = tmp_path / "truth.jsonl"
    truth.write_bytes(
        '{"rule": "REL-34", "project_id": "P", "subjects": ["A"]}\n'.encode("utf-8-sig")
    )
    alerts = tmp_path / "alerts.jsonl"  # a BOM on a line of its own, as some editors save
    alerts.write_bytes(
        b"\xef\xbb\xbf\n" + b'{"rule": "REL-34", "project_id": "P", "subjects": ["A"]}\n'
    )
    assert main(["evaluate", "--truth", str(truth), "--alerts", str(alerts), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rules"][0]["detected"] == 1 and report["rules"][0]["precision"] == 1.0


@pytest.mark.parametrize("where", ["missing folder", "a folder"])
@pytest.mark.parametrize("command", ["replay", "screen", "simulate"])
def test_an_output_path_that_cannot_be_written_is_one_line(command, where, tmp_path, capsys):
    """An --out in a folder that does not exist, or naming a folder: exit 2 and the path,
    in the user's language, and for screen before the table is read."""
    out = tmp_path / "no" / "such" / "x.out" if where == "missing folder" else tmp_path
    events = tmp_path / "e.jsonl"
    events.write_text("", "utf-8")
    table = tmp_path / "t.csv"
    table.write_text("tender,price\nT1,10\nT1,12\n", "utf-8")
    argv = {
        "replay": ["replay", str(events), "--out", str(out)],
        "screen": [
            "screen",
            str(table),
            "--tender",
            "tender",
            "--price",
            "price",
            "--out",
            str(out),
        ],
        "simulate": ["simulate", "--projects", "1", "--out", str(out)],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    reason = "文件或文件夹不存在" if where == "missing folder" else "这是一个文件夹"
    assert f"无法访问 {out}：{reason}" in err and "Traceback" not in err, err
    if command == "screen":
        assert "读取" not in err  # refused before the table was read


def _replays_as_plain(encode, tmp_path, capsys) -> None:
    """The simulated day written by `encode(lines)` replays exactly as plain UTF-8."""
    from witness.simulator import Simulation

    lines = list(Simulation(1, 3).lines())
    plain, other = tmp_path / "plain.jsonl", tmp_path / "other.jsonl"
    plain.write_bytes(b"".join(line.encode() + b"\n" for line in lines))
    other.write_bytes(encode(lines))
    outs = []
    for events in (plain, other):
        out = tmp_path / f"{events.stem}.alerts.jsonl"
        assert main(["replay", str(events), "--out", str(out)]) == 0
        outs.append(out.read_text("utf-8"))
        err = capsys.readouterr().err
        assert "无效" not in err and f"重放 {len(lines)} 个事件" in err, err
    assert outs[0] == outs[1] and outs[0]


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_replay_reads_an_event_file_saved_with_a_bom(ending, tmp_path, capsys) -> None:
    """Notepad's "UTF-8 with BOM": replay rejected line 1 as not JSON, and so lost the
    project's first event; the same file without the mark gives the same alerts."""
    _replays_as_plain(
        lambda lines: "".join(line + ending for line in lines).encode("utf-8-sig"),
        tmp_path,
        capsys,
    )


@pytest.mark.parametrize(
    ("codec", "mark"), [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)]
)
def test_replay_reads_an_event_file_windows_powershell_wrote(codec, mark, tmp_path, capsys):
    """PowerShell 5's `>` writes UTF-16 with a mark and CRLF: every line was "not valid
    JSON", so `witness simulate --out - > day.jsonl` then `witness replay day.jsonl`
    replayed nothing."""
    _replays_as_plain(
        lambda lines: mark + "".join(line + "\r\n" for line in lines).encode(codec),
        tmp_path,
        capsys,
    )


_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\ufeff"))


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(_LINE, max_size=6),
    codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_every_encoding_a_windows_tool_saves_reads_as_the_same_lines(lines, codec, ending):
    import io

    from witness.jsonl import read_lines

    text = "".join(line + ending for line in lines)
    data = text.encode(codec)
    if codec == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    elif codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    expected = [(n, line.encode()) for n, line in enumerate(lines, 1) if line.encode().strip()]
    assert list(read_lines(io.BytesIO(data))) == expected


def test_broken_utf16_stops_at_the_line_it_breaks_on() -> None:
    import io

    from witness.errors import InputFileError
    from witness.jsonl import read_lines

    good = '{"a": 1}\n{"b": 2}\n'.encode("utf-16")
    lines = read_lines(io.BytesIO(good + "\ud800".encode("utf-16-le", "surrogatepass") + b"x"))
    assert next(lines) == (1, b'{"a": 1}') and next(lines) == (2, b'{"b": 2}')
    with pytest.raises(InputFileError) as caught:
        next(lines)
    assert "3" in caught.value.describe() and "UTF-16" in caught.value.describe()


def test_only_the_mark_opening_a_file_is_dropped() -> None:
    """`witness ingest` reads lines the same way: the mark at the start of the file is not
    data; one in the middle of a file is (that line is then rejected, with its number)."""
    import io

    from witness.jsonl import read_lines

    bom = b"\xef\xbb\xbf"
    assert list(read_lines(io.BytesIO(bom + b'{"a": 1}\r\n{"b": 2}\n'))) == [
        (1, b'{"a": 1}'),
        (2, b'{"b": 2}'),
    ]
    assert list(read_lines(io.BytesIO(bom + b"\n" + b'{"a": 1}\n'))) == [(2, b'{"a": 1}')]
    assert list(read_lines(io.BytesIO(b'{"a": 1}\n' + bom + b'{"b": 2}\n')))[1] == (
        2,
        bom + b'{"b": 2}',
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", ["simulate", "replay"])
def test_a_full_disk_is_one_line_not_a_traceback(command, tmp_path, capsys) -> None:
    """`witness simulate --out` on a full disk died in an OSError traceback."""
    from witness.simulator import Simulation

    day = tmp_path / "day.jsonl"
    day.write_text("".join(line + "\n" for line in Simulation(1, 3).lines()), "utf-8")
    argv = {
        "simulate": ["simulate", "--projects", "1", "--out", "/dev/full", "--no-progress"],
        "replay": ["replay", str(day), "--out", "/dev/full"],
    }[command]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and "磁盘已满" in err and "Traceback" not in err, err


def test_a_line_longer_than_any_event_is_refused_by_its_size_without_being_held(tmp_path):
    """`for raw in file` held a whole line: one 4 GB line without a break took the
    machine's memory before the size limit could refuse it."""
    import tracemalloc

    from witness.jsonl import read_lines
    from witness.payloads import MAX_EVENT_BYTES

    huge = 64 * 1024 * 1024
    path = tmp_path / "hostile.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"a": 1}\n')
        for _ in range(huge // (1 << 20)):
            fh.write(b"x" * (1 << 20))
        fh.write(b'\r\n{"b": 2}\n')
    tracemalloc.start()
    with path.open("rb") as fh:
        got = [(n, len(line), getattr(line, "size", None)) for n, line in read_lines(fh)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert got == [(1, 8, None), (2, MAX_EVENT_BYTES + 1, huge), (3, 8, None)]
    assert peak < 4 * MAX_EVENT_BYTES < huge


def test_replay_names_the_oversize_line_with_its_real_size(tmp_path, capsys) -> None:
    from witness.payloads import MAX_EVENT_BYTES

    path = tmp_path / "day.jsonl"
    path.write_bytes(b"x" * (MAX_EVENT_BYTES + 5000) + b"\n")
    assert main(["replay", str(path), "--out", str(tmp_path / "a.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "第 1 行" in err and f"{MAX_EVENT_BYTES + 5000} bytes" in err, err
