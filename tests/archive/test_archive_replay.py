"""Auditor's view of `witness replay --project`: same / changed (with a diff) / new / gone."""

from __future__ import annotations

from sqlalchemy import text

from tests.archive.conftest import record_project
from witness.cli import main
from witness.store import Store


def test_side_by_side_names_what_changed(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path}/w.db"
    store = Store(url)
    record_project(store)
    alerts = store.alert_models(project_ids=["P1"])
    target = next(a for a in alerts if a.rule == "REL-40-6")
    others = [a for a in alerts if a is not target]
    # the recorded version differs from what today's detectors raise: as if a rule changed
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE alerts SET severity = 'yellow', subjects = :s WHERE alert_id = :a"),
            {"s": '["A", "Q"]', "a": target.alert_id},
        )
        conn.execute(
            text(
                "INSERT INTO alerts (alert_id, rule, severity, project_id, title, legal_basis,"
                " subjects, evidence, event_ids, first_seen, last_seen, sealed, status, version,"
                " content_hash, updated_at) VALUES ('gone-1', 'PROC-FEW', 'red', 'P1', '旧告警',"
                " 'x', '[]', '{}', '[]', '2026-11-21 01:00:00', '2026-11-21 01:00:00', 0,"
                " 'open', 1, '', '2026-11-21 01:00:00')"
            )
        )
    store.close()
    monkeypatch.setenv("WITNESS_DATABASE_URL", url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["replay", "--project", "P1", "--out", str(tmp_path / "a.jsonl")]) == 0
    err = capsys.readouterr().err
    assert f"same {len(others)}, changed 1, new 0, gone 1" in err
    lines = err.splitlines()
    i = next(n for n, line in enumerate(lines) if line.split()[:1] == ["changed"])
    assert target.alert_id in lines[i]
    diff = "\n".join(lines[i + 1 : i + 6])
    assert "severity: yellow → red" in diff
    assert "subjects:" in diff and "-Q" in diff and "+B" in diff
    assert any(line.split()[:3] == ["gone", "PROC-FEW", "gone-1"] for line in lines)
    for a in others:
        assert any(line.split()[:3] == ["same", a.rule, a.alert_id] for line in lines)
