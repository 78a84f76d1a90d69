"""Registry facts on a compacted topic: one key per fact, so compaction keeps every fact.

Apache Kafka keeps only the last record per key of a compacted topic. Keyed by `a` (the
old scheme), a person who is legal representative of two companies kept one fact once
the log was compacted: exactly the REL-34 case. Keyed by a hash of (a, b, kind, since),
every distinct fact survives, and a later record for the same fact (with `until`)
replaces it.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from detectors.offline import run_detectors
from detectors.registry import Registry
from detectors.relations import RelationGraphDetector
from tests.support.relation_events import bid, by_rule, relation
from witness.events import Event, make_event, registry_fact_key

P = "JY-KEYS"
PERSON = "110101199001011234"


def compact(records: list[tuple[str | None, Event | None]]) -> list[Event]:
    """What Apache Kafka's log cleaner leaves: the last record per key, in log order,
    tombstones (None values) removed once they are past the delete retention."""
    last = {key: i for i, (key, _) in enumerate(records)}
    return [ev for i, (key, ev) in enumerate(records) if last[key] == i and ev is not None]


def _rel(a: str, b: str, kind: str, **kw) -> Event:
    payload = {"a": a, "b": b, "kind": kind, "source": "SAMR", **kw}
    return make_event("registry.relation", "*", "2026-10-01T00:00:00+08:00", payload)


def test_two_companies_of_one_person_keep_both_facts_after_compaction():
    facts = [_rel(PERSON, "A", "legal_rep"), _rel(PERSON, "B", "legal_rep")]
    assert facts[0].key != facts[1].key
    survivors = compact([(e.key, e) for e in facts])
    assert survivors == facts
    old_scheme = compact([(e.payload.a, e) for e in facts])
    assert len(old_scheme) == 1  # what keying by `a` did: one of the two facts gone

    def rel34(registry_events):
        events = [*registry_events, bid(P, "A", n=1), bid(P, "B", n=2)]
        return by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")

    assert [a.subjects for a in rel34(survivors)] == [["A", "B"]]
    assert rel34(old_scheme) == []


def test_the_key_is_the_hash_of_a_b_kind_since():
    e = _rel(PERSON, "A", "legal_rep", since="2020-01-02", share=None)
    assert e.key == registry_fact_key(PERSON, "A", "legal_rep", date(2020, 1, 2))
    assert len(e.key) == 64 and int(e.key, 16) >= 0
    # The fact's end, a corrected source or share: the same fact, the same key.
    ended = _rel(PERSON, "A", "legal_rep", since="2020-01-02", until="2026-06-30", source="x")
    assert ended.key == e.key
    # Another start date is another fact (the person came back later).
    assert _rel(PERSON, "A", "legal_rep", since="2024-01-01").key != e.key
    assert _rel(PERSON, "A", "director", since="2020-01-02").key != e.key
    assert _rel("A", PERSON, "legal_rep", since="2020-01-02").key != e.key


ids = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1)
kinds = st.sampled_from(["shareholder", "legal_rep", "director", "kinship"])
dates = st.none() | st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 1, 1))


@given(st.tuples(ids, ids, kinds, dates), st.tuples(ids, ids, kinds, dates))
def test_distinct_facts_never_share_a_key(f1, f2):
    assert (registry_fact_key(*f1) == registry_fact_key(*f2)) == (f1 == f2)


def test_a_fact_ends_with_until_republished_under_its_key():
    """The ended version replaces the open one, live and after compaction alike."""
    start = _rel(PERSON, "B", "legal_rep", since="2020-01-01")
    end = _rel(PERSON, "B", "legal_rep", since="2020-01-01", until="2026-01-31")
    on_day = date(2026, 11, 20)
    for stream in ([start, end], compact([(e.key, e) for e in (start, end)])):
        reg = Registry()
        for e in stream:
            reg.add(e.payload)
        assert len(reg) == 1
        assert reg.controllers("B", on=date(2025, 1, 1)) != []
        assert reg.controllers("B", on=on_day) == []
        assert [r.until for r in reg.outgoing(PERSON)] == [date(2026, 1, 31)]


def test_the_ended_fact_no_longer_links_bidders():
    facts = [
        _rel(PERSON, "A", "legal_rep", since="2020-01-01"),
        _rel(PERSON, "B", "legal_rep", since="2020-01-01"),
        _rel(PERSON, "B", "legal_rep", since="2020-01-01", until="2026-01-31"),
    ]
    events = [*facts, bid(P, "A", n=1), bid(P, "B", n=2)]  # bids on 2026-11-20
    alerts = run_detectors(events, [RelationGraphDetector()])
    assert by_rule(alerts, "REL-34") == []


def test_a_tombstone_retracts_the_fact():
    reg = Registry()
    fact = relation("A", "B", "shareholder", 0.8)
    assert reg.add(fact.payload)
    assert not reg.add(fact.payload)  # the same version again changes nothing
    version = reg.version
    assert reg.retract(fact.key) and reg.version > version
    assert len(reg) == 0 and reg.controllers("B") == [] and reg.outgoing("A") == []
    assert not reg.retract(fact.key)
