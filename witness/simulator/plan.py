"""The planned project: everything its truth depends on, decided before any event is written.

Planning modules (`lifecycle`, `bids`, `expert_panel`, `activity`, `cameras`) fill a `Project`
in place and append the truth cases they plant; rendering reads it back lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from witness.simulator import oracle
from witness.simulator.companies import Company
from witness.simulator.planting import Spec

if TYPE_CHECKING:
    from witness.simulator.cameras import RoomWindow
    from witness.simulator.expert_panel import ExpertPlan

#: The centre's rooms and their cameras.
OPENING_ROOMS = {f"KB-10{k}": [f"KB-10{k}-C{c}" for c in (1, 2)] for k in (1, 2, 3)}
EVAL_ROOMS = {f"PB-20{k}": [f"PB-20{k}-C{c}" for c in range(1, 3 + k % 2)] for k in range(1, 7)}
#: A small evaluation room with a single camera: when it goes dark no other frame of the
#: room arrives, so only the clock (ticks, the session's end, the camera heard again)
#: can notice the silence (VID-OFFLINE).
EVAL_ROOMS["PB-207"] = ["PB-207-C1"]


@dataclass(frozen=True)
class Venue:
    """A trading centre's rooms: opening rooms (开标室) and evaluation rooms (评标室)."""

    opening: dict[str, list[str]]
    evaluation: dict[str, list[str]]


#: The default centre of `witness simulate` (the tests' and benches' runs).
CENTRE = Venue(OPENING_ROOMS, EVAL_ROOMS)
#: The demo's centre: more rooms, and enough cameras that a project fills nine tiles
#: (four in its opening room, five in its evaluation room).
DEMO_CENTRE = Venue(
    {f"KB-10{k}": [f"KB-10{k}-C{c}" for c in range(1, 5)] for k in range(1, 5)},
    {f"PB-20{k}": [f"PB-20{k}-C{c}" for c in range(1, 6)] for k in range(1, 9)},
)


@dataclass(frozen=True)
class LiveDay:
    """A run shaped for the demo: every project opens on one day, staggered, so several
    are live at once, and each is archived soon after its evaluation.

    `first_number` numbers the projects (JY-2026-NNNN), so consecutive demo days do not
    reuse project ids. Registration and bidding still happen in the 20+ days before.
    """

    venue: Venue = DEMO_CENTRE
    first_number: int = 1
    first_opening_s: int = 9 * 3600  # 09:00 of the live day
    stagger_s: int = 600
    archive_after_s: tuple[int, int] = (1800, 2700)
    #: The first projects (the demo officer's) each carry a camera plant.
    showcase: int = 4
    #: Tampered pictures cycle through these, so a day shows a covered and a dark lens.
    tamper_modes: tuple[str, ...] = ("covered", "black", "frozen", "blur")


#: A platform event before its envelope: (simulated second, type, payload).
Event = tuple[int, str, dict[str, Any]]


@dataclass
class Bid:
    company: Company
    price: float
    quality: float
    at: int  # event time
    submitted_at: int
    submission: dict[str, Any]
    bond: dict[str, Any]
    pm: dict[str, str]
    contact: dict[str, str]
    docs: dict[str, Any] = field(default_factory=dict)  # how to render its documents
    #: later `bid.submitted` of the same bidder (修改投标): (event time, submitted_at)
    modifications: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Project:
    idx: int
    pid: str
    spec: Spec
    category: str
    name: str
    short: str
    tenderer: str
    ceiling: float
    registered: int
    deadline: int
    opening_room: str
    eval_room: str
    opening_start: int = 0
    opening_end: int = 0
    eval_start: int = 0
    eval_end: int = 0
    planned_minutes: int = 120
    archived: int = 0
    bids: list[Bid] = field(default_factory=list)
    committee: list[ExpertPlan] = field(default_factory=list)
    scores: oracle.Scores = field(default_factory=dict)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    report: list[dict[str, Any]] = field(default_factory=list)  # evaluation.finished ranking
    corrections: dict[tuple[str, str, str], float] = field(default_factory=dict)  # first entries
    candidates: int = 3
    assigned_at: int = 0
    early_score: tuple[str, str, str] | None = None
    activity: list[Event] = field(default_factory=list)
    windows: list[RoomWindow] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    published: int = 0  # tender_published_at (招标文件发出)
    method: str = "综合评估法"  # evaluation_method
    rejected: dict[str, str] = field(default_factory=dict)  # bidder -> reason (否决投标)
    bills: Any = None  # priced_bills.BillPlan of a 工程 project (工程量清单), or None
    venue: Venue = CENTRE


class Scheduler:
    """Rooms are the centre's, shared by projects: no two sessions overlap in a room."""

    def __init__(self) -> None:
        self.busy: dict[str, list[tuple[int, int]]] = {}

    def free(self, room: str, t0: int, t1: int) -> bool:
        return all(t1 <= a or t0 >= b for a, b in self.busy.get(room, []))

    def take(self, room: str, t0: int, t1: int) -> None:
        self.busy.setdefault(room, []).append((t0, t1))


def case(rule: str, project_id: str, subjects: list[str], note: str) -> dict[str, Any]:
    """One truth case (subjects sorted, as the truth file stores them)."""
    return {"rule": rule, "project_id": project_id, "subjects": sorted(subjects), "note": note}
