"""The event contract (DESIGN §4): the envelope, every payload, and strict parsing.

Every byte that enters Witness passes through :func:`parse_event`. It either returns a
validated :class:`Event` or raises :class:`ContractError` naming the event, the field and
(for files) the line, so bad input can be dead-lettered with a reason a person can act on.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from hashlib import sha256
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from witness.bill_payloads import BoqComponents, BoqItem, BoqSoftware, BoqSubmitted
from witness.payload_base import MAX_FIELD_CHARS, MAX_ID_CHARS, MAX_TEXT_CHARS, Id
from witness.payload_base import Payload as _Payload

#: Re-exported: the contract's shapes and bounds are read from this module.
__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_ID_CHARS",
    "MAX_TEXT_CHARS",
    "BoqComponents",
    "BoqItem",
    "BoqSoftware",
    "BoqSubmitted",
    "Id",
]

#: Largest raw event accepted, in bytes. Bid documents are the big ones (~20,000
#: characters of Chinese = ~60 KB); 8 MiB leaves room while stopping hostile payloads.
MAX_EVENT_BYTES = 8 * 1024 * 1024
GLOBAL_PROJECT = "*"


# ---------------------------------------------------------------- shared shapes


class Person(_Payload):
    name: str | None = None
    id_no: str | None = None


class Shareholder(_Payload):
    id: str | None = None
    name: str | None = None
    share: float | None = Field(default=None, ge=0.0, le=1.0)


class Party(_Payload):
    """A bidder: 统一社会信用代码 as id, with the people and contacts behind it."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    legal_rep: Person | None = None
    shareholders: list[Shareholder] = Field(default_factory=list)
    directors: list[Person] = Field(default_factory=list)
    address: str | None = None
    phone: str | None = None
    email: str | None = None


class Room(_Payload):
    room_id: Id
    kind: Literal["opening", "evaluation"]
    cameras: list[Id] = Field(default_factory=list)


# ---------------------------------------------------------------- payloads


class ProjectRegistered(_Payload):
    name: str
    category: str | None = None
    ceiling_price: float | None = Field(default=None, ge=0)
    currency: str | None = "CNY"
    tender_published_at: AwareDatetime | None = None  # 招标文件发出 (PROC-SHORT)
    bid_deadline: AwareDatetime | None = None
    opening_at: AwareDatetime | None = None
    evaluation_method: str | None = None
    rooms: list[Room] = Field(default_factory=list)


class Bond(_Payload):
    payer_account: str | None = None
    payer_name: str | None = None


class Submission(_Payload):
    ip: str | None = None
    mac: str | None = None
    cpu_id: str | None = None
    disk_id: str | None = None
    dongle_id: str | None = None
    machine_code: str | None = None
    file_creation_id: str | None = None
    at_venue: bool = False
    submitted_at: AwareDatetime | None = None


class ProjectManager(_Payload):
    name: str | None = None
    cert_no: str | None = None


class Contact(_Payload):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class BidSubmitted(_Payload):
    bidder: Party
    price: float = Field(gt=0)
    bond: Bond | None = None
    submission: Submission | None = None
    project_manager: ProjectManager | None = None
    contact: Contact | None = None
    document_ids: list[str] = Field(default_factory=list)


class DocumentMetadata(_Payload):
    author: str | None = None
    last_modified_by: str | None = None
    creator: str | None = None
    producer: str | None = None
    created: str | None = None
    modified: str | None = None
    rsid_root: str | None = None
    xmp_document_id: str | None = None


class DocumentSubmitted(_Payload):
    doc_id: str = Field(min_length=1)
    owner: str = Field(min_length=1, description="a bidder id, or 'tender'")
    kind: Literal["technical", "commercial", "tender"]
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata)
    sha256: str | None = None


RelationKind = Literal[
    "shareholder",
    "legal_rep",
    "director",
    "employment",
    "kinship",
    "same_address",
    "same_phone",
]


class RegistryRelation(_Payload):
    """'a is KIND of b': a holds `share` of b, a is legal rep/director/employee of b, ..."""

    a: Id
    b: Id
    kind: RelationKind
    share: float | None = Field(default=None, ge=0.0, le=1.0)
    since: date | None = None
    until: date | None = None
    source: str | None = None

    @property
    def fact_key(self) -> str:
        """Which fact this is: its Kafka key on the compacted registry topic.

        A later record with the same key is a new version of the same fact (it ends it
        with `until`, or corrects its share or source); a different (a, b, kind, since) is
        another fact, so compaction never drops one."""
        return registry_fact_key(self.a, self.b, self.kind, self.since)


def registry_fact_key(a: str, b: str, kind: str, since: date | None) -> str:
    """sha256 (hex) of the canonical JSON of [a, b, kind, since or null]."""
    basis = canonical_json([a, b, kind, since.isoformat() if since else None])
    return sha256(basis.encode("utf-8")).hexdigest()


class RoomRef(_Payload):
    room_id: Id


class BidOpened(_Payload):
    bidder_id: str = Field(min_length=1)
    price: float = Field(gt=0)


class PastEmployer(_Payload):
    id: str
    until: date | None = None


class Relative(_Payload):
    name: str | None = None
    id_no: str | None = None
    relation: str | None = None


class Expert(_Payload):
    id: str = Field(min_length=1)
    name: str | None = None
    employer: str | None = None
    past_employers: list[PastEmployer] = Field(default_factory=list)
    relatives: list[Relative] = Field(default_factory=list)
    specialty: str | None = None
    role: Literal["expert", "tenderer_rep"] = "expert"


class BidRejected(_Payload):
    """否决投标: the committee rejected a bid (REJ-ALL, REJ-LOW, REJ-RATE)."""

    bidder_id: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    at: AwareDatetime


class ExpertAssigned(_Payload):
    expert: Expert
    room_id: Id | None = None


class EvaluationStarted(_Payload):
    room_id: Id
    planned_minutes: float | None = Field(default=None, gt=0)


class ScoreSubmitted(_Payload):
    expert_id: str = Field(min_length=1)
    bidder_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    kind: Literal["objective", "subjective"]
    score: float = Field(ge=0)
    max_score: float = Field(gt=0)

    @field_validator("score")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("score must be a finite number")
        return v


class ExpertActivity(_Payload):
    expert_id: str = Field(min_length=1)
    action: Literal["open_file", "page_view", "score_click"]
    bidder_id: str | None = None


class RankEntry(_Payload):
    bidder_id: str
    total: float | None = None
    rank: int = Field(ge=1)
    #: True for a recommended candidate (中标候选人); absent: the platform did not say.
    candidate: bool | None = None


class EvaluationFinished(_Payload):
    room_id: Id
    ranking: list[RankEntry] = Field(default_factory=list)
    #: The recommended candidates (中标候选人) the platform names. When absent, the rows
    #: flagged `candidate: true` are the candidates; a ranking with neither names none.
    candidates: list[str] | None = None


class Empty(_Payload):
    pass


class FrameAnalyzed(_Payload):
    camera_id: Id
    room_id: Id
    width: int = Field(ge=0)
    height: int = Field(ge=0)
    brightness: float = Field(ge=0, le=255)
    sharpness: float = Field(ge=0)
    frozen: bool = False
    motion: float = Field(ge=0, le=1)
    scene_change: float = Field(ge=0, le=1)
    persons: int = Field(ge=0)
    faces: int = Field(ge=0)
    thumbnail: str | None = Field(default=None, max_length=200_000)


class CameraStatus(_Payload):
    camera_id: Id
    room_id: Id
    status: Literal["online", "offline"]


class RoomSession(_Payload):
    room_id: Id
    project_id: Id
    kind: Literal["opening", "evaluation"]
    state: Literal["under_way", "ended"]
    roster: list[str] = Field(default_factory=list)
    cameras: list[Id] = Field(default_factory=list)
    since: AwareDatetime


#: type -> payload model. The single source of truth for what Witness accepts.
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
}

#: Camera events: they travel on the frames topic and are remembered by time, not by project.
FRAME_TYPES = frozenset({"frame.analyzed", "camera.status"})

#: Types whose project_id is always '*' (they are not tied to one project).
GLOBAL_TYPES = frozenset({"registry.relation", "frame.analyzed", "camera.status"})


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
        if self.type in ("frame.analyzed", "camera.status", "room.session"):
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


def canonical_json(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept. Hashes depend on it."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class ContractError(ValueError):
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

    def describe(self) -> str:
        where = []
        if self.line is not None:
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
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_text(obj: Any) -> tuple[str, str] | None:
    """(field path, problem) of the first string, or key, no store could keep."""
    stack: list[tuple[str, Any]] = [("", obj)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            m = _UNSTORABLE.search(value)
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
                if isinstance(k, str) and _UNSTORABLE.search(k):
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
            raise ContractError(
                f"event is {len(raw)} bytes, over the {MAX_EVENT_BYTES}-byte limit", line=line
            )
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ContractError(
                f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})", line=line
            ) from None
    if isinstance(raw, str):
        if len(raw) > MAX_EVENT_BYTES:
            raise ContractError("event is over the size limit", line=line)
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
    bad = _unstorable_text(raw)
    if bad is not None:
        shown_id = event_id if event_id is None or not _UNSTORABLE.search(event_id) else None
        raise ContractError(
            bad[1],
            field=bad[0],
            event_id=shown_id,
            event_type=etype[:80] if not _UNSTORABLE.search(etype) else None,
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
