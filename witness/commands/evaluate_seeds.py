"""`witness evaluate --seeds 1,2,3 --projects 200`: simulate, replay and score several
seeds in one go, and print one per-rule table (each seed's precision/recall beside the
pooled figures and the false alarms per 100 honest projects).

Each seed runs exactly what `witness simulate` + `witness replay` + `witness evaluate`
run on files (the simulator's canonical JSON lines, parsed back through the contract),
streamed so a 200-project seed never holds its events in memory.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from witness.i18n import register, t

register(
    {
        "evaluate.seed_progress": (
            "种子 {seed}：模拟 {projects} 个项目并重放……",
            "seed {seed}: simulating {projects} projects and replaying ...",
        ),
        "evaluate.seed_done": (
            "种子 {seed}：{events} 个事件、{cases} 个真值案例、{alerts} 条告警，用时 {secs:.0f} 秒",
            "seed {seed}: {events} events, {cases} truth cases, {alerts} alerts in {secs:.0f} s",
        ),
        "evaluate.seed_col": ("种子{seed} 精/召", "seed {seed} P/R"),
        "evaluate.false_rate": ("误报/百项目", "FA/100"),
        "evaluate.seed_tag": ("种子 {seed}", "seed {seed}"),
        "evaluate.budget_ok": (
            "所有规则的误报均不超过每 100 个无该违规的项目 {budget:g} 条",
            "every rule within the budget of {budget:g} false alarm(s) per 100 honest projects",
        ),
        "evaluate.budget_over": (
            "超出误报预算（每 100 个无该违规的项目 {budget:g} 条）的规则：{rules}",
            "rules over the false-alarm budget ({budget:g} per 100 honest projects): {rules}",
        ),
        "evaluate.bad_seeds": (
            "--seeds 应为逗号分隔的整数，例如 1,2,3：{value}",
            "--seeds must be integers separated by commas, e.g. 1,2,3: {value}",
        ),
        "evaluate.both_inputs": (
            "--seeds 代替 --truth 与 --alerts，二者只能选一种",
            "--seeds replaces --truth and --alerts: give one or the other",
        ),
        "evaluate.need_input": (
            "请给出 --truth 与 --alerts，或 --seeds（自动模拟并重放）",
            "give --truth and --alerts, or --seeds (simulate and replay here)",
        ),
    }
)


def parse_seeds(value: str) -> list[int]:
    """'1,2,3' -> [1, 2, 3]; raises ValueError on anything else (empty, repeated, not int)."""
    parts = [p.strip() for p in value.split(",")]
    if not parts or any(not p for p in parts):
        raise ValueError(value)
    seeds = [int(p) for p in parts]
    if len(set(seeds)) != len(seeds):
        raise ValueError(value)
    return seeds


def evaluate_seed(seed: int, projects: int, *, thresholds=None, locale: str = "zh-CN"):
    """Simulate one seed, replay it through every detector, score it: (SeedReport, events)."""
    from detectors.offline import replay
    from witness.events import parse_event
    from witness.simulator import Simulation
    from witness.simulator.planting import ALL_RULES
    from witness.simulator.truth_eval import SeedReport, evaluate

    sim = Simulation(projects, seed)
    count = [0]

    def events():
        for n, line in enumerate(sim.lines(), 1):
            count[0] = n
            yield parse_event(line, line=n)

    alerts = replay(events(), thresholds=thresholds, locale=locale)
    report = evaluate(list(sim.truth), [a.to_dict() for a in alerts], set(ALL_RULES))
    run = SeedReport(seed, report, [p.pid for p in sim.projects], list(sim.truth))
    return run, count[0]


def _cell(s) -> str:
    def f(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}"

    return f"{f(s.precision)}/{f(s.recall)}"


def format_pooled(pooled) -> str:
    """One table: rule, pooled counts, each seed's P/R, pooled P, R, F1, false alarms/100."""
    from witness.commands.evaluate import _pct, render_table

    head = [
        t("evaluate.header"),
        t("evaluate.cases"),
        t("evaluate.alerts"),
        t("evaluate.true"),
        *(t("evaluate.seed_col", seed=s.seed) for s in pooled.seeds),
        t("evaluate.precision"),
        t("evaluate.recall"),
        t("evaluate.f1"),
        t("evaluate.false_rate"),
    ]
    per_seed = [{r.rule: r for r in s.report.rules} for s in pooled.seeds]

    def row(score, rate: str) -> list[str]:
        seeds = []
        for by_rule in per_seed:
            own = by_rule.get(score.rule)
            seeds.append(_cell(own) if own else "—")
        return [
            score.rule,
            str(score.cases),
            str(score.alerts),
            str(score.true_alerts),
            *seeds,
            _pct(score.precision),
            _pct(score.recall),
            _pct(score.f1),
            rate,
        ]

    rows = [row(s, _pct(pooled.false_per_100.get(s.rule))) for s in pooled.rules]
    o = pooled.overall
    last = [
        t("evaluate.overall"),
        str(o.cases),
        str(o.alerts),
        str(o.true_alerts),
        *(_cell(s.report.overall) for s in pooled.seeds),
        _pct(o.precision),
        _pct(o.recall),
        _pct(o.f1),
        "",
    ]
    return render_table(head, rows, last)


def run_seeds(args) -> int:
    import json

    from witness.commands.common import load_settings
    from witness.simulator.truth_eval import FALSE_ALARM_BUDGET, pool

    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        print(t("evaluate.bad_seeds", value=args.seeds), file=sys.stderr)
        return 2
    settings = load_settings()
    runs = []
    for seed in seeds:
        print(t("evaluate.seed_progress", seed=seed, projects=args.projects), file=sys.stderr)
        began = time.monotonic()
        run, events = evaluate_seed(
            seed, args.projects, thresholds=settings.thresholds, locale=settings.locale
        )
        runs.append(run)
        print(
            t(
                "evaluate.seed_done",
                seed=seed,
                events=events,
                cases=len(run.cases),
                alerts=run.report.overall.alerts + len(run.report.unscored),
                secs=time.monotonic() - began,
            ),
            file=sys.stderr,
        )
    pooled = pool(runs)
    if args.json:
        print(json.dumps(pooled.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(format_pooled(pooled))
    _print_cases(pooled, args.show)
    over = pooled.over_budget()
    print()
    if over:
        print(t("evaluate.budget_over", budget=FALSE_ALARM_BUDGET, rules=", ".join(over)))
    else:
        print(t("evaluate.budget_ok", budget=FALSE_ALARM_BUDGET))
    return 0


def _print_cases(pooled, show: int) -> None:
    for key, pick in (("evaluate.missed", "missed"), ("evaluate.false", "false")):
        items: list[tuple[int, dict[str, Any]]] = [
            (s.seed, c) for s in pooled.seeds for c in getattr(s.report, pick)
        ]
        if not items:
            continue
        print()
        print(t(key, n=len(items)))
        for seed, c in items[:show]:
            subjects = ", ".join(c.get("subjects") or [])
            tag = t("evaluate.seed_tag", seed=seed)
            print(f"  {tag}  {c['rule']:<14} {c.get('project_id')}  {subjects}")
        if len(items) > show:
            print("  " + t("evaluate.more", n=len(items) - show))
