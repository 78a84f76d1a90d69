"""Bundles that were edited behind a rebuilt manifest, or that are not bundles at all.

The chain is what verifies and what `verify --live` holds against the store; the index
parts (events, alerts, decisions, documents) are what `import` writes back and what an
offline replay compares with. So:

- every change to an index row is found, though the chain and its hashes are untouched
  and the manifest's part hash was rebuilt to match (the forgery `--live` cannot see);
- no bytes in any part make verify, import or the record from a bundle raise anything
  but their own error: an auditor gets problems named by part and line, never a traceback.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.archive.conftest import fix_part_hash, read_zip, record_project, write_zip
from witness import archive
from witness.archive.index_parts import GENERATED
from witness.cli import main
from witness.record.sources import RecordError, from_bundle
from witness.store import Store
from witness.store.generated import covers, save

INDEX_PARTS = ["events.jsonl", "alerts.jsonl", "decisions.jsonl", "ledger.index.jsonl", GENERATED]
#: Fields the clock writes and no chain record holds: free, as long as they read as times.
FREE = {"alerts.jsonl": {"updated_at"}, GENERATED: {"created_at"}}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """A genuine bundle with every index part non-empty, and an empty migrated store."""
    d = tmp_path_factory.mktemp("hostile")
    store = Store(f"sqlite:///{d}/src.db")
    record_project(store)
    save(
        store,
        "P1",
        b"%PDF-1.7 a witness record",
        doc="record",
        fmt="pdf",
        locale="zh-CN",
        filename="P1.pdf",
        cov=covers(store, "P1"),
        made_by="见证员王五",
    )
    path = d / "P1.zip"
    archive.export_bundle(store.engine, "P1", path)
    store.close()
    Store(f"sqlite:///{d}/empty.db").close()
    parts = read_zip(path)
    assert all(parts[name].strip() for name in INDEX_PARTS), "every index part must have rows"
    return path, d / "empty.db"


def _bundle(parts: dict[str, bytes], tmp_path: Path, name: str = "edited.zip") -> Path:
    out = tmp_path / name
    write_zip(out, parts)
    return out


def _rows(parts: dict[str, bytes], name: str) -> list[str]:
    return parts[name].decode("utf-8").splitlines()


def _set_rows(parts: dict[str, bytes], name: str, lines: list[str]) -> None:
    parts[name] = "".join(line + "\n" for line in lines).encode("utf-8")
    fix_part_hash(parts, name)


def _canonical(line: str) -> str:
    return json.dumps(json.loads(line), sort_keys=True)


@st.composite
def row_edits(draw, parts: dict[str, bytes]):
    """One edit of one index part: (part, new lines), changed in what the rows say."""
    name = draw(st.sampled_from(INDEX_PARTS))
    lines = _rows(parts, name)
    i = draw(st.integers(0, len(lines) - 1))
    row = json.loads(lines[i])
    how = draw(st.sampled_from(["field", "drop_field", "new_field", "line", "drop", "twice"]))
    new = list(lines)
    if how == "drop":
        del new[i]
    elif how == "twice":
        new.insert(draw(st.integers(0, len(lines))), lines[i])
    elif how == "line":
        new[i] = json.dumps(draw(json_values))
    else:
        key = draw(st.sampled_from(sorted(set(row) - FREE.get(name, set()))))
        if how == "field":
            row[key] = draw(json_values)
        elif how == "drop_field":
            del row[key]
        else:
            row[draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in row))] = None
        new[i] = json.dumps(row, ensure_ascii=False)
    return name, new


#: The module's fixtures are read-only (a bundle and an empty database copied per example).
hostile = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@hostile
@given(data=st.data())
def test_any_edit_of_an_index_row_is_found_behind_a_rebuilt_manifest(sources, tmp_path, data):
    path, _ = sources
    parts = read_zip(path)
    name, new = data.draw(row_edits(parts))
    old = _rows(parts, name)
    try:
        unchanged = [_canonical(x) for x in new] == [_canonical(x) for x in old]
    except ValueError:
        unchanged = False
    if unchanged:
        return  # the edit happened to write what was there
    _set_rows(parts, name, new)
    report = archive.verify_bundle(_bundle(parts, tmp_path))
    assert not report.ok, (name, new)
    assert any(p.params.get("part") in (name, None) for p in report.problems)


def test_free_clock_fields_must_still_be_times(sources, tmp_path):
    path, _ = sources
    for name, fields in FREE.items():
        for key in fields:
            parts = read_zip(path)
            rows = [json.loads(x) for x in _rows(parts, name)]
            rows[0][key] = "2026-12-01T08:00:00+08:00"  # another time: the clock's to say
            _set_rows(parts, name, [json.dumps(r) for r in rows])
            assert archive.verify_bundle(_bundle(parts, tmp_path)).ok
            rows[0][key] = "yesterday"
            _set_rows(parts, name, [json.dumps(r) for r in rows])
            report = archive.verify_bundle(_bundle(parts, tmp_path))
            assert [(p.params["part"], p.params["detail"]) for p in report.problems] == [
                (name, key)
            ]


def test_an_edited_event_time_is_named_and_is_not_imported(sources, tmp_path, capsys, monkeypatch):
    """The case that verified and matched the live store before: the chain untouched, an
    event's index time moved and the manifest's hash rebuilt over it."""
    path, empty = sources
    parts = read_zip(path)
    rows = [json.loads(x) for x in _rows(parts, "events.jsonl")]
    rows[2]["ts"] = "2030-01-01T00:00:00+00:00"
    _set_rows(parts, "events.jsonl", [json.dumps(r) for r in rows])
    bad = _bundle(parts, tmp_path)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["archive", "verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"events.jsonl line 3 ({rows[2]['event_id']}): ts differs from record" in out
    db = tmp_path / "into.db"
    shutil.copy(empty, db)
    with pytest.raises(archive.ArchiveError, match="events.jsonl line 3"):
        archive.import_bundle(Store(f"sqlite:///{db}").engine, bad)


def test_a_bundle_row_may_not_be_sealed(sources, tmp_path):
    """Only an opened project leaves the store, so an imported wall must not hide its
    alerts as sealed: a row sealed again is an edit, though the chain's version was."""
    path, _ = sources
    parts = read_zip(path)
    rows = [json.loads(x) for x in _rows(parts, "alerts.jsonl")]
    rows[0]["sealed"] = True
    _set_rows(parts, "alerts.jsonl", [json.dumps(r) for r in rows])
    report = archive.verify_bundle(_bundle(parts, tmp_path))
    assert [(p.code, p.params["detail"]) for p in report.problems] == [("alert_mismatch", "sealed")]


def test_many_edited_rows_are_listed_ten_and_counted(sources, tmp_path):
    path, _ = sources
    parts = read_zip(path)
    rows = [json.loads(x) for x in _rows(parts, "events.jsonl")]
    lines = [json.dumps({**r, "type": "bid.withdrawn"}) for r in rows] * 3
    _set_rows(parts, "events.jsonl", lines)
    problems = archive.verify_bundle(_bundle(parts, tmp_path)).problems
    assert len(problems) == 11 and problems[-1].code == "more"
    assert problems[-1].params == {"part": "events.jsonl", "n": 3 * len(rows) - 10}


# ------------------------------------------------------------------ any bytes at all

PARTS = [
    "manifest.json",
    "ledger.jsonl",
    "project.json",
    "frames.jsonl",
    "context.jsonl",
    *INDEX_PARTS,
]

hostile_bytes = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(json_values.map(json.dumps), min_size=1, max_size=3).map(
        lambda ls: "\n".join(ls).encode()
    ),
)


@st.composite
def hostile_parts(draw, parts: dict[str, bytes]):
    name = draw(st.sampled_from(PARTS))
    if draw(st.booleans()) and name != "manifest.json" and parts[name].strip():
        # one line of a real part replaced: the rest stays plausible
        lines = parts[name].decode("utf-8").splitlines() or [""]
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = draw(hostile_bytes).decode("utf-8", errors="replace")
        data = "\n".join(lines).encode("utf-8")
    elif draw(st.booleans()) and name == "manifest.json":
        manifest = json.loads(parts[name])
        path = draw(st.sampled_from(["chain", "parts", "context", "counts", "schema_version"]))
        manifest[path] = draw(json_values)
        data = json.dumps(manifest).encode()
    else:
        data = draw(hostile_bytes)
    return name, data


@hostile
@given(data=st.data())
def test_no_bytes_in_any_part_make_verify_import_or_record_raise(sources, tmp_path, data):
    path, empty = sources
    parts = read_zip(path)
    name, raw = data.draw(hostile_parts(parts))
    parts[name] = raw
    if name != "manifest.json" and data.draw(st.booleans()):
        fix_part_hash(parts, name)
    bad = _bundle(parts, tmp_path)
    report = archive.verify_bundle(bad)  # never raises
    for p in report.problems:
        assert p.message("en") and p.message("zh-CN")
    db = tmp_path / "into.db"
    shutil.copy(empty, db)
    target = Store(f"sqlite:///{db}")
    try:
        result = archive.import_bundle(target.engine, bad)
    except archive.ArchiveError:
        assert not report.ok
    else:
        assert report.ok and result.project_id == "P1"
    finally:
        target.close()
    try:
        inp = from_bundle(bad)
    except RecordError:
        assert not report.manifest  # only a bundle with no usable manifest has no record
    else:
        assert inp.chain.verified == report.ok


def test_every_project_of_a_simulated_day_verifies_as_bundle_and_live(store, tmp_path):
    """The stricter checks hold on what the system records: alerts of many rules in many
    versions, raised sealed and unsealed at opening, decisions, on both backends."""
    import detectors
    from witness.events import parse_event
    from witness.simulator import generate

    events, _ = generate(projects=3, seed=11)
    engine = detectors.Engine(detectors.all_detectors())
    batch, raised = [], []
    for e in events:  # in batches, as the recorder writes
        ev = parse_event(e)
        batch.append(ev)
        raised += engine.process(ev).alerts
        if len(batch) == 200:
            store.write(batch, raised)
            batch, raised = [], []
    store.write(batch, raised)
    alerts = store.alerts()
    opened = sorted(store.opened_projects())
    assert len(opened) == 3 and len(alerts) >= 20
    actions = ["acknowledge", "dismiss", "refer", "acknowledge"]
    for a, action in zip(alerts[:4], actions, strict=True):
        store.decide(a.alert_id, action, "见证员王五", reason="核实")
    for project in opened:
        path = tmp_path / f"{project}.zip"
        archive.export_bundle(store.engine, project, path)
        report = archive.verify_bundle(path)
        assert report.ok, [p.message("en") for p in report.problems]
        live = archive.verify_live(store.engine, project)
        assert live.ok, [p.message("en") for p in live.problems]


def test_a_zip_bomb_is_named_and_never_unpacked(sources, tmp_path, monkeypatch, capsys):
    """Every part was read whole into memory: a bundle of a few hundred KB declaring
    gigabytes took the auditor's machine down. Now its declared sizes are weighed first."""
    import tracemalloc
    import zipfile

    from witness.archive import format as bundle_format

    monkeypatch.setattr(bundle_format, "UNPACK_FREE_BYTES", 0)  # weigh even small bundles
    path, _ = sources
    assert archive.verify_bundle(path).ok  # a real bundle unpacks to ~8 times its size
    bomb = tmp_path / "P1.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", "{}")
        z.writestr("ledger.jsonl", b"\0" * (64 * 1024 * 1024))
    tracemalloc.start()
    report = archive.verify_bundle(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [p.code for p in report.problems] == ["bomb"]
    assert report.problems[0].params["size"] == 64 * 1024 * 1024 + 2
    assert peak < 4 * 1024 * 1024, peak  # nothing was inflated
    assert main(["archive", "verify", str(bomb)]) == 1
    assert "疑为 ZIP 炸弹" in capsys.readouterr().out
    with pytest.raises(archive.ArchiveError, match="ZIP 炸弹"):
        archive.import_bundle(Store(f"sqlite:///{tmp_path}/into.db").engine, bomb)
    with pytest.raises(RecordError, match="ZIP 炸弹"):
        from_bundle(bomb)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda p: {**p, "project": {**p["project"], "opened": False}}, "project.opened"),
        (lambda p: {**p, "project": None}, "project: null"),
        (lambda p: {**p, "project": {**p["project"], "project_id": "P9"}}, "'P9', not 'P1'"),
        (lambda p: {**p, "rooms": [{"room_id": 7}]}, "rooms.0.room_id"),
    ],
)
def test_the_project_row_is_that_of_the_opened_project(sources, tmp_path, edit, reason):
    """Imported as not opened, the auditor's wall would seal the project's bids again."""
    path, _ = sources
    parts = read_zip(path)
    parts["project.json"] = json.dumps(edit(json.loads(parts["project.json"]))).encode()
    fix_part_hash(parts, "project.json")
    problems = archive.verify_bundle(_bundle(parts, tmp_path)).problems
    assert [p.code for p in problems] == ["part_line"] and reason in problems[0].params["reason"]
