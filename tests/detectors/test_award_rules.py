"""Live award and disqualification rules: PRICE-CLOSE, PRICE-DISCOUNT, REJ-ALL, REJ-LOW,
REJ-RATE, BID-LOSER, PROC-SHORT; the `bid.rejected` contract; bounded cross-project state."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.base import Context
from detectors.losers import LoserDetector
from detectors.offline import run_detectors
from detectors.prices import PriceDetector
from detectors.procedure import ProcedureDetector
from detectors.rejections import RejectionDetector, RejectionRateDetector
from detectors.tally import Tally
from tests.support.relation_events import bid, by_rule, ts
from witness.config import Thresholds
from witness.errors import ConfigError
from witness.events import ContractError, make_event, parse_event


def ev(type_: str, project: str, minute: float, payload: dict, eid: str):
    return make_event(type_, project, ts(minute), payload, event_id=eid)


def registered(project: str, *, method: str | None = None, agent: str | None = None, **dates):
    payload = {"name": project, "evaluation_method": method, **dates}
    if agent is not None:
        payload["agent"] = agent
    return ev("project.registered", project, -600, payload, f"{project}-reg")


def rejected(project: str, bidder: str, minute: float = 300, reason: str = "资格不符"):
    payload = {"bidder_id": bidder, "reason": reason, "at": ts(minute).isoformat()}
    return ev("bid.rejected", project, minute, payload, f"{project}-rej-{bidder}")


def finished(project: str, ranking: list[str], minute: float = 400):
    rows = [{"bidder_id": b, "rank": i + 1, "total": 90.0 - i} for i, b in enumerate(ranking)]
    return ev(
        "evaluation.finished", project, minute, {"room_id": "E1", "ranking": rows}, f"{project}-fin"
    )


def tender(project: str, prices: dict[str, float], *, rejected_ids=(), method=None, agent=None):
    events = [registered(project, method=method, agent=agent)]
    events += [bid(project, b, n=i, price=p) for i, (b, p) in enumerate(sorted(prices.items()))]
    events.append(ev("opening.started", project, 100, {"room_id": "R1"}, f"{project}-os"))
    events.append(ev("opening.closed", project, 200, {"room_id": "R1"}, f"{project}-oc"))
    events += [rejected(project, b) for b in rejected_ids]
    ranking = sorted((b for b in prices if b not in rejected_ids), key=prices.get)
    ranking += [b for b in rejected_ids]
    events.append(finished(project, ranking))
    return events


# ---------------------------------------------------------------- contract


def test_bid_rejected_contract_names_the_missing_field():
    ok = rejected("P1", "A")
    assert ok.payload.reason == "资格不符" and ok.payload.at.utcoffset() is not None
    raw = ok.to_dict()
    del raw["payload"]["reason"]
    with pytest.raises(ContractError) as exc:
        parse_event(raw, line=7)
    assert exc.value.field == "payload.reason" and exc.value.line == 7
    raw = ok.to_dict()
    raw["payload"]["at"] = "2026-11-20T09:00:00"  # no offset
    with pytest.raises(ContractError) as exc:
        parse_event(raw)
    assert exc.value.field == "payload.at"


# ---------------------------------------------------------------- PRICE-CLOSE / DISCOUNT


def test_price_close_and_discount_fire_on_the_pair_and_not_on_ordinary_gaps():
    close = run_detectors(
        tender("C", {"A": 1_000_000, "B": 1_001_000, "C": 1_080_000}), [PriceDetector()]
    )
    [a] = by_rule(close, "PRICE-CLOSE")
    assert a.subjects == ["A", "B"] and a.evidence["gap"] == pytest.approx(0.001)
    assert not by_rule(close, "PRICE-DISCOUNT")
    disc = run_detectors(
        tender("D", {"A": 700_000, "B": 1_000_000, "C": 1_020_000}), [PriceDetector()]
    )
    [d] = by_rule(disc, "PRICE-DISCOUNT")
    assert d.subjects == ["A", "B"] and d.evidence["gap"] == pytest.approx(3 / 7, rel=1e-4)
    plain = run_detectors(
        tender("N", {"A": 1_000_000, "B": 1_030_000, "C": 1_070_000}), [PriceDetector()]
    )
    assert not by_rule(plain, "PRICE-CLOSE") and not by_rule(plain, "PRICE-DISCOUNT")


def test_a_close_pair_that_chance_explains_is_not_price_close():
    """Ten bids on a 10,000-yen grid over 4.0-4.3 million: the two lowest one step apart
    (0.25 %... here 10,000 on 4.0 million = 0.25 % > max_gap) or equal happen by chance."""
    grid = {
        f"B{i}": 4_000_000 + 10_000 * k for i, k in enumerate([0, 0, 4, 9, 12, 17, 21, 24, 27, 30])
    }
    assert not by_rule(run_detectors(tender("G", grid), [PriceDetector()]), "PRICE-CLOSE")
    # the same gap priced to the fen over a wide spread is rare by chance: it fires
    fen = {"A": 4_000_000.17, "B": 4_004_000.83, "C": 4_610_000.41, "D": 4_790_000.26}
    [a] = by_rule(run_detectors(tender("F", fen), [PriceDetector()]), "PRICE-CLOSE")
    assert a.subjects == ["A", "B"] and a.evidence["chance"] <= 0.05
    assert a.evidence["rounding_unit"] == 0.01
    # ten honest bids spread evenly over 5 %: a 0.1 % gap somewhere low is ordinary
    even = {f"E{i}": 1_000_000.11 + 5_000.3 * i for i in range(10)}
    even["E1"] = 1_001_000.52
    assert not by_rule(run_detectors(tender("E", even), [PriceDetector()]), "PRICE-CLOSE")


def test_price_close_needs_min_bids():
    alerts = run_detectors(tender("T", {"A": 1_000_000, "B": 1_000_500}), [PriceDetector()])
    assert not by_rule(alerts, "PRICE-CLOSE")  # two bids: below min_bids = 3


# ---------------------------------------------------------------- REJ-ALL / REJ-LOW


def test_rej_all_fires_when_only_the_winner_survives():
    alerts = run_detectors(
        tender("R", {"A": 1_000, "B": 990, "C": 1_020}, rejected_ids=("B", "C")),
        [RejectionDetector()],
    )
    [a] = by_rule(alerts, "REJ-ALL")
    assert a.subjects == [] and a.evidence["winner"] == "A"
    assert [r["bidder_id"] for r in a.evidence["rejected"]] == ["B", "C"]


def test_rej_all_not_when_another_valid_bid_remains():
    alerts = run_detectors(
        tender("R", {"A": 1_000, "B": 990, "C": 1_020}, rejected_ids=("C",)), [RejectionDetector()]
    )
    assert not by_rule(alerts, "REJ-ALL")


def test_rej_low_only_where_price_decides():
    prices = {"A": 1_000, "B": 990, "C": 1_020}
    low = run_detectors(
        tender("L", prices, rejected_ids=("B",), method="经评审的最低投标价法"),
        [RejectionDetector()],
    )
    [a] = by_rule(low, "REJ-LOW")
    assert a.subjects == ["B"] and a.evidence["price"] == 990
    scored = run_detectors(
        tender("L", prices, rejected_ids=("B",), method="综合评估法"), [RejectionDetector()]
    )
    assert not by_rule(scored, "REJ-LOW")
    other = run_detectors(tender("L", prices, rejected_ids=("C",)), [RejectionDetector()])
    assert not by_rule(other, "REJ-LOW")  # not the lowest
    th = Thresholds.defaults().with_overrides("REJ-LOW", unknown_method=False)
    unknown = run_detectors(
        tender("L", prices, rejected_ids=("B",)), [RejectionDetector()], Context(thresholds=th)
    )
    assert not by_rule(unknown, "REJ-LOW")


# ---------------------------------------------------------------- REJ-RATE / BID-LOSER


def test_rej_rate_per_bidder_and_per_agent():
    events = []
    for i in range(6):
        rej = ("X",) if i < 4 else ()
        events += tender(
            f"P{i}", {"X": 900 + i, "Y": 1_000, "Z": 1_010}, rejected_ids=rej, agent="AG-1"
        )
    alerts = by_rule(run_detectors(events, [RejectionRateDetector()]), "REJ-RATE")
    by_entity = {a.evidence["entity"]: a for a in alerts}
    assert set(by_entity) == {"X"}  # agent share 4/18 stays under 0.5
    x = by_entity["X"]
    assert x.project_id == "*" and x.subjects == ["X"]
    assert x.evidence["bids"] >= 5 and x.evidence["share"] >= 0.5
    th = Thresholds.defaults().with_overrides("REJ-RATE", max_share=0.2)
    alerts = by_rule(
        run_detectors(events, [RejectionRateDetector()], Context(thresholds=th)), "REJ-RATE"
    )
    assert "AG-1" in {a.evidence["entity"] for a in alerts}


def test_bid_loser_flags_the_usual_loser_not_the_winners():
    events = []
    for i in range(24):
        winner = ("A", "B")[i % 2]
        prices = {
            "A": 1_000 + (0 if winner == "A" else 50),
            "B": 1_000 + (0 if winner == "B" else 50),
            "L": 1_100,
        }
        events += tender(f"T{i}", prices)
    alerts = by_rule(run_detectors(events, [LoserDetector()]), "BID-LOSER")
    assert {a.subjects[0] for a in alerts} == {"L"}
    [a] = alerts
    assert a.evidence["tenders"] == 24 and a.evidence["wins"] == 0
    assert len(a.evidence["recent_projects"]) == 10


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.text(alphabet="abcdef", min_size=1, max_size=3), min_size=1, max_size=200),
    st.integers(1, 20),
)
def test_tally_never_holds_more_than_its_capacity(entities, capacity):
    tally = Tally(capacity=capacity, recent=3)
    for i, e in enumerate(entities):
        rec = tally.add(e, f"P{i}", hits=i % 2)
        assert rec.hits <= rec.total and len(rec.recent) <= 3
        assert len(tally.records) <= capacity
    assert entities[-1] in tally.records  # the newest is always kept


# ---------------------------------------------------------------- PROC-SHORT


def _short(published: str, deadline: str, th: Thresholds | None = None) -> list:
    reg = registered("S", tender_published_at=published, bid_deadline=deadline)
    ctx = Context(thresholds=th) if th is not None else None
    return by_rule(run_detectors([reg], [ProcedureDetector()], ctx), "PROC-SHORT")


@pytest.mark.parametrize(
    ("published", "deadline", "days"),
    [
        # the ordinary lawful case: afternoon publication, bids due at 09:30 on day 20
        # (19 days 18.5 hours pass); the old rule counted hours and called it red
        ("2026-11-02T15:00:00+08:00", "2026-11-22T09:30:00+08:00", None),
        ("2026-11-02T08:00:00+08:00", "2026-11-21T17:00:00+08:00", 19),
        # written in UTC: still the centre's calendar (23:30 on 2 November in Beijing)
        ("2026-11-02T15:30:00Z", "2026-11-22T01:30:00Z", None),
        # 00:30 on 3 November in Beijing is still 2 November in UTC: 19 days, not 20
        ("2026-11-02T16:30:00Z", "2026-11-22T09:30:00+08:00", 19),
        ("2026-11-02T09:00:00+08:00", "2026-11-12T09:00:00+08:00", 10),
        ("2026-11-02T09:00:00+08:00", "2026-12-17T09:00:00+08:00", None),
    ],
)
def test_proc_short_counts_calendar_days_on_the_centres_calendar(published, deadline, days):
    alerts = _short(published, deadline)
    assert [a.evidence["days"] for a in alerts] == ([] if days is None else [days])
    if alerts:
        assert alerts[0].evidence["threshold"] == {"min_days": 20, "time_zone": "Asia/Shanghai"}


def test_proc_short_counts_on_another_centres_calendar_when_told():
    published, deadline = "2026-11-02T16:30:00Z", "2026-11-22T09:30:00+08:00"
    utc = Thresholds.defaults().with_overrides("PROC-SHORT", time_zone="UTC")
    assert _short(published, deadline) and not _short(published, deadline, utc)


@pytest.mark.parametrize("zone", ["", "Asia", "+08:00", "Mars/Olympus"])
def test_proc_short_refuses_a_time_zone_it_cannot_count_in(zone):
    th = Thresholds.defaults().with_overrides("PROC-SHORT", time_zone=zone)
    with pytest.raises(ConfigError) as caught:
        th.validate()
    assert "time_zone" in str(caught.value)


def test_proc_short_silent_without_publication_date():
    reg = registered("S", bid_deadline=ts(60).isoformat())
    assert not by_rule(run_detectors([reg], [ProcedureDetector()]), "PROC-SHORT")
