"""Detection quality against a ground-truth file: precision, recall and F1 per rule.

Matching (documented contract, DESIGN §5 subjects):
- an alert matches a truth case when the rules are equal, the project ids are equal
  (a truth case with project_id "*" is cross-project, e.g. REL-RING, and matches any
  project), and the subjects agree: either side empty, or one set contains the other,
  or their Jaccard index is at least 0.5. Containment lets an alert name the room with
  all its cameras where the truth names one camera, or name every expert of a
  committee where the truth names the one who deviated; Jaccard >= 0.5 lets a
  group alert miss or add one member of a three-member group.
- a truth case is detected (recall) when at least one alert matches it; an alert is a
  true positive (precision) when it matches at least one case. Several alerts on one
  case are not penalised (pairwise alerts for a three-bidder group all count).
- an alert that matches no case is a false positive only for rules the truth file
  claims to be complete for (its header line `{"complete_rules": [...]}`; without a
  header, the rules that appear in it). Alerts of other rules are reported as unscored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JACCARD_MIN = 0.5


@dataclass
class RuleScore:
    rule: str
    cases: int = 0
    detected: int = 0
    alerts: int = 0
    true_alerts: int = 0

    @property
    def precision(self) -> float | None:
        return self.true_alerts / self.alerts if self.alerts else None

    @property
    def recall(self) -> float | None:
        return self.detected / self.cases if self.cases else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "cases": self.cases,
            "detected": self.detected,
            "alerts": self.alerts,
            "true_alerts": self.true_alerts,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass
class Report:
    rules: list[RuleScore]
    overall: RuleScore
    missed: list[dict[str, Any]] = field(default_factory=list)
    false: list[dict[str, Any]] = field(default_factory=list)
    unscored: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": [r.to_dict() for r in self.rules],
            "overall": self.overall.to_dict(),
            "missed": self.missed,
            "false": self.false,
            "unscored": self.unscored,
        }


def subjects_match(truth: Iterable[str], alert: Iterable[str]) -> bool:
    t, a = set(truth), set(alert)
    if not t or not a or t <= a or a <= t:
        return True
    return len(t & a) / len(t | a) >= JACCARD_MIN


def matches(case: dict[str, Any], alert: dict[str, Any]) -> bool:
    if case["rule"] != alert.get("rule"):
        return False
    if case.get("project_id") != "*" and case.get("project_id") != alert.get("project_id"):
        return False
    return subjects_match(case.get("subjects") or [], alert.get("subjects") or [])


def read_truth(lines: Iterable[str]) -> tuple[list[dict[str, Any]], set[str] | None]:
    cases, complete = [], None
    for line in lines:
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        if "complete_rules" in obj:
            complete = set(obj["complete_rules"])
        else:
            cases.append(obj)
    return cases, complete


def read_alerts(lines: Iterable[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.strip()]


def evaluate(
    cases: list[dict[str, Any]], alerts: list[dict[str, Any]], complete: set[str] | None = None
) -> Report:
    """Score `alerts` against `cases`; `complete` = rules whose unmatched alerts are false positives."""
    if complete is None:
        complete = {c["rule"] for c in cases}
    by_rule_cases: dict[str, list[dict[str, Any]]] = {}
    for c in cases:
        by_rule_cases.setdefault(c["rule"], []).append(c)
    scores: dict[str, RuleScore] = {r: RuleScore(r) for r in sorted(complete | set(by_rule_cases))}
    hit = [False] * len(cases)
    index = {id(c): k for k, c in enumerate(cases)}
    report = Report([], RuleScore("overall"))
    for alert in alerts:
        rule = alert.get("rule", "")
        candidates = by_rule_cases.get(rule, [])
        matched = [c for c in candidates if matches(c, alert)]
        for c in matched:
            hit[index[id(c)]] = True
        if rule not in complete and not candidates:
            report.unscored.append(_brief(alert))
            continue
        s = scores[rule]
        s.alerts += 1
        if matched:
            s.true_alerts += 1
        else:
            report.false.append(_brief(alert))
    for c, h in zip(cases, hit, strict=True):
        s = scores[c["rule"]]
        s.cases += 1
        if h:
            s.detected += 1
        else:
            report.missed.append(c)
    report.rules = [scores[r] for r in sorted(scores)]
    o = report.overall
    for s in report.rules:
        o.cases += s.cases
        o.detected += s.detected
        o.alerts += s.alerts
        o.true_alerts += s.true_alerts
    return report


def _brief(alert: dict[str, Any]) -> dict[str, Any]:
    return {k: alert.get(k) for k in ("rule", "project_id", "subjects", "alert_id", "room_id")}


# ---------------------------------------------------------------- several runs (seeds)

#: False alarms a rule may raise per 100 honest projects (issue 14's budget).
FALSE_ALARM_BUDGET = 1.0


@dataclass
class SeedReport:
    """One seed's report with what the false-alarm rate needs: the run's project ids."""

    seed: int
    report: Report
    project_ids: list[str]
    cases: list[dict[str, Any]]

    def honest_projects(self, rule: str) -> int:
        """Projects of the run with no planted case of `rule` (cross-project cases, '*',
        name no project and leave every project honest for that rule)."""
        planted = {c["project_id"] for c in self.cases if c["rule"] == rule}
        return sum(1 for p in self.project_ids if p not in planted)


@dataclass
class PooledReport:
    """Per-rule scores summed over seeds, each seed's own scores, and false alarms per 100
    honest projects (an alert matching no case, wherever it points)."""

    seeds: list[SeedReport]
    rules: list[RuleScore]
    overall: RuleScore
    false_per_100: dict[str, float | None]

    def over_budget(self, budget: float = FALSE_ALARM_BUDGET) -> list[str]:
        return [r for r, v in self.false_per_100.items() if v is not None and v > budget]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seeds": [
                {"seed": s.seed, "projects": len(s.project_ids), **s.report.to_dict()}
                for s in self.seeds
            ],
            "rules": [r.to_dict() for r in self.rules],
            "overall": self.overall.to_dict(),
            "false_per_100_honest_projects": self.false_per_100,
            "false_alarm_budget": FALSE_ALARM_BUDGET,
            "over_budget": self.over_budget(),
        }


def pool(seeds: list[SeedReport]) -> PooledReport:
    """Sum the seeds' per-rule counts (not their ratios: a rule with one case in one seed
    and twenty in another weighs by its cases) and measure false alarms per rule."""
    names = sorted({s.rule for r in seeds for s in r.report.rules})
    pooled = {n: RuleScore(n) for n in names}
    false_count: dict[str, int] = dict.fromkeys(names, 0)
    for run in seeds:
        for s in run.report.rules:
            p = pooled[s.rule]
            p.cases += s.cases
            p.detected += s.detected
            p.alerts += s.alerts
            p.true_alerts += s.true_alerts
        for f in run.report.false:
            false_count[f["rule"]] = false_count.get(f["rule"], 0) + 1
    overall = RuleScore("overall")
    for p in pooled.values():
        overall.cases += p.cases
        overall.detected += p.detected
        overall.alerts += p.alerts
        overall.true_alerts += p.true_alerts
    rate: dict[str, float | None] = {}
    for n in names:
        honest = sum(run.honest_projects(n) for run in seeds)
        rate[n] = 100.0 * false_count[n] / honest if honest else None
    return PooledReport(seeds, [pooled[n] for n in names], overall, rate)
