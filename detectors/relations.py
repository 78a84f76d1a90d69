"""Bidder-relationship rules (REL-*): shared bond accounts, devices, people, control.

Per project, the state keeps every bidder's latest bid; each new bid is compared with
the others. One alert per shared attribute value, listing every bidder that shares it,
so a third bidder joining a pair updates the same alert instead of making a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from detectors.base import Context, ProjectDetector
from witness.alerts import Alert, make_alert
from witness.events import BidSubmitted, Event

_NON_ALNUM = re.compile(r"[\s\-_.:/]+")


def normalise_account(value: str | None) -> str | None:
    """Bank accounts are written with spaces and dashes; compare digits and letters only."""
    if not value:
        return None
    norm = _NON_ALNUM.sub("", value).upper()
    return norm or None


@dataclass
class BidRecord:
    event_id: str
    bid: BidSubmitted


@dataclass
class RelationsState:
    bids: dict[str, BidRecord] = field(default_factory=dict)  # bidder id -> latest bid


class BondAccountDetector(ProjectDetector):
    """REL-40-6: bid bonds paid from the same account (实施条例 第四十条（六）)."""

    name = "rel-bond-account"
    rules = ("REL-40-6",)
    types = frozenset({"bid.submitted"})

    def initial(self) -> RelationsState:
        return RelationsState()

    def step(
        self, state: RelationsState, event: Event, ctx: Context
    ) -> tuple[RelationsState, list[Alert]]:
        bid: BidSubmitted = event.payload
        state.bids[bid.bidder.id] = BidRecord(event.event_id, bid)
        account = normalise_account(bid.bond.payer_account if bid.bond else None)
        if account is None:
            return state, []
        sharing = sorted(
            (bidder_id, rec)
            for bidder_id, rec in state.bids.items()
            if rec.bid.bond and normalise_account(rec.bid.bond.payer_account) == account
        )
        if len(sharing) < 2:
            return state, []
        evidence = {
            "payer_account": account,
            "bidders": [
                {
                    "bidder_id": bidder_id,
                    "bidder_name": rec.bid.bidder.name,
                    "payer_account": rec.bid.bond.payer_account,
                    "payer_name": rec.bid.bond.payer_name,
                    "event_id": rec.event_id,
                }
                for bidder_id, rec in sharing
            ],
        }
        alert = make_alert(
            "REL-40-6",
            event.project_id,
            identity={"payer_account": account},
            subjects=[bidder_id for bidder_id, _ in sharing],
            evidence=evidence,
            event_ids=[rec.event_id for _, rec in sharing],
            first_seen=event.ts,
            locale=ctx.locale,
        )
        return state, [alert]
