"""A small recorded project (events, alerts, a decision, a thumbnail) and bundle surgery."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from hashlib import sha256

import detectors
from witness.events import make_event

# JPEG-framed bytes: enough to check thumbnails travel byte for byte.
TINY_JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\xff\xd9"


def project_events(project: str = "P1") -> list:
    evs = [
        make_event(
            "project.registered",
            project,
            "2026-11-20T08:00:00+08:00",
            {
                "name": "道路工程",
                "rooms": [{"room_id": "R1", "kind": "evaluation", "cameras": ["C1"]}],
            },
        )
    ]
    for i, b in enumerate("ABCD"):
        evs.append(
            make_event(
                "bid.submitted",
                project,
                f"2026-11-20T09:0{i}:00+08:00",
                {
                    "bidder": {"id": b, "name": f"{b}公司"},
                    "price": 100 + i,
                    "bond": {"payer_account": "X1" if b in "AB" else f"Y{b}"},
                },
            )
        )
    evs.append(
        make_event("opening.started", project, "2026-11-21T09:00:00+08:00", {"room_id": "R1"})
    )
    evs.append(
        make_event(
            "bid.submitted",
            project,
            "2026-11-21T09:01:00+08:00",
            {"bidder": {"id": "E", "name": "E公司"}, "price": 99, "bond": {"payer_account": "X1"}},
        )
    )
    return evs


def frame_event():
    return make_event(
        "frame.analyzed",
        "*",
        "2026-11-21T09:00:30+08:00",
        {
            "camera_id": "C1",
            "room_id": "R1",
            "width": 1,
            "height": 1,
            "brightness": 255,
            "sharpness": 1.0,
            "motion": 0.0,
            "scene_change": 0.0,
            "persons": 0,
            "faces": 0,
            "thumbnail": base64.b64encode(TINY_JPEG).decode(),
        },
    )


def record_project(store, project: str = "P1") -> None:
    """Write events one at a time as the live recorder would, then an officer decision."""
    engine = detectors.Engine(detectors.all_detectors())
    for ev in [*project_events(project), frame_event()]:
        store.write([ev], engine.process(ev).alerts)
    aid = store.alerts(project_ids=[project])[0].alert_id
    store.decide(aid, "acknowledge", "见证员王五")
    store.decide(aid, "refer", "见证员王五", reason="保证金同一账户")


def read_zip(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def write_zip(path, parts: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    path.write_bytes(buf.getvalue())


def ledger_lines(parts: dict[str, bytes]) -> list[str]:
    return parts["ledger.jsonl"].decode().splitlines()


def set_ledger(parts: dict[str, bytes], lines: list[str], *, fix_manifest: bool) -> None:
    """Replace the ledger part; with fix_manifest, also forge the manifest's part hash."""
    parts["ledger.jsonl"] = ("\n".join(lines) + "\n").encode()
    if fix_manifest:
        fix_part_hash(parts, "ledger.jsonl")


def fix_part_hash(parts: dict[str, bytes], name: str) -> None:
    m = json.loads(parts["manifest.json"])
    m["parts"][name]["sha256"] = sha256(parts[name]).hexdigest()
    m["parts"][name]["bytes"] = len(parts[name])
    parts["manifest.json"] = json.dumps(m).encode()


def registry_fact():
    """C holds 60 % of D: makes REL-34 fire for P1's bidders C and D (needs the registry)."""
    return make_event(
        "registry.relation",
        "*",
        "2026-11-01T00:00:00+08:00",
        {"a": "C", "b": "D", "kind": "shareholder", "share": 0.6, "source": "工商登记"},
    )


def record_project_with_context(store, project: str = "P1", *, close_opening: bool = True) -> None:
    """A registry fact before, frames during and one frame long after the project.

    With `close_opening`, the opening closes the same morning, so the late frame belongs
    to whoever uses the room next week; without it the session stays under way and the
    camera heard again a week later raises the project's VID-OFFLINE.
    """
    engine = detectors.Engine(detectors.all_detectors())
    closed = make_event("opening.closed", project, "2026-11-21T09:30:00+08:00", {"room_id": "R1"})
    late = frame_event().model_copy(
        update={"event_id": "frame-late", "ts": frame_event().ts.replace(day=28)}
    )
    early = frame_event().model_copy(
        update={"event_id": "frame-early", "ts": frame_event().ts.replace(day=20)}
    )
    for ev in [
        registry_fact(),
        *project_events(project)[:3],
        early,
        *project_events(project)[3:],
        frame_event(),
        *([closed] if close_opening else []),
        late,
    ]:
        store.write([ev], engine.process(ev).alerts)
