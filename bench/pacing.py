"""Pacing bench: the engine's own `lines_to_dial` against progressive, ratio 2, VICIdial's ADAPT_TAPERED
and the best fixed-parameter policy in hindsight, over the issue's grid of scenarios.

    python -m bench.pacing [--json] [--quick] [--days N] [--jobs N] [--agents N ...] [--hours H]
                           [--strong-hindsight]

Each (scenario, policy) runs the same simulated days (common random numbers, see bench/pacing_sim.py);
the days of a scenario run in sequence on one PacingStats, as one campaign's week would.
`hindsight` is the best policy of fixed-parameter families — r lines in progress per available agent
(ratio dialing), VICIdial's fixed dial level L over ready + talking agents, and with --strong-hindsight
our own model at a constant drop allowance without the day's feedback — each parameter searched by
bisection on the very same draws, keeping the median day's abandonment at or under 3 %.
The full grid takes about 10 minutes on two cores (20 or more with --strong-hindsight); --quick about 2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

from bench import pacing_policies as policies
from bench.pacing_sim import DAY_S, DayResult, Draws, Policy, simulate_days

TARGET = 0.03
AGENTS = (5, 20, 50)
ANSWER_RATES = (0.15, 0.30)
POLICIES = ("progressive", "ratio2", "vicidial_adapt", "predictive", "hindsight")
# Hindsight families: (name, policy factory, lowest and highest parameter searched).
FAMILIES: dict[str, tuple[Callable[[float], Policy], float, float]] = {
    "ratio": (policies.ratio, 1.0, 12.0),
    "dial_level": (policies.dial_level, 1.0, 3.5),
    # Our model with a constant allowance (no feedback): the Lagrangian-optimal family, slow to search,
    # so only with --strong-hindsight.
    "fixed_allowance": (policies.fixed_allowance, 0.2, 3.0),
}
DEFAULT_FAMILIES = ("ratio", "dial_level")
BISECTIONS = 7


@dataclass(frozen=True)
class Days:
    """Which simulated days every policy runs: one seed per day, and the day's length."""

    seeds: tuple[int, ...]
    day_s: float = DAY_S

    def draws(self) -> list[Draws]:
        """The days' random draws."""
        return [Draws.for_day(seed) for seed in self.seeds]


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


def summarise(
    agents: int, answer_rate: float, policy: str, days: list[DayResult], note: str = "", day_s: float = DAY_S
) -> Row:
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
    )


def run_policy(agents: int, answer_rate: float, name: str, plan: Days) -> Row:
    """One named policy over the scenario's days."""
    make: dict[str, Callable[[], Policy]] = {
        "progressive": policies.progressive,
        "ratio2": lambda: policies.ratio(2.0),
        "vicidial_adapt": policies.VicidialAdaptTapered,
        "predictive": policies.predictive,
    }
    detail = name == "predictive"
    days = simulate_days(agents, answer_rate, make[name](), plan.draws(), detail, plan.day_s)
    return summarise(agents, answer_rate, name, days, day_s=plan.day_s)


def search_family(agents: int, answer_rate: float, family: str, plan: Days) -> Row:
    """The best parameter of one fixed family in hindsight: bisection on the median day's abandonment."""
    factory, low, high = FAMILIES[family]
    draws = plan.draws()

    def evaluate(x: float) -> Row:
        days = simulate_days(agents, answer_rate, factory(x), draws, family == "fixed_allowance", plan.day_s)
        median = statistics.median(d.abandon_rate for d in days)
        row = summarise(agents, answer_rate, "hindsight", days, f"{family} {x:.3f}", plan.day_s)
        return row if median <= TARGET else Row(**{**asdict(row), "occupancy": -1.0})

    best = evaluate(low)
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        row = evaluate(middle)
        if row.occupancy >= 0:
            low, best = middle, max(best, row, key=lambda r: r.occupancy)
        else:
            high = middle
    return best


def run_grid(
    agents: tuple[int, ...],
    rates: tuple[float, ...],
    plan: Days,
    jobs: int,
    families: tuple[str, ...] = DEFAULT_FAMILIES,
) -> list[Row]:
    """Every policy over every scenario, `jobs` processes at a time."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for a in agents:
            for r in rates:
                for family in families:
                    futures[(a, r, "hindsight", family)] = pool.submit(search_family, a, r, family, plan)
                for name in POLICIES[:-1]:
                    futures[(a, r, name, "")] = pool.submit(run_policy, a, r, name, plan)
        rows = []
        for a in agents:
            for r in rates:
                for name in POLICIES[:-1]:
                    rows.append(futures[(a, r, name, "")].result())
                candidates = [futures[(a, r, "hindsight", f)].result() for f in families]
                best = max(candidates, key=lambda row: row.occupancy)
                others = ", ".join(f"{c.note.split()[0]} {c.occupancy:.1%}" for c in candidates if c is not best)
                rows.append(Row(**{**asdict(best), "note": f"{best.note}; other families: {others}"}))
    return rows


def print_table(rows: list[Row], out: Callable[[str], object] = print) -> None:
    """The human-readable table."""
    out(f"{'agents':>6} {'answer':>6} {'policy':<15} {'occup.':>7} {'abandon':>8} {'days>3%':>8} "
        f"{'contacts/h':>10} {'wait s':>7}  note")
    for r in rows:
        out(f"{r.agents:>6} {r.answer_rate:>6.0%} {r.policy:<15} {r.occupancy:>7.1%} {r.abandon_rate:>8.2%} "
            f"{r.days_over_target:>8.0%} {r.contacts_per_agent_hour:>10.2f} {r.mean_wait_s:>7.1f}  {r.note}")


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print the table (or JSON)."""
    parser = argparse.ArgumentParser(prog="python -m bench.pacing", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--quick", action="store_true", help="5 and 20 agents at 15 %% answer rate, 2 days")
    parser.add_argument("--days", type=int, default=None, help="simulated days (seeds) per scenario, 5 by default")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--agents", type=int, nargs="*", help="only these team sizes")
    parser.add_argument("--hours", type=float, default=DAY_S / 3600, help="length of a simulated day")
    parser.add_argument(
        "--strong-hindsight", action="store_true", help="also search our model at a constant allowance (slow)"
    )
    args = parser.parse_args(argv)
    agents, rates, days = ((5, 20), (0.15,), 2) if args.quick else (AGENTS, ANSWER_RATES, 5)
    plan = Days(tuple(range(1, (args.days or days) + 1)), args.hours * 3600)
    families = (*DEFAULT_FAMILIES, "fixed_allowance") if args.strong_hindsight else DEFAULT_FAMILIES
    rows = run_grid(tuple(args.agents or agents), rates, plan, args.jobs, families)
    if args.json:
        fields = [{k: v for k, v in asdict(r).items() if k != "note"} for r in rows]
        json.dump({"scenarios": fields}, sys.stdout)
        sys.stdout.write("\n")
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
