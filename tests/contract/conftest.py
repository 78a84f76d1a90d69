"""A sealed project full of canaries, and an opened one whose alert names it.

SEAL-1 has not opened its bids. Its bidders' ids, names, prices, bond account, contact
phone and document ids are unique strings ("canaries") found nowhere else, so any output
that shows one of them before `opening.started` leaks sealed bids. The project also has
the PROC-ORDER case (scores, expert activity and the final ranking naming its bidders
before the opening) and dead letters carrying its bytes. OPEN-2 opened long ago; one of
its bidders copied a SEAL-1 bidder's document, so a cross-project DOC-40-4 / DOC-META
alert is filed under OPEN-2 and names SEAL-1's bidder and document.

`phase_two()` opens SEAL-1 (and reads out its prices): afterwards every canary must be
visible somewhere.
"""

from __future__ import annotations

from datetime import timedelta

import detectors
from tests.support.document_events import T0, bid_document, reword, template, tender_text, words
from witness.events import make_event
from witness.store import DeadLetterRecord, accounts

SEALED, OPENED = "SEAL-1", "OPEN-2"
BIDDERS = {  # letter -> (credit code, name, price)
    "A": ("91QZXIDA000000001A", "甲QZXALPHA建设有限公司", 7_315_942.68),
    "B": ("91QZXIDB000000002B", "乙QZXBRAVO工程有限公司", 8_426_153.79),
    "C": ("91QZXIDC000000003C", "丙QZXCHARLIE路桥有限公司", 9_537_264.81),
}
ACCOUNT = "QZXACCT-88417"
PHONE = "QZXPHONE-13812"
DOC_IDS = {b: f"QZXDOC-{b}" for b in BIDDERS}
#: Every way a canary price may be written (plain, separators, `:g`, 万元).
PRICE_FORMS = {
    b: (
        f"{p:.2f}".split(".")[0],  # 7315942: any plain rendering has these digits
        f"{p:,.2f}".split(".")[0],  # 7,315,942
        f"{p:g}".split("e")[0],  # 7.31594 (as `:g` writes it: 7.31594e+06)
        f"{p / 10_000:.2f}",  # 731.59 (万元)
    )
    for b, (_, _, p) in BIDDERS.items()
}


def canaries() -> dict[str, tuple[str, ...]]:
    """canary -> the strings any output would show it as (a hit on any is a leak)."""
    out: dict[str, tuple[str, ...]] = {}
    for b, (cid, name, _) in BIDDERS.items():
        token = name.split("QZX")[1][:5]  # the ASCII part: survives any byte escaping
        out[f"id {b}"] = (cid,)
        out[f"name {b}"] = (name, "QZX" + token)
        out[f"price {b}"] = PRICE_FORMS[b]
        out[f"doc {b}"] = (DOC_IDS[b],)
    out["account"] = (ACCOUNT,)
    out["phone"] = (PHONE,)
    return out


def found(text: str) -> set[str]:
    """Which canaries appear in `text`."""
    return {name for name, forms in canaries().items() if any(f in text for f in forms)}


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def _sealed_events() -> list:
    pid = SEALED
    tmpl = template(seed=21, chars=3000)
    own = words(5, 3000)
    evs = [
        make_event(
            "project.registered",
            pid,
            _at(0),
            {
                "name": "密封道路工程",
                "rooms": [{"room_id": "RS1", "kind": "evaluation", "cameras": ["CS1"]}],
            },
        ),
        make_event(
            "document.submitted",
            pid,
            _at(1),
            {"doc_id": "SEAL-T", "owner": "tender", "kind": "tender", "text": tender_text(tmpl)},
            event_id="seal-tender",
        ),
    ]
    for i, (b, (cid, name, price)) in enumerate(BIDDERS.items()):
        other = BIDDERS["B" if b == "A" else "A"][1]
        evs.append(
            make_event(
                "bid.submitted",
                pid,
                _at(2 + i),
                {
                    "bidder": {"id": cid, "name": name},
                    "price": price,
                    "bond": {"payer_account": ACCOUNT if b in "AB" else f"OWN-{b}"},
                    "contact": {"phone": PHONE if b in "BC" else None},
                    "document_ids": [DOC_IDS[b]],
                },
                event_id=f"seal-bid-{b}",
            )
        )
        text = own if b == "A" else words(10 + i, 3000)
        evs.append(
            make_event(
                "document.submitted",
                pid,
                _at(5 + i),
                {
                    "doc_id": DOC_IDS[b],
                    "owner": cid,
                    "kind": "technical",
                    # A's document carries B's name (相互混装, DOC-40-5)
                    "text": bid_document(tmpl, text, name) + (other if b == "A" else ""),
                    "metadata": {"author": "QZX作者" if b == "A" else f"author-{b}"},
                },
                event_id=f"seal-doc-{b}",
            )
        )
    # PROC-ORDER: the evaluation's events arrive before the opening, naming bidders.
    evs.append(
        make_event(
            "score.submitted",
            pid,
            _at(20),
            {
                "expert_id": "EX1",
                "bidder_id": BIDDERS["A"][0],
                "item_id": "tech",
                "kind": "subjective",
                "score": 88,
                "max_score": 100,
            },
            event_id="seal-score",
        )
    )
    evs.append(
        make_event(
            "expert.activity",
            pid,
            _at(21),
            {"expert_id": "EX1", "action": "open_file", "bidder_id": BIDDERS["B"][0]},
            event_id="seal-activity",
        )
    )
    evs.append(
        make_event(
            "evaluation.finished",
            pid,
            _at(22),
            {
                "room_id": "RS1",
                "ranking": [
                    {"bidder_id": cid, "total": 90 - i, "rank": i + 1}
                    for i, (cid, _, _) in enumerate(BIDDERS.values())
                ],
            },
            event_id="seal-finished",
        )
    )
    return evs, own


def _opened_events(own: str) -> list:
    pid = OPENED
    tmpl = template(seed=22, chars=3000)
    evs = [
        make_event("project.registered", pid, _at(30), {"name": "已开标桥梁工程"}),
        make_event(
            "document.submitted",
            pid,
            _at(31),
            {"doc_id": "OPEN-T", "owner": "tender", "kind": "tender", "text": tender_text(tmpl)},
            event_id="open-tender",
        ),
    ]
    for i, b in enumerate(("OA", "OB", "OC")):
        evs.append(
            make_event(
                "bid.submitted",
                pid,
                _at(32 + i),
                {"bidder": {"id": f"91OPEN{b}", "name": f"公开{b}公司"}, "price": 1_000_000 + i},
                event_id=f"open-bid-{b}",
            )
        )
    evs.append(make_event("opening.started", pid, _at(36), {"room_id": "RO1"}))
    # OB copied SEAL-1's bidder A (same text, same author): cross-project DOC-40-4 + DOC-META
    evs.append(
        make_event(
            "document.submitted",
            pid,
            _at(37),
            {
                "doc_id": "OPEN-DOC-OB",
                "owner": "91OPENOB",
                "kind": "technical",
                "text": bid_document(tmpl, reword(own, 0.03, 7), "公开OB公司"),
                "metadata": {"author": "QZX作者"},
            },
            event_id="open-doc-OB",
        )
    )
    return evs


def dead_letters() -> list[DeadLetterRecord]:
    """Two broken records of SEAL-1: one keyed by the project, one naming it inside."""
    cid, name, price = BIDDERS["A"]
    raw = (
        f'{{"event_id":"seal-bad-1","type":"bid.submitted","project_id":"{SEALED}",'
        f'"payload":{{"bidder":{{"id":"{cid}","name":"{name}"}},"price":"{price}元"}}}}'
    ).encode()
    return [
        DeadLetterRecord(
            topic="witness.events",
            partition=0,
            offset=9001,
            key=SEALED,
            error=f"event {cid}-bid, type bid.submitted, field payload.price: not a number",
            raw=raw,
        ),
        DeadLetterRecord(
            topic="witness.events",
            partition=0,
            offset=9002,
            key=None,
            error=f"event {DOC_IDS['B']}, type document.submitted, field payload.kind: bad",
            raw=raw.replace(b"seal-bad-1", b"seal-bad-2"),
        ),
    ]


def phase_two_events() -> list:
    """SEAL-1 opens and its prices are read out (唱标)."""
    evs = [make_event("opening.started", SEALED, _at(40), {"room_id": "RS1"})]
    for i, (cid, _, price) in enumerate(BIDDERS.values()):
        evs.append(
            make_event(
                "bid.opened",
                SEALED,
                _at(41 + i),
                {"bidder_id": cid, "price": price},
                event_id=f"seal-opened-{i}",
            )
        )
    return evs


USERS = {  # username -> (role, projects)
    "officer": ("officer", [SEALED, OPENED]),
    "auditor": ("auditor", []),
    "opsy": ("ops", []),
    "root": ("admin", []),
}
PASSWORD = "pw-canary-1"


class Scenario:
    """The engine's state is kept so phase two continues the same stream."""

    def __init__(self) -> None:
        self.engine = detectors.Engine(detectors.all_detectors())
        sealed, own = _sealed_events()
        self.phase_one = sealed + _opened_events(own)
        self.alerts_one = self._run(self.phase_one)
        self.alerts_two: list = []

    def _run(self, events) -> list:
        out = []
        for e in events:
            out += self.engine.process(e).alerts
        return out

    def seed(self, store) -> None:
        store.write(self.phase_one, self.alerts_one, dead_letters())
        accounts.BCRYPT_ROUNDS = 4
        for name, (role, projects) in USERS.items():
            accounts.add_user(store.engine, name, PASSWORD, role, projects=projects)

    def open_sealed(self, store) -> None:
        events = phase_two_events()
        self.alerts_two = self._run(events)
        store.write(events, self.alerts_two)
