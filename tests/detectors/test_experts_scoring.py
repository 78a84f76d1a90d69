"""EXP-DEV, EXP-OBJ, EXP-CLIQUE, EXP-FAVOR: raised as scores arrive, honest spread is quiet."""

from __future__ import annotations

import pytest

from detectors.base import Context
from detectors.experts import ScoringDetector, average_ranks, deviation
from detectors.experts.scoring import FavourThresholds
from tests.detectors.conftest import by_rule, fold, score
from witness.config import Thresholds
from witness.errors import ConfigError

EXPERTS = ["E1", "E2", "E3", "E4", "E5"]


def run(events: list, ctx: Context | None = None) -> dict:
    return fold(ScoringDetector(), events, ctx)


def sheet(table: dict[str, dict[tuple[str, str], float]], kind: str = "subjective") -> list:
    """{expert: {(bidder, item): score}} -> score events, expert by expert."""
    return [
        score(e, b, i, v, kind=kind) for e, cells in table.items() for (b, i), v in cells.items()
    ]


# ---------------------------------------------------------------- EXP-DEV


def test_deviation_measure_and_its_boundary() -> None:
    assert deviation(13.0, [10, 10], 3.0, 0.3)["hit"] is False  # exactly the limit
    assert deviation(13.5, [10, 10], 3.0, 0.3)["hit"] is True
    m = deviation(20.0, [40, 40], 3.0, 0.3)  # 30 % of 40 = 12 > 3 points
    assert (m["limit"], m["deviation"], m["hit"]) == (12.0, -20.0, True)


def test_outlier_fires_for_that_expert_only_with_scores_beside_the_committee() -> None:
    events = [score(e, "B1", "tech", v) for e, v in zip(EXPERTS, [15, 16, 14, 15, 5], strict=True)]
    [alert] = by_rule(run(events), "EXP-DEV")
    assert alert.subjects == ["E5"]
    [row] = alert.evidence["deviating"]
    assert row["score"] == 5 and row["others"] == {"E1": 15, "E2": 16, "E3": 14, "E4": 15}
    assert row["others_mean"] == 15.0 and row["limit"] == 4.5
    assert alert.evidence["threshold"] == {
        "min_points": 3.0,
        "mean_share": 0.3,
        "min_peers": 2,
        "min_peer_share": 1.0,
    }


def test_honest_disagreement_does_not_fire() -> None:
    events = [score(e, "B1", "tech", v) for e, v in zip(EXPERTS, [15, 17, 13, 16, 12], strict=True)]
    events += [score(e, "B2", "tech", v) for e, v in zip(EXPERTS, [8, 9, 7, 10, 6], strict=True)]
    assert by_rule(run(events), "EXP-DEV") == []


def test_objective_items_are_not_judged_by_dev() -> None:
    events = [
        score(e, "B1", "cert", v, kind="objective")
        for e, v in zip(EXPERTS, [15, 15, 15, 15, 5], strict=True)
    ]
    assert by_rule(run(events), "EXP-DEV") == []


def test_dev_fires_as_scores_arrive_and_updates_in_place() -> None:
    det, ctx = ScoringDetector(), Context()
    state, ids = det.initial(), []
    seq = [("E1", 15), ("E2", 15), ("E3", 4), ("E4", 15), ("E5", 14)]
    for e, v in seq:
        state, alerts = det.step(state, score(e, "B1", "tech", v), ctx)
        ids += [a.alert_id for a in alerts if a.rule == "EXP-DEV"]
    assert ids and len(set(ids)) == 1  # raised at E3's score, then updated, one id
    events = [score(e, "B1", "tech", v) for e, v in seq]
    events.append(score("E3", "B1", "tech", 14, at=40))  # E3 corrects the score
    [alert] = by_rule(run(events), "EXP-DEV")
    assert alert.evidence["deviating"] == []
    assert alert.evidence["no_longer_deviating"][0]["score"] == 14


# ---------------------------------------------------------------- EXP-OBJ


def test_objective_disagreement_names_the_dissenter() -> None:
    events = [
        score(e, "B1", "cert", v, kind="objective", mx=10)
        for e, v in zip(EXPERTS, [10, 10, 10, 8, 10], strict=True)
    ]
    [alert] = by_rule(run(events), "EXP-OBJ")
    assert alert.subjects == ["E4"]
    assert alert.evidence["majority_score"] == 10 and alert.evidence["spread"] == 2
    assert alert.evidence["scores"]["E4"] == 8


def test_objective_agreement_is_quiet_and_tolerance_is_configurable() -> None:
    same = [score(e, "B1", "cert", 10, kind="objective") for e in EXPERTS]
    assert by_rule(run(same), "EXP-OBJ") == []
    near = [
        score(e, "B1", "cert", v, kind="objective")
        for e, v in zip(EXPERTS, [10, 10, 10, 9.5, 10], strict=True)
    ]
    assert len(by_rule(run(near), "EXP-OBJ")) == 1
    loose = Context(thresholds=Context().thresholds.with_overrides("EXP-OBJ", tolerance=0.5))
    assert by_rule(run(near, loose), "EXP-OBJ") == []


# ---------------------------------------------------------------- EXP-CLIQUE

CELLS = [("B1", "t1"), ("B1", "t2"), ("B2", "t1"), ("B2", "t2")]


def test_three_identical_subjective_vectors_fire() -> None:
    same = dict(zip(CELLS, [12, 15, 9, 11], strict=True))
    table = {
        "E1": same,
        "E2": dict(zip(CELLS, [13, 14, 10, 11], strict=True)),
        "E3": same,
        "E4": dict(zip(CELLS, [11, 16, 9, 12], strict=True)),
        "E5": same,
    }
    [alert] = by_rule(run(sheet(table)), "EXP-CLIQUE")
    [group] = alert.evidence["groups"]
    assert group["experts"] == ["E1", "E3", "E5"] and group["cells"] == 4
    assert alert.subjects == ["E1", "E3", "E5"]


def test_two_identical_or_objective_only_or_too_few_items_do_not_fire() -> None:
    same = dict(zip(CELLS, [12, 15, 9, 11], strict=True))
    table = {
        "E1": same,
        "E2": same,
        "E3": dict(zip(CELLS, [13, 15, 9, 11], strict=True)),
    }
    assert by_rule(run(sheet(table)), "EXP-CLIQUE") == []
    objective = {e: same for e in EXPERTS}
    assert by_rule(run(sheet(objective, kind="objective")), "EXP-CLIQUE") == []
    two_cells = {e: dict(zip(CELLS[:2], [12, 15], strict=True)) for e in EXPERTS}
    assert by_rule(run(sheet(two_cells)), "EXP-CLIQUE") == []


# ---------------------------------------------------------------- EXP-FAVOR

BIDDERS = {"B1": 80, "B2": 70, "B3": 60, "B4": 50}  # a clear consensus order


def favor_sheet(noise: dict[str, dict[str, float]]) -> list:
    """Two items per bidder; each expert's total = consensus + noise[expert][bidder]."""
    events = []
    for e in EXPERTS:
        for b, base in BIDDERS.items():
            total = base + noise.get(e, {}).get(b, 0)
            events.append(score(e, b, "tech", total / 2, mx=60))
            events.append(score(e, b, "biz", total / 2, mx=60))
    return events


def test_average_ranks_share_ties() -> None:
    assert average_ranks({"a": 10, "b": 20, "c": 10}) == {"b": 1, "a": 2.5, "c": 2.5}


def test_expert_ranking_the_last_bidder_first_fires() -> None:
    alerts = by_rule(run(favor_sheet({"E5": {"B4": 40}})), "EXP-FAVOR")
    [alert] = alerts
    assert alert.subjects == ["B4", "E5"]
    ev = alert.evidence
    assert ev["expert_rank"] == 1 and ev["others_median_rank"] == 4 and ev["rank_gap"] == 3
    assert ev["others_ranks"] == {"E1": 4, "E2": 4, "E3": 4, "E4": 4}
    assert "median of the other experts' ranks" in ev["measure"]
    assert ev["threshold"]["min_rank_gap"] == 2


def test_favor_rank_gap_is_read_as_a_number_of_ranks_halves_included(tmp_path) -> None:
    """Tied totals share average ranks, so a gap of 2.5 is a real setting (as the float()
    cast always read it); whole-number settings keep showing as 2.0 in the evidence."""
    [alert] = by_rule(run(favor_sheet({"E5": {"B4": 40}})), "EXP-FAVOR")
    assert repr(alert.evidence["threshold"]["min_rank_gap"]) == "2.0"
    toml = tmp_path / "th.toml"
    for gap, fires in ((2.5, True), (3.5, False)):
        toml.write_text(f'["EXP-FAVOR"]\nmin_rank_gap = {gap}\n', "utf-8")
        th = Thresholds.load(toml)
        th.validate()
        assert th.typed(FavourThresholds).min_rank_gap == gap
        alerts = by_rule(run(favor_sheet({"E5": {"B4": 40}}), Context(thresholds=th)), "EXP-FAVOR")
        assert len(alerts) == (1 if fires else 0), gap
        if fires:
            assert alerts[0].evidence["threshold"]["min_rank_gap"] == gap


def test_favor_whole_number_settings_refuse_fractions(tmp_path) -> None:
    toml = tmp_path / "th.toml"
    toml.write_text('["EXP-FAVOR"]\nmin_rank_gap = 2\nmin_peers = 1.5\n', "utf-8")
    with pytest.raises(ConfigError, match=r"line 3.*min_peers"):
        Thresholds.load(toml).validate()


def test_honest_neighbour_swaps_do_not_fire() -> None:
    noise = {"E2": {"B2": 12}, "E3": {"B4": 12}, "E4": {"B1": -12}}  # adjacent swaps only
    assert by_rule(run(favor_sheet(noise)), "EXP-FAVOR") == []


def test_generous_expert_is_not_favouring_anyone() -> None:
    noise = {"E5": dict.fromkeys(BIDDERS, 20)}  # same order, higher points
    assert by_rule(run(favor_sheet(noise)), "EXP-FAVOR") == []


def test_favor_fires_before_the_last_expert_has_scored() -> None:
    events = [e for e in favor_sheet({"E3": {"B4": 40}}) if e.payload.expert_id != "E5"]
    assert len(by_rule(run(events), "EXP-FAVOR")) == 1


def test_identical_marks_for_one_bidder_alone_are_not_a_clique() -> None:
    """Sheets are compared whole: three experts agreeing on one bidder's three cells, and
    not elsewhere, is what honest tiered scoring produces every day."""
    cells = [("B1", "t1"), ("B1", "t2"), ("B1", "t3"), ("B2", "t1"), ("B2", "t2"), ("B2", "t3")]
    copied = [12, 15, 9]
    table = {
        e: dict(zip(cells, copied + [10 + k, 11 + k, 7 + (k % 2)], strict=True))
        for k, e in enumerate(["E1", "E2", "E3"])
    }
    table["E4"] = dict(zip(cells, [13, 15, 9, 11, 12, 8], strict=True))
    assert by_rule(run(sheet(table)), "EXP-CLIQUE") == []


def test_two_wild_scores_are_both_flagged_and_their_neighbours_are_not() -> None:
    values = [15, 16, 14, 15, 5, 4]
    events = [score(f"E{i}", "B1", "tech", v) for i, v in enumerate(values)]
    flagged = sorted(a.subjects[0] for a in by_rule(run(events), "EXP-DEV"))
    assert flagged == ["E4", "E5"]


def test_reshuffling_near_tied_bidders_is_not_favour() -> None:
    tied = {"B1": 70.5, "B2": 70.0, "B3": 69.5, "B4": 69.0}
    events = []
    for e in EXPERTS:
        for b, base in tied.items():
            total = base + (2.0 if (e, b) == ("E5", "B4") else 0.0)  # E5 puts B4 first
            events += [score(e, b, "tech", total / 2, mx=60), score(e, b, "biz", total / 2, mx=60)]
    assert by_rule(run(events), "EXP-FAVOR") == []
    # the same order change with a real lift is favour; the evidence shows both measures
    events = [
        score(
            e.payload.expert_id,
            e.payload.bidder_id,
            e.payload.item_id,
            e.payload.score + 4.5,
            mx=60,
        )
        if (e.payload.expert_id, e.payload.bidder_id) == ("E5", "B4")
        else e
        for e in events
    ]
    [alert] = by_rule(run(events), "EXP-FAVOR")
    ev = alert.evidence
    assert ev["rank_gap"] == 3 and ev["points_boost"] >= ev["points_boost_limit"] == 6.0
