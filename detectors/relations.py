"""Bidder-relationship rules (REL-*): shared bond accounts, devices, people, control.

Per project, the state keeps every bidder's latest bid; each new bid is compared with
the others. One alert per shared attribute value, listing every bidder that shares it,
so a third bidder joining a pair updates the same alert instead of making a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import networkx as nx
from pydantic import Field

from detectors.base import Context, ProjectDetector
from witness.alerts import Alert, make_alert
from witness.config import Thresholds
from witness.events import BidSubmitted, Event
from witness.thresholds import RuleThresholds, thresholds_section

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
    by_account: dict[str, set[str]] = field(default_factory=dict)  # account -> bidder ids
    account_of: dict[str, str] = field(default_factory=dict)  # bidder id -> account


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
        bidder = bid.bidder.id
        state.bids[bidder] = BidRecord(event.event_id, bid)
        previous = state.account_of.pop(bidder, None)
        if previous is not None:  # a re-submitted bid may name another account
            state.by_account[previous].discard(bidder)
        account = normalise_account(bid.bond.payer_account if bid.bond else None)
        if account is None:
            return state, []
        state.account_of[bidder] = account
        group = state.by_account.setdefault(account, set())
        group.add(bidder)
        if len(group) < 2:
            return state, []
        sharing = [(b, state.bids[b]) for b in sorted(group)]
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


# ---------------------------------------------------------------------------
# The relationship graph: REL-34, REL-40-1, REL-40-2, REL-40-2-IP, REL-40-3
# ---------------------------------------------------------------------------

_DIGITS = re.compile(r"\D+")


def normalise_code(value: str | None) -> str | None:
    """Machine codes, dongle ids, MACs, cert numbers: letters and digits, upper case."""
    return normalise_account(value)


def normalise_phone(value: str | None) -> str | None:
    """Digits only; a leading 86/0086 country code is dropped so +86 138... == 138..."""
    if not value:
        return None
    digits = _DIGITS.sub("", value)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def normalise_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return None
    return value.strip().lower()


def normalise_name(value: str | None) -> str | None:
    """Full names compared whole (never by surname), whitespace removed."""
    if not value:
        return None
    norm = re.sub(r"\s+", "", value)
    return norm or None


def person_node(name: str | None, id_no: str | None) -> str | None:
    """A person's node: the ID number (it matches registry ids), or None.

    People are matched by identity, never by name alone (DESIGN §6 REL-34): two firms
    whose legal representatives are both called 王伟, with no id numbers, are two firms.
    The name is kept for display beside the id.
    """
    ident = id_no.strip() if id_no else None
    return ident or None


#: attribute -> (rule, what the shared value means), for the shared-value rules.
ATTRIBUTES: dict[str, str] = {
    "machine_code": "REL-40-1",
    "file_creation_id": "REL-40-1",
    "dongle_id": "REL-40-1",
    "device": "REL-40-2",
    "contact_phone": "REL-40-2",
    "contact_email": "REL-40-2",
    "contact_name": "REL-40-2",
    "ip": "REL-40-2-IP",
    "pm_cert_no": "REL-40-3",
}


def bid_attributes(bid: BidSubmitted, *, venue_exempt_contact: bool) -> dict[str, str]:
    """The normalised shared-value attributes of one bid, after venue exemptions.

    A bid uploaded at the venue (现场递交) used the centre's own terminal and network,
    so its device and IP say nothing about who prepared it; by DESIGN §6 its contact is
    exempt from REL-40-2 as well unless `venue_exempt_contact` is off. Machine code,
    file-creation id and dongle (REL-40-1) describe how the file was *made*, not where it
    was uploaded, so they are never exempt.
    """
    sub = bid.submission
    out: dict[str, str | None] = {}
    at_venue = bool(sub and sub.at_venue)
    if sub is not None:
        out["machine_code"] = normalise_code(sub.machine_code)
        out["file_creation_id"] = normalise_code(sub.file_creation_id)
        out["dongle_id"] = normalise_code(sub.dongle_id)
        if not at_venue:
            mac, cpu, disk = (normalise_code(v) for v in (sub.mac, sub.cpu_id, sub.disk_id))
            out["device"] = f"{mac}|{cpu}|{disk}" if mac and cpu and disk else None
            out["ip"] = sub.ip.strip() if sub.ip and sub.ip.strip() else None
    if bid.contact is not None and not (at_venue and venue_exempt_contact):
        out["contact_phone"] = normalise_phone(bid.contact.phone)
        out["contact_email"] = normalise_email(bid.contact.email)
        out["contact_name"] = normalise_name(bid.contact.name)
    if bid.project_manager is not None:
        out["pm_cert_no"] = normalise_code(bid.project_manager.cert_no)
    return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Link:
    """One typed control edge 'frm is KIND of to' (legal_rep, director, shareholder)."""

    frm: str
    kind: str
    to: str
    share: float | None
    source: str  # "bid:<event id>" or "registry:<source>"

    def as_evidence(self, names: dict[str, str]) -> dict:
        return {
            "from": self.frm,
            "from_name": names.get(self.frm, _display(self.frm)),
            "kind": self.kind,
            "share": self.share,
            "to": self.to,
            "to_name": names.get(self.to, _display(self.to)),
            "source": self.source,
        }


def _display(node: str) -> str:
    return node


def party_links(
    bid: BidSubmitted, event_id: str, *, control_share: float, directors: bool
) -> tuple[list[Link], dict[str, str]]:
    """Control edges a bid declares about its own bidder, and display names of the nodes."""
    party = bid.bidder
    links: list[Link] = []
    names = {party.id: party.name}
    src = f"bid:{event_id}"
    people = [("legal_rep", party.legal_rep)] if party.legal_rep else []
    if directors:
        people += [("director", d) for d in party.directors]
    for kind, person in people:
        node = person_node(person.name, person.id_no)
        if node and node != party.id:
            links.append(Link(node, kind, party.id, None, src))
            if person.name:
                names[node] = person.name
    for holder in party.shareholders:
        if holder.share is None or holder.share < control_share:
            continue  # a minority stake is not control
        node = holder.id.strip() if holder.id else person_node(holder.name, None)
        if node and node != party.id:
            links.append(Link(node, "shareholder", party.id, holder.share, src))
            if holder.name:
                names[node] = holder.name
    return links, names


@dataclass
class GraphState:
    """One project's relationship graph (networkx) plus each bidder's latest bid.

    Nodes: bidders, people (legal reps, directors by ID number or full name), controlling
    shareholders, and one node per shared value (account-like attributes: device
    fingerprint, IP, machine code, contact phone, ...). Edges are typed: control edges
    `person/company -> company` (kind legal_rep/director/shareholder) and `bidder ->
    value` edges (kind = the attribute). Registry facts are not copied in: they are
    global and may change, so REL-34 walks them live through `ctx.registry`.
    """

    bids: dict[str, BidRecord] = field(default_factory=dict)
    graph: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph)
    names: dict[str, str] = field(default_factory=dict)
    project_id: str | None = None


class RelationGraphDetector(ProjectDetector):
    """REL-34 and REL-40-1/2/2-IP/3 over one project's relationship graph.

    REL-34 is judged at every bid and again when a registry fact arrives while the
    project is live (`broadcast`): a fact published after the bids still ties them.
    """

    name = "rel-graph"
    rules = ("REL-34", "REL-40-1", "REL-40-2", "REL-40-2-IP", "REL-40-3")
    types = frozenset({"bid.submitted"})

    def initial(self) -> GraphState:
        return GraphState()

    def broadcast(self, event: Event) -> bool:
        return event.type == "registry.relation"

    def step(self, state: GraphState, event: Event, ctx: Context) -> tuple[GraphState, list[Alert]]:
        if event.type == "registry.relation":
            if len(state.bids) < 2 or state.project_id is None:
                return state, []
            return state, control_alerts(state, event, ctx, fact=event.payload)
        state.project_id = event.project_id
        bid: BidSubmitted = event.payload
        th = ctx.thresholds
        bidder = bid.bidder.id
        self._replace_bid(state, bidder, BidRecord(event.event_id, bid), th)
        alerts = self._shared_value_alerts(state, event, ctx)
        alerts += control_alerts(state, event, ctx)
        return state, alerts

    # ---------------------------------------------------------------- graph upkeep

    @staticmethod
    def _replace_bid(state: GraphState, bidder: str, rec: BidRecord, th: Thresholds) -> None:
        g = state.graph
        if g.has_node(bidder):  # a re-submitted bid replaces the earlier one's edges
            for u, v, k in list(g.in_edges(bidder, keys=True)):
                g.remove_edge(u, v, k)
            for u, v, k, d in list(g.out_edges(bidder, keys=True, data=True)):
                if "link" not in d:  # its attributes; control links it is named in stay
                    g.remove_edge(u, v, k)
        state.bids[bidder] = rec
        g.add_node(bidder, kind="bidder", name=rec.bid.bidder.name)
        state.names[bidder] = rec.bid.bidder.name
        links, names = party_links(
            rec.bid,
            rec.event_id,
            control_share=th.typed(ControlThresholds).control_share,
            directors=th.typed(ControlThresholds).director_is_control,
        )
        for node, name in names.items():
            state.names.setdefault(node, name)
        for link in links:
            if not g.has_node(link.frm):
                g.add_node(link.frm, kind="person" if _is_person(link) else "company")
            g.add_edge(link.frm, link.to, kind=link.kind, share=link.share, link=link)
        attrs = bid_attributes(
            rec.bid,
            venue_exempt_contact=th.typed(SharedContactThresholds).venue_exempt_contact,
        )
        for attr, value in attrs.items():
            node = f"{attr}={value}"
            g.add_node(node, kind=attr, value=value)
            g.add_edge(bidder, node, kind=attr)

    # ---------------------------------------------------------------- REL-40-x

    def _shared_value_alerts(self, state: GraphState, event: Event, ctx: Context) -> list[Alert]:
        g = state.graph
        alerts = []
        # Only the new bid's own values can have gained a sharer: O(bid), not O(project).
        bidder = event.payload.bidder.id
        own = {v for _, v in g.out_edges(bidder) if g.nodes[v].get("kind") in ATTRIBUTES}
        for node in sorted(own):
            attr, value = g.nodes[node]["kind"], g.nodes[node]["value"]
            sharing = sorted({u for u, _ in g.in_edges(node) if u in state.bids})
            if len(sharing) < 2:
                continue
            if attr == "contact_name" and not _same_contact(sharing, state):
                continue  # same name, but different phones/emails: different people
            alerts.append(self._value_alert(attr, value, sharing, state, event, ctx))
        return alerts

    @staticmethod
    def _value_alert(
        attr: str, value: str, sharing: list[str], state: GraphState, event: Event, ctx: Context
    ) -> Alert:
        rule_id = ATTRIBUTES[attr]
        rows = []
        for bidder_id in sharing:
            rec = state.bids[bidder_id]
            row = {
                "bidder_id": bidder_id,
                "bidder_name": rec.bid.bidder.name,
                "event_id": rec.event_id,
            }
            row.update(_raw_values(attr, rec.bid))
            rows.append(row)
        evidence = {
            "attribute": attr,
            "value": value,
            "path": [{"from": b, "kind": attr, "to": value} for b in sharing],
            "bidders": rows,
        }
        if rule_id == "REL-40-2-IP":
            evidence["note"] = "IP only: a shared office NAT or ISP gateway can explain it"
        return make_alert(
            rule_id,
            event.project_id,
            identity={"attribute": attr, "value": value},
            subjects=sharing,
            evidence=evidence,
            event_ids=[state.bids[b].event_id for b in sharing],
            first_seen=event.ts,
            locale=ctx.locale,
        )


def _is_person(link: Link) -> bool:
    return link.kind in ("legal_rep", "director")


def _same_contact(sharing: list[str], state: GraphState) -> bool:
    """A shared contact *name* counts only if no two of the bids give different phones or emails."""
    for attr in ("contact_phone", "contact_email"):
        values = set()
        for bidder_id in sharing:
            contact = state.bids[bidder_id].bid.contact
            raw = getattr(contact, attr.split("_", 1)[1], None) if contact else None
            norm = normalise_phone(raw) if attr == "contact_phone" else normalise_email(raw)
            if norm:
                values.add(norm)
        if len(values) > 1:
            return False
    return True


def _raw_values(attr: str, bid: BidSubmitted) -> dict:
    """The values as the bid gave them, for the officer to read."""
    sub, contact, pm = bid.submission, bid.contact, bid.project_manager
    if attr == "device" and sub:
        return {"mac": sub.mac, "cpu_id": sub.cpu_id, "disk_id": sub.disk_id, "ip": sub.ip}
    if attr in ("machine_code", "file_creation_id", "dongle_id", "ip") and sub:
        return {attr: getattr(sub, attr), "at_venue": sub.at_venue}
    if attr.startswith("contact_") and contact:
        return {"contact_name": contact.name, "phone": contact.phone, "email": contact.email}
    if attr == "pm_cert_no" and pm:
        return {"project_manager": pm.name, "cert_no": pm.cert_no}
    return {}


@thresholds_section("REL-34")
class ControlThresholds(RuleThresholds):
    """REL-34: control and management through declarations and the registry graph."""

    max_hops: int = Field(4, ge=1, le=20, description="how far control is followed")
    control_share: float = Field(
        0.5, gt=0, le=1, description="a holding at or above this is control"
    )
    director_is_control: bool = Field(True, description="a director manages the company (管理关系)")


@thresholds_section("REL-40-2")
class SharedContactThresholds(RuleThresholds):
    """REL-40-2: shared contacts and upload devices."""

    venue_exempt_contact: bool = Field(True, description="bids uploaded at the venue are exempt")


# ---------------------------------------------------------------- REL-34: control


def controllers_of(node: str, state: GraphState, ctx: Context, on: date | None) -> list[Link]:
    """Who controls or manages `node`: the bids' own declarations plus registry facts."""
    links = [d["link"] for _, _, d in state.graph.in_edges(node, data=True) if "link" in d]
    kinds = {"shareholder", "legal_rep"}
    if ctx.thresholds.typed(ControlThresholds).director_is_control:
        kinds.add("director")
    for rel in ctx.registry.controllers(
        node,
        on=on,
        control_share=ctx.thresholds.typed(ControlThresholds).control_share,
        kinds=frozenset(kinds),
    ):
        links.append(Link(rel.a, rel.kind, rel.b, rel.share, f"registry:{rel.source or ''}"))
    return links


def ancestors(
    bidder: str, state: GraphState, ctx: Context, on: date | None
) -> dict[str, list[Link]]:
    """Every node that controls `bidder` within max_hops, with the chain down to it.

    Breadth-first, so each controller keeps its shortest chain; ties go to the first
    found in sorted order, which keeps evidence deterministic.
    """
    max_hops = ctx.thresholds.typed(ControlThresholds).max_hops
    found: dict[str, list[Link]] = {bidder: []}
    frontier = [bidder]
    for _ in range(max_hops):
        nxt = []
        for node in frontier:
            chain = found[node]
            for link in sorted(controllers_of(node, state, ctx, on), key=_link_order):
                if link.frm in found:
                    continue
                found[link.frm] = [link, *chain]
                nxt.append(link.frm)
        if not nxt:
            break
        frontier = nxt
    return found


def _link_order(link: Link) -> tuple:
    return (link.frm, link.kind, link.source)


def control_alerts(state: GraphState, event: Event, ctx: Context, *, fact=None) -> list[Alert]:
    """REL-34: bidders of this project tied by a common controller (or one controls another).

    For every node Z, `reach(Z)` is the set of this project's bidders Z controls (a
    bidder reaches itself). One alert per maximal reach set of two or more bidders; when
    several nodes reach the same set, the one with the shortest chains is named (then the
    smallest id), so "B controls C" is preferred to "A controls B controls C" and the
    alert id, which is the rule + controller, is stable as the case is updated.

    Re-judged on a registry `fact` that arrived after the bids, only the alerts whose
    chains use that fact are raised: any other fact changes nothing here, and must not
    move an alert's first_seen to its own time (live, every registry fact re-judges every
    live project; replay sees the same facts in another order).
    """
    on = event.ts.date()
    reach: dict[str, dict[str, list[Link]]] = {}
    for bidder in sorted(state.bids):
        for node, chain in ancestors(bidder, state, ctx, on).items():
            reach.setdefault(node, {})[bidder] = chain
    best: dict[frozenset[str], tuple[int, str]] = {}
    for node, chains in reach.items():
        if len(chains) < 2:
            continue
        group = frozenset(chains)
        cand = (sum(len(c) for c in chains.values()), node)
        if group not in best or cand < best[group]:
            best[group] = cand
    groups = [g for g in best if not any(g < other for other in best)]
    alerts = []
    for group in sorted(groups, key=sorted):
        _, controller = best[group]
        if fact is not None and not _uses_fact(reach[controller], fact):
            continue
        alerts.append(_control_alert(controller, reach[controller], state, event, ctx))
    return alerts


def _uses_fact(chains: dict[str, list[Link]], fact) -> bool:
    """Whether a registry fact (a is KIND of b) is a link of one of these chains."""
    return any(
        link.frm == fact.a
        and link.kind == fact.kind
        and link.to == fact.b
        and link.source.startswith("registry:")
        for chain in chains.values()
        for link in chain
    )


def _control_alert(
    controller: str, chains: dict[str, list[Link]], state: GraphState, event: Event, ctx: Context
) -> Alert:
    names = dict(state.names)
    members = sorted(chains)
    evidence = {
        "controller": {"id": controller, "name": names.get(controller, _display(controller))},
        "matched_by": "registry entity or id number (never a name alone)",
        "bidders": [
            {
                "bidder_id": b,
                "bidder_name": state.bids[b].bid.bidder.name,
                "event_id": state.bids[b].event_id,
                "path": [link.as_evidence(names) for link in chains[b]],
            }
            for b in members
        ],
        "thresholds": {
            "control_share": ctx.thresholds.typed(ControlThresholds).control_share,
            "max_hops": ctx.thresholds.typed(ControlThresholds).max_hops,
        },
    }
    return make_alert(
        "REL-34",
        state.project_id or event.project_id,
        identity={"controller": controller},
        subjects=members,
        evidence=evidence,
        event_ids=[state.bids[b].event_id for b in members],
        first_seen=event.ts,
        locale=ctx.locale,
    )
