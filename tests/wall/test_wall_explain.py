"""Evidence for people: every rule's evidence as a zh-CN sentence and tables.

Real alerts come from a simulated run folded through the engine (every rule of the
catalogue fires in it); names come from the run's own events, as the wall reads them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detectors
from dashboards.explain import EXPLAINERS, Names, explain
from dashboards.explain.core import money, num
from tests.support.simulator_run import default_run
from witness.events import parse_event
from witness.rules import CATALOGUE

#: Evidence keys and raw codes a person should never have to read in the sentence.
ENGLISH_KEYS = re.compile(
    r"experts_off_majority|spread|screens\.|bidder_id|expert_id|_at\b|"
    r"employed_by_bidder|fewer_members|lifecycle_order|score\.submitted|None|\{|\}"
)


@lru_cache(maxsize=1)
def alerts_and_names():
    """One alert per rule from the default run (it plants every rule), with the names its
    events carry."""
    _, lines = default_run()
    engine = detectors.Engine(detectors.all_detectors())
    names: dict[str, Names] = {}
    first: dict = {}
    for line in lines:
        ev = parse_event(line)
        n = names.setdefault(ev.project_id, Names())
        if ev.type == "bid.submitted":
            n.bidders[ev.payload.bidder.id] = ev.payload.bidder.name
        elif ev.type == "expert.assigned":
            n.experts[ev.payload.expert.id] = ev.payload.expert.name
        for a in engine.process(ev).alerts:
            first.setdefault(a.rule, a)
    return first, names


def view(a):
    return SimpleNamespace(rule=a.rule, evidence=a.evidence, subjects=a.subjects)


def test_every_rule_of_the_catalogue_has_its_own_explainer():
    assert set(EXPLAINERS) == set(CATALOGUE)


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE))
def test_each_rule_reads_as_chinese_with_names_beside_ids(rule_id, monkeypatch):
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    alerts, names = alerts_and_names()
    if rule_id not in alerts:
        pytest.fail(f"the simulated run raised no {rule_id}: cannot check its wording")
    a = alerts[rule_id]
    n = names.get(a.project_id, Names()).copy()
    ex = explain(view(a), n)
    assert ex.summary and re.search(r"[\u4e00-\u9fff]", ex.summary), ex.summary
    assert not ENGLISH_KEYS.search(ex.summary), ex.summary
    assert ex.tables and all(t.rows for t in ex.tables[:1]), rule_id
    for table in ex.tables:
        assert re.search(r"[\u4e00-\u9fff]", table.title)
        for column in table.rows[0] if table.rows else []:
            assert re.search(r"[\u4e00-\u9fff]", column) or column in ("MAC", "CPU"), column
    text = ex.summary + str([t.rows for t in ex.tables])
    # a bidder or expert named by id is named by name too, wherever the run knows it
    known = {**n.bidders, **n.experts}
    for subject in a.subjects:
        if subject in known and subject in text:
            assert known[subject] in text, (rule_id, subject)
    # prices read as money, never as a bare float
    for price in re.findall(r"price': '([^']*)'", str([t.rows for t in ex.tables])):
        assert re.fullmatch(r"¥[\d,]+\.\d\d", price), price


def test_price_screen_says_how_rarely_chance_sets_the_lowest_bid_that_far_apart(monkeypatch):
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    alerts, _ = alerts_and_names()
    a = alerts["PRICE-SCREEN"]
    ex = explain(view(a), Names())
    assert "偶然" in ex.summary and f"{a.evidence['rd_chance']:.2%}" in ex.summary
    assert a.evidence["rd_chance"] <= a.evidence["thresholds"]["max_chance"]


def test_money_and_numbers_for_people():
    assert money(1439957.5) == "¥1,439,957.50"
    assert money(20474896.36, "CNY") == "¥20,474,896.36"
    assert money(1200, "HKD") == "1,200.00 HKD"
    assert num(120.0, 0) == "120" and num(0.03751, 3) == "0.038" and num(12345) == "12,345"


def test_english_locale_speaks_english(monkeypatch):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    alerts, names = alerts_and_names()
    ex = explain(view(alerts["REL-40-6"]), names[alerts["REL-40-6"].project_id].copy())
    assert "bid bonds from the same account" in ex.summary
    assert "bidder" in ex.tables[0].rows[0]


def test_a_rule_without_an_explainer_still_gets_words():
    v = SimpleNamespace(
        rule="NEW-RULE", evidence={"similarity": 0.91, "deep": {"x": 1}}, subjects=["B1"]
    )
    ex = explain(v, Names(bidders={"B1": "甲公司"}))
    assert "甲公司（B1）" in ex.summary
    assert ex.tables[0].rows == [{"字段": "相似度", "值": "0.91"}]


evidence_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.sampled_from(sorted(CATALOGUE)),
    st.dictionaries(
        st.sampled_from(
            [
                "bidders",
                "attribute",
                "value",
                "documents",
                "findings",
                "shared",
                "bids",
                "screens",
                "thresholds",
                "conflicts",
                "roster",
                "deviating",
                "scores",
                "groups",
                "experts",
                "window",
                "episodes",
                "measurements",
                "ranking",
                "check",
                "tenders",
                "group",
                "wins",
                "controller",
                "expert_id",
                "bidder_id",
                "thumbnail",
            ]
        ),
        evidence_values,
        max_size=6,
    ),
)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
def test_odd_evidence_never_breaks_the_card(rule_id, evidence):
    """An evidence shape a detector never wrote (an older record, a hostile payload)."""
    ex = explain(SimpleNamespace(rule=rule_id, evidence=evidence, subjects=[]), Names())
    assert isinstance(ex.summary, str) and ex.summary
    for table in ex.tables:
        assert all(isinstance(v, str) for row in table.rows for v in row.values())
