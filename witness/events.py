"""The event contract (DESIGN §4): the envelope, every payload, and strict parsing.

Every byte that enters Witness passes through :func:`parse_event`. It either returns a
validated :class:`Event` or raises :class:`ContractError` naming the event, the field and
(for files) the line, so bad input can be dead-lettered with a reason a person can act on.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from hashlib import sha256
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationError,
)

from witness.errors import WitnessError
from witness.payloads import (  # noqa: F401  (re-exported: the contract is one import)
    GLOBAL_PROJECT,
    MAX_BOQ_CODE_CHARS,
    MAX_BOQ_ITEMS,
    MAX_EVENT_BYTES,
    MAX_FIELD_CHARS,
    MAX_ID_CHARS,
    MAX_TEXT_CHARS,
    BidOpened,
    BidRejected,
    BidSubmitted,
    Bond,
    BoqComponents,
    BoqItem,
    BoqSoftware,
    BoqSubmitted,
    CameraStatus,
    ClockTick,
    Contact,
    DocumentMetadata,
    DocumentSubmitted,
    Empty,
    EvaluationFinished,
    EvaluationStarted,
    Expert,
    ExpertActivity,
    ExpertAssigned,
    FrameAnalyzed,
    Id,
    Party,
    PastEmployer,
    Person,
    ProjectManager,
    ProjectRegistered,
    RankEntry,
    RegistryRelation,
    RelationKind,
    Relative,
    Room,
    RoomRef,
    RoomSession,
    ScoreSubmitted,
    Shareholder,
    Submission,
    _Payload,
    canonical_json,
    registry_fact_key,
)

PAYLOADS: dict[str, type[_Payload]] = {
    "project.registered": ProjectRegistered,
    "bid.submitted": BidSubmitted,
    "document.submitted": DocumentSubmitted,
    "registry.relation": RegistryRelation,
    "opening.started": RoomRef,
    "opening.closed": RoomRef,
    "bid.opened": BidOpened,
    "boq.submitted": BoqSubmitted,
    "expert.assigned": ExpertAssigned,
    "evaluation.started": EvaluationStarted,
    "score.submitted": ScoreSubmitted,
    "expert.activity": ExpertActivity,
    "evaluation.finished": EvaluationFinished,
    "bid.rejected": BidRejected,
    "project.archived": Empty,
    "frame.analyzed": FrameAnalyzed,
    "camera.status": CameraStatus,
    "room.session": RoomSession,
    "clock.tick": ClockTick,
}

#: Camera events and room clock ticks: they travel on the frames topic (keyed by room) and
#: are remembered by time, not by project.
FRAME_TYPES = frozenset({"frame.analyzed", "camera.status", "clock.tick"})

#: Types whose project_id is always '*' (they are not tied to one project).
GLOBAL_TYPES = frozenset({"registry.relation", "frame.analyzed", "camera.status", "clock.tick"})


# ---------------------------------------------------------------- envelope


class Event(BaseModel):
    """A validated event. `payload` is the typed model for `type` (see PAYLOADS)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_FIELD_CHARS)

    event_id: Id
    type: str
    project_id: Id
    ts: AwareDatetime
    source: str | None = None
    payload: Any

    @property
    def room_id(self) -> str | None:
        """The room an event concerns, if any (frames, camera status, sessions, ...)."""
        return getattr(self.payload, "room_id", None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; optional fields that were absent stay absent."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "project_id": self.project_id,
            "ts": self.ts.isoformat(),
            "source": self.source,
            "payload": self.payload.model_dump(mode="json", exclude_unset=True),
        }

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    def to_bytes(self) -> bytes:
        return self.to_json().encode("utf-8")

    @property
    def key(self) -> str:
        """The Kafka key: room for frames, the fact's key for registry facts, else project."""
        if self.type in FRAME_TYPES or self.type == "room.session":
            return self.payload.room_id
        if self.type == "registry.relation":
            return self.payload.fact_key
        return self.project_id


def derived_id(prefix: str, *parts: str) -> str:
    """The id of an event derived from others: readable while it fits MAX_ID_CHARS,
    else the prefix and a hash of the parts (so a long source id never makes an id the
    contract, and the store, would refuse)."""
    text = ":".join((prefix, *parts))
    if len(text) <= MAX_ID_CHARS:
        return text
    return f"{prefix}:{sha256(canonical_json(list(parts)).encode('utf-8')).hexdigest()}"


class ContractError(WitnessError, ValueError):
    """Input that breaks the contract. `reason` is written for the person fixing it."""

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        event_id: str | None = None,
        event_type: str | None = None,
        line: int | None = None,
    ) -> None:
        self.reason = reason
        self.field = field
        self.event_id = event_id
        self.event_type = event_type
        self.line = line
        super().__init__(self.describe())

    def describe(self, *, line: bool = True) -> str:
        """'line 3, field payload.price: reason'; line=False for a message that names
        the line itself ("第 3 行无效：...")."""
        where = []
        if line and self.line is not None:
            where.append(f"line {self.line}")
        if self.event_id:
            where.append(f"event {self.event_id}")
        if self.event_type:
            where.append(f"type {self.event_type}")
        if self.field:
            where.append(f"field {self.field}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def with_line(self, line: int) -> ContractError:
        return ContractError(
            self.reason,
            field=self.field,
            event_id=self.event_id,
            event_type=self.event_type,
            line=line,
        )


#: Characters no store keeps: NUL (PostgreSQL refuses it in text) and lone surrogates
#: (JSON may spell them as \\ud800, but they are not Unicode text and cannot be encoded).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: In JSON text they can only be escapes (json.loads refuses raw control characters, and
#: UTF-8 has no surrogates), or raw surrogates in a Python str: a quick look at the text
#: says whether the (slower) walk over the decoded values is needed at all.
_UNSTORABLE_HINT = re.compile(r"[\x00\ud800-\udfff]|\\u(?:0000|[dD][89a-fA-F])")


def _unstorable_text(obj: Any) -> tuple[str, str] | None:
    """(field path, problem) of the first string, or key, no store could keep."""
    stack: list[tuple[str, Any]] = [("", obj)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            m = UNSTORABLE.search(value)
            if m:
                ch = m.group()
                what = (
                    "a NUL character (U+0000)"
                    if ch == "\x00"
                    else f"a lone surrogate (U+{ord(ch):04X})"
                )
                return path or "(event)", f"contains {what}, which is not storable text"
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and UNSTORABLE.search(k):
                    return path or "(event)", "has a key with a NUL character or a lone surrogate"
                stack.append((f"{path}.{k}" if path else str(k), v))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}", v) for i, v in enumerate(value))
    return None


def _first_error(exc: ValidationError, prefix: str) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
    msg = err.get("msg", "invalid")
    more = len(exc.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return field, msg


def parse_event(raw: bytes | str | dict[str, Any], *, line: int | None = None) -> Event:
    """Validate one event from bytes, text or a decoded dict; raise ContractError on any fault."""
    if isinstance(raw, bytes | bytearray):
        if len(raw) > MAX_EVENT_BYTES:
            size = getattr(raw, "size", 0) or len(raw)  # a file line read only in part
            raise ContractError(
                f"event is {size} bytes, over the {MAX_EVENT_BYTES}-byte limit", line=line
            )
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ContractError(
                f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})", line=line
            ) from None
    suspect = True  # a dict from code: walk it
    if isinstance(raw, str):
        if len(raw) > MAX_EVENT_BYTES:
            raise ContractError("event is over the size limit", line=line)
        suspect = _UNSTORABLE_HINT.search(raw) is not None
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ContractError(
                f"not valid JSON ({exc.msg} at column {exc.colno})", line=line
            ) from None
        except RecursionError:
            raise ContractError("JSON nested too deeply", line=line) from None
    if not isinstance(raw, dict):
        raise ContractError(f"an event must be a JSON object, got {type(raw).__name__}", line=line)

    event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else None
    etype = raw.get("type")
    if not isinstance(etype, str):
        raise ContractError("missing or non-string", field="type", event_id=event_id, line=line)
    bad = _unstorable_text(raw) if suspect else None
    if bad is not None:
        shown_id = event_id if event_id is None or not UNSTORABLE.search(event_id) else None
        raise ContractError(
            bad[1],
            field=bad[0],
            event_id=shown_id,
            event_type=etype[:80] if not UNSTORABLE.search(etype) else None,
            line=line,
        )
    model = PAYLOADS.get(etype)
    if model is None:
        known = ", ".join(sorted(PAYLOADS))
        raise ContractError(
            f"unknown event type {etype[:80]!r}; known types: {known}",
            field="type",
            event_id=event_id,
            event_type=etype[:80],
            line=line,
        )
    payload_raw = raw.get("payload", {})
    if payload_raw is None:
        payload_raw = {}
    if not isinstance(payload_raw, dict):
        raise ContractError(
            "must be a JSON object", field="payload", event_id=event_id, event_type=etype, line=line
        )
    try:
        payload = model.model_validate(payload_raw)
    except ValidationError as exc:
        field, msg = _first_error(exc, "payload")
        raise ContractError(
            msg, field=field, event_id=event_id, event_type=etype, line=line
        ) from None
    try:
        event = Event.model_validate({**raw, "payload": payload})
    except ValidationError as exc:
        field, msg = _first_error(exc, "")
        raise ContractError(
            msg, field=field, event_id=event_id, event_type=etype, line=line
        ) from None
    if etype in GLOBAL_TYPES and event.project_id != GLOBAL_PROJECT:
        raise ContractError(
            f"must be '{GLOBAL_PROJECT}' for {etype} (it is not tied to one project)",
            field="project_id",
            event_id=event_id,
            event_type=etype,
            line=line,
        )
    return event


def make_event(
    type: str,
    project_id: str,
    ts: datetime | str,
    payload: dict[str, Any],
    *,
    event_id: str | None = None,
    source: str = "witness",
) -> Event:
    """Build and validate an event in code (simulator, camera agent, tests)."""
    if event_id is None:
        from hashlib import sha256

        basis = canonical_json([type, project_id, str(ts), payload])
        event_id = f"{type}:{sha256(basis.encode()).hexdigest()[:20]}"
    ts_text = ts.isoformat() if isinstance(ts, datetime) else ts
    return parse_event(
        {
            "event_id": event_id,
            "type": type,
            "project_id": project_id,
            "ts": ts_text,
            "source": source,
            "payload": payload,
        }
    )
