"""Every payload shape of the event contract (DESIGN §4) and the bounds they share.

`witness.events` holds the envelope and the parsing and re-exports these names; the
store sizes its columns from the bounds here (MAX_ID_CHARS and friends).
"""

from __future__ import annotations

import json
from datetime import date
from hashlib import sha256
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)


def canonical_json(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept. Hashes depend on it."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


#: Largest raw event accepted, in bytes. Bid documents are the big ones (~20,000
#: characters of Chinese = ~60 KB); 8 MiB leaves room while stopping hostile payloads.
MAX_EVENT_BYTES = 8 * 1024 * 1024
#: Largest plain string field (names, addresses); document text has its own limit.
MAX_FIELD_CHARS = 4096
#: Largest id that keys a row, an index or a hash chain in the store: event, project,
#: room and camera ids, registry entities. The store's columns are sized from it
#: (witness/store/models.py); PostgreSQL cannot index much more (a B-tree entry holds at
#: most ~2,700 bytes, and 256 characters are up to 1,024 bytes of UTF-8).
MAX_ID_CHARS = 256
MAX_TEXT_CHARS = 2_000_000

GLOBAL_PROJECT = "*"

#: An id that keys a row or a chain (see MAX_ID_CHARS).
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]


class _Payload(BaseModel):
    """Base of every payload: extra fields are kept (they are part of the trace)."""

    model_config = ConfigDict(extra="allow", str_max_length=MAX_FIELD_CHARS, frozen=True)


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
    #: Any finite number: a score outside [0, max_score] is an error of the evaluation
    #: report (EVAL-RANGE), not of the message, so it is recorded and flagged.
    score: float
    max_score: float = Field(gt=0, allow_inf_nan=False)

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


#: Largest bill of quantities accepted, in items. A large building's bill has ~5,000
#: items; 50,000 at ~150 bytes each still fits the event size limit.
MAX_BOQ_ITEMS = 50_000
#: Largest item code (12-digit 项目编码, supplementary codes such as 01B001, or a
#: platform's own longer key).
MAX_BOQ_CODE_CHARS = 64


class BoqSoftware(_Payload):
    """The pricing software that wrote the bill (计价软件) and its licence fingerprints."""

    name: str | None = None
    version: str | None = None
    lock_id: str | None = None  # 加密锁号
    machine_code: str | None = None


class BoqComponents(_Payload):
    """The 综合单价 build-up (综合单价分析): what one unit of the item costs, by kind."""

    labour: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    material: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    machine: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    management: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    profit: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class BoqItem(_Payload):
    """One priced line: 项目编码, 项目名称, 计量单位, 工程量, 综合单价, 合价."""

    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BOQ_CODE_CHARS)
    ]
    name: str | None = None
    unit: str | None = Field(default=None, max_length=32)
    quantity: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    unit_price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    total: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    fixed: bool = False  # 暂估价 / 暂列金额 / 安全文明施工费: set by the tender, copied by all
    components: BoqComponents | None = None


class BoqSubmitted(_Payload):
    """A priced bill of quantities (工程量清单); bidder_id 'tender' is the control bill."""

    bidder_id: Id
    doc_id: Id
    software: BoqSoftware | None = None
    items: list[BoqItem] = Field(default_factory=list, max_length=MAX_BOQ_ITEMS)


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


class ClockTick(_Payload):
    """A wall-clock tick for one room, published by the worker that owns the room's frames
    partition (never by outside systems): VID-OFFLINE notices a room gone dark without
    waiting for its next frame. Recorded like a frame, so replay sees the same clock."""

    room_id: Id


#: type -> payload model. The single source of truth for what Witness accepts.
