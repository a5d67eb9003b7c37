"""Pacing bench: the engine's own `lines_to_dial` against progressive, ratio 2, VICIdial's ADAPT_TAPERED
and the best fixed policy chosen in hindsight, over team sizes, answer rates and scenarios.

    python -m bench.pacing [--json] [--quick] [--days N] [--jobs N] [--agents N ...] [--rates R ...]
                           [--scenarios NAME ...] [--policies NAME ...] [--hours H] [--tuning-seeds]

Scenarios (bench/pacing_scenarios.py): the model's own world, and worlds it does not assume (AMD taking
2–4 s, answer rate by hour band, variable wrap-up and pauses, a bimodal talk time, all of them at once).
Days run on held-out seeds by default, never used to tune anything (--tuning-seeds for the others).
Each (scenario, policy) runs the same simulated days (common random numbers, see bench/pacing_sim.py);
the days of a scenario run in sequence on one PacingStats, as one campaign's week would.

Every policy is held to one rule: abandonment at most 3 % overall and on every day. `best_fixed` is the
best fixed-parameter policy in hindsight that meets it: r lines in progress per available agent (ratio
dialing) or VICIdial's fixed dial level L over ready + talking agents, each parameter searched by
bisection on the very same draws. The default grid takes about half an hour on two cores; --quick a few
minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass

from bench import pacing_policies as policies
from bench.pacing_scenarios import SCENARIOS, Draws, seeds
from bench.pacing_sim import DAY_S, DayResult, Policy, simulate_days

TARGET = 0.03
AGENTS = (5, 20, 50)
ANSWER_RATES = (0.15, 0.30)
POLICIES = ("progressive", "ratio2", "vicidial_adapt", "predictive", "best_fixed")
# Fixed-parameter families searched for the best fixed policy: (policy factory, lowest and highest parameter).
FAMILIES: dict[str, tuple[Callable[[float], Policy], float, float]] = {
    "ratio": (policies.ratio, 1.0, 12.0),
    "dial_level": (policies.dial_level, 1.0, 3.5),
}
BISECTIONS = 7


@dataclass(frozen=True)
class Days:
    """Which simulated days every policy runs: one seed per day, the day's length and the scenario."""

    seeds: tuple[int, ...]
    day_s: float = DAY_S
    scenario: str = "model"

    def draws(self) -> list[Draws]:
        """The days' random draws."""
        return [Draws.for_day(seed, scenario=SCENARIOS[self.scenario]) for seed in self.seeds]

    def simulate(self, agents: int, answer_rate: float, policy: Policy, detail: bool,
                 draws: list[Draws] | None = None) -> list[DayResult]:  # fmt: skip
        """The policy over these days."""
        return simulate_days(agents, answer_rate, policy, draws or self.draws(), detail, self.day_s,
                             SCENARIOS[self.scenario])  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    agents: int
    answer_rate: float
    policy: str
    occupancy: float
    abandon_rate: float
    days_over_target: float
    contacts_per_agent_hour: float
    mean_wait_s: float
    note: str = ""
    scenario: str = "model"
    worst_day: float = 0.0  # the highest day's abandonment

    @property
    def meets_rule(self) -> bool:
        """At most 3 % abandonment overall and on every day: the rule every policy is held to."""
        return self.abandon_rate <= TARGET and self.worst_day <= TARGET


def summarise(agents: int, answer_rate: float, policy: str, days: list[DayResult], note: str = "",
              day_s: float = DAY_S, scenario: str = "model") -> Row:  # fmt: skip
    """The table's figures for one policy over the simulated days."""
    logged_s = agents * day_s * len(days)
    busy = sum(d.busy_s for d in days)
    humans = sum(d.humans for d in days)
    connected = sum(d.connected for d in days)
    return Row(
        agents=agents,
        answer_rate=answer_rate,
        policy=policy,
        occupancy=busy / logged_s,
        abandon_rate=sum(d.dropped for d in days) / humans if humans else 0.0,
        days_over_target=sum(d.abandon_rate > TARGET for d in days) / len(days),
        contacts_per_agent_hour=connected / (logged_s / 3600),
        mean_wait_s=(logged_s - busy) / connected if connected else float("inf"),
        note=note,
        scenario=scenario,
        worst_day=max((d.abandon_rate for d in days), default=0.0),
    )


def run_policy(agents: int, answer_rate: float, name: str, plan: Days) -> Row:
    """One named policy over the scenario's days."""
    make: dict[str, Callable[[], Policy]] = {
        "progressive": policies.progressive,
        "ratio2": lambda: policies.ratio(2.0),
        "vicidial_adapt": policies.VicidialAdaptTapered,
        "predictive": policies.predictive,
    }
    days = plan.simulate(agents, answer_rate, make[name](), detail=name == "predictive")
    return summarise(agents, answer_rate, name, days, day_s=plan.day_s, scenario=plan.scenario)


def search_family(agents: int, answer_rate: float, family: str, plan: Days) -> Row:
    """The best parameter of one fixed family in hindsight that meets the rule (bisection on the same draws)."""
    factory, low, high = FAMILIES[family]
    draws = plan.draws()

    def evaluate(x: float) -> Row:
        days = plan.simulate(agents, answer_rate, factory(x), detail=False, draws=draws)
        return summarise(agents, answer_rate, "best_fixed", days, f"{family} {x:.3f}", plan.day_s, plan.scenario)

    best = evaluate(low)
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        row = evaluate(middle)
        if row.meets_rule:
            low = middle
            if not best.meets_rule or row.occupancy > best.occupancy:
                best = row
        else:
            high = middle
    return best


def run_grid(agents: tuple[int, ...], rates: tuple[float, ...], plans: list[Days], jobs: int,
             names: tuple[str, ...] = POLICIES) -> list[Row]:  # fmt: skip
    """Every policy over every scenario and team, `jobs` processes at a time."""
    cells = [(plan, a, r) for plan in plans for a in agents for r in rates]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        # The slowest (predictive, large teams) first, so that the pool's last minutes are not one long job.
        futures: dict[tuple[str, int, float, str, str], Future[Row]] = {}
        for name in sorted(names, key=lambda n: n != "predictive"):
            for plan, a, r in sorted(cells, key=lambda c: -c[1]):
                for family in FAMILIES if name == "best_fixed" else ("",):
                    job = (search_family, a, r, family, plan) if family else (run_policy, a, r, name, plan)
                    futures[(plan.scenario, a, r, name, family)] = pool.submit(*job)
        rows = []
        for plan, a, r in cells:
            for name in names:
                if name != "best_fixed":
                    rows.append(futures[(plan.scenario, a, r, name, "")].result())
                    continue
                candidates = [futures[(plan.scenario, a, r, name, f)].result() for f in FAMILIES]
                best = max(candidates, key=lambda row: (row.meets_rule, row.occupancy))
                others = ", ".join(f"{c.note.split()[0]} {c.occupancy:.1%}" for c in candidates if c is not best)
                rows.append(Row(**{**asdict(best), "note": f"{best.note}; other family: {others}"}))
    return rows


def print_table(rows: list[Row], out: Callable[[str], object] = print) -> None:
    """The human-readable table: every policy against the one rule, and predictive against the best fixed."""
    out(f"{'scenario':<8} {'agents':>6} {'answer':>6} {'policy':<15} {'occup.':>7} {'abandon':>8} "
        f"{'worst day':>9} {'rule':>4} {'contacts/h':>10} {'wait s':>7}  note")
    best = {(r.scenario, r.agents, r.answer_rate): r for r in rows if r.policy == "best_fixed"}
    for r in rows:
        note = r.note
        fixed = best.get((r.scenario, r.agents, r.answer_rate))
        if r.policy == "predictive" and fixed is not None:
            note = f"{100 * (r.occupancy - fixed.occupancy):+.1f} points vs best fixed"
        out(f"{r.scenario:<8} {r.agents:>6} {r.answer_rate:>6.0%} {r.policy:<15} {r.occupancy:>7.1%} "
            f"{r.abandon_rate:>8.2%} {r.worst_day:>9.2%} {'ok' if r.meets_rule else 'MISS':>4} "
            f"{r.contacts_per_agent_hour:>10.2f} {r.mean_wait_s:>7.1f}  {note}")


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print the table (or JSON)."""
    parser = argparse.ArgumentParser(prog="python -m bench.pacing", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--quick", action="store_true",
                        help="5 and 20 agents at 15 %% answer rate, the model and reality scenarios, 2 days")
    parser.add_argument("--days", type=int, default=None, help="simulated days (seeds) per scenario, 4 by default")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--agents", type=int, nargs="*", help="only these team sizes")
    parser.add_argument("--rates", type=float, nargs="*", help="only these answer rates")
    parser.add_argument("--scenarios", nargs="*", choices=sorted(SCENARIOS), help="only these scenarios")
    parser.add_argument("--policies", nargs="*", choices=POLICIES, help="only these policies")
    parser.add_argument("--hours", type=float, default=DAY_S / 3600, help="length of a simulated day")
    parser.add_argument("--tuning-seeds", action="store_true", help="the seeds earlier tuning used, not held-out")
    args = parser.parse_args(argv)
    agents, rates, days = ((5, 20), (0.15,), 2) if args.quick else (AGENTS, ANSWER_RATES, 4)
    names = args.scenarios or (("model", "reality") if args.quick else tuple(SCENARIOS))
    day_seeds = seeds(args.days or days, held_out=not args.tuning_seeds)
    plans = [Days(day_seeds, args.hours * 3600, name) for name in names]
    chosen = tuple(p for p in POLICIES if not args.policies or p in args.policies)
    rows = run_grid(tuple(args.agents or agents), tuple(args.rates or rates), plans, args.jobs, chosen)
    if args.json:
        fields = [{k: v for k, v in asdict(r).items() if k != "note"} for r in rows]
        json.dump({"scenarios": fields}, sys.stdout)
        sys.stdout.write("\n")
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
