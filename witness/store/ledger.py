"""The tamper-evident trace: an append-only log of hash-chained records (全流程留痕).

Each record's hash covers the previous record's hash, its own kind, reference and
canonical body, so altering, removing or reordering any record breaks every hash after
it. Chains are per project ("room/R1" for frames of room R1, "registry/..." for
registry facts), so one project's chain can be exported and verified on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from hashlib import sha256

from witness.events import Event
from witness.i18n import register, t

GENESIS = "0" * 64


def chain_of(project_id: str, key: str, event_type: str) -> str:
    """Which chain an event belongs to: its project, or a room/registry chain for '*'."""
    if project_id != "*":
        return project_id
    if event_type == "registry.relation":
        return f"registry/{key}"
    return f"room/{key}"


def event_chain(event: Event) -> str:
    """The chain of a recorded event. Registry facts chain per entity (`a`), not per
    Kafka key (one key per fact), so an entity's facts stay one verifiable chain."""
    key = event.payload.a if event.type == "registry.relation" else event.key
    return chain_of(event.project_id, key, event.type)


def link_hash(prev_hash: str, kind: str, ref: str, body: str) -> str:
    """The hash of one record given the previous one."""
    h = sha256()
    for part in (prev_hash, kind, ref, body):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


@dataclass(frozen=True)
class Link:
    seq: int
    kind: str
    ref: str
    body: str
    prev_hash: str
    hash: str


register(
    {
        "chain.fault": ("第 {seq} 条记录：{problem}", "record {seq}: {problem}"),
        "chain.fault.altered": (
            "内容被改动（哈希与内容不符）",
            "altered (its hash does not match its content)",
        ),
        "chain.fault.removed": ("缺失（序号断档，记录被删除）", "removed (a gap in the sequence)"),
        "chain.fault.reordered": ("顺序被调换", "reordered"),
        "chain.fault.broken_link": (
            "链接断开（与前一条记录的哈希不符）",
            "broken link (it does not point to the previous record's hash)",
        ),
    }
)


@dataclass(frozen=True)
class ChainFault:
    """Where a chain stops being trustworthy, in words an auditor can act on."""

    seq: int
    problem: str  # altered | removed | reordered | broken_link

    def describe(self, locale: str | None = None) -> str:
        """In the reader's language (zh-CN by default), with what the problem means."""
        problem = t(f"chain.fault.{self.problem}", locale)
        return t("chain.fault", locale, seq=self.seq, problem=problem)


def verify_links(links: Sequence[Link] | Iterable[Link]) -> ChainFault | None:
    """Check a chain from its start; return the first fault, or None if intact."""
    prev = GENESIS
    expected_seq = 1
    for link in links:
        if link.seq != expected_seq:
            problem = "removed" if link.seq > expected_seq else "reordered"
            return ChainFault(expected_seq if problem == "removed" else link.seq, problem)
        if link.prev_hash != prev:
            return ChainFault(link.seq, "broken_link")
        if link_hash(link.prev_hash, link.kind, link.ref, link.body) != link.hash:
            return ChainFault(link.seq, "altered")
        prev = link.hash
        expected_seq += 1
    return None
