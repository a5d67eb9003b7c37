"""Pacing on a real PBX: a short predictive campaign against a real Asterisk, and the same mix on the simulator.

Run by hand (minutes; never from the tests):

    RDV_TEST_ASTERISK=../shared/asterisk .venv/bin/python -m bench.asterisk_campaign --leads 200 --agents 6

The real run is Asterisk with the project's configs and the test-only trunk stand-in (tests/asterisk/): each
lead's number says what its callee does (human answers after R s and talks T s, machine, busy, congestion,
no answer), drawn from `--mix`; `rdv run`'s service (tests.asterisk.service) dials them with simulated agents
whose phones are Local channels that answer. The simulator run gives the in-process engine the same numbers
with the same plans (ScriptedOutcomes), agents talking the same law, on a scaled clock. Printed for both:
abandonment (dropped ÷ humans answered), agents' occupancy (talk + wrap-up ÷ logged-in time from the first
dial to the last end) and the table of true callee kind against recorded outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from config.clock import ScaledClock
from dialer.ami import AmiOptions, AmiPbx
from dialer.campaign_view import queue_name
from dialer.engine import Engine, EngineSettings
from dialer.simulator import PbxSimulator
from dialer.simulator.members import AgentProfile
from dialer.simulator.outcomes import CallPlan, Outcome, ScriptedOutcomes, lognormal
from rdv import db
from rdv.sim_agents import SimulatedQualification
from tests.asterisk.harness import Asterisk, asterisk_home, callee
from tests.asterisk.scenario import MONDAY_3PM, Dialled, Service, attempts, prepare

KINDS = ("human", "machine", "busy", "busy17", "congestion", "no_answer")
DEFAULT_MIX = "human=30,machine=15,busy=5,busy17=3,congestion=4,no_answer=43"
SIM_PLAN = {"human": Outcome.HUMAN, "machine": Outcome.MACHINE, "busy": Outcome.BUSY, "busy17": Outcome.BUSY,
            "congestion": Outcome.CONGESTION, "no_answer": Outcome.NOANSWER}  # fmt: skip
# What the real AMD takes on the test callees: "Allô ?" (0.5 s) then 0.8 s of silence; a machine's 3rd word.
AMD_HUMAN_S, AMD_MACHINE_S = 1.3, 2.1
# After AMD the test human's greeting file still plays (3 s in all) before its talk time starts.
GREETING_TAIL_S = 3.0 - AMD_HUMAN_S
SETTINGS = {"pacing_mode": "predictive", "wrap_up_seconds": "5"}


@dataclass(frozen=True)
class Lead:
    kind: str
    number: str
    ring_s: int
    talk_s: int


def draw_leads(count: int, mix: dict[str, float], talk_mean_s: float, seed: int) -> list[Lead]:
    """Seeded callees: kind by the mix, 1-6 s of ringing, log-normal talk time (sigma 0.5) for humans."""
    rng = random.Random(seed)
    kinds, weights = list(mix), list(mix.values())
    leads = []
    for serial in range(count):
        kind = rng.choices(kinds, weights)[0]
        ring = rng.randint(1, 6)
        talk = int(min(300, max(3, round(lognormal(rng, talk_mean_s, 0.5))))) if kind == "human" else 5
        leads.append(Lead(kind, callee(kind, serial % 1000, ring_s=ring, talk_s=talk), ring, talk))
    return leads


def figures(rows: list[Dialled], truth: dict[str, str], agents: int, wrap_s: float) -> dict[str, object]:
    """Abandonment, occupancy and the kind × outcome table of the first attempt of each lead."""
    first: dict[str, Dialled] = {}
    for row in rows:
        if row.outcome:
            first.setdefault(row.phone, row)
    table = Counter((truth[d.phone], d.outcome) for d in first.values())
    outcomes = Counter(d.outcome for d in first.values())
    humans = outcomes["connected"] + outcomes["dropped"]
    starts = [d.answered_at or d.ended_at for d in rows if d.ended_at]
    ends = [d.ended_at for d in rows if d.ended_at]
    span = (max(e for e in ends if e) - min(s for s in starts if s)).total_seconds() if ends else 0.0
    busy = sum((d.talk_s or 0.0) + wrap_s for d in first.values() if d.outcome == "connected")
    return {"calls": len(first), "abandonment": outcomes["dropped"] / humans if humans else 0.0,
            "occupancy": busy / (agents * span) if span else 0.0, "span_s": span, "table": table}  # fmt: skip


def real_run(args: argparse.Namespace, leads: list[Lead], folder: Path) -> dict[str, object]:
    home = asterisk_home()
    if home is None:
        raise SystemExit("set RDV_TEST_ASTERISK to an Asterisk install (e.g. ../shared/asterisk)")
    url = f"sqlite:///{folder / 'real.sqlite3'}"
    db.upgrade(db.make_engine(url))
    prepare(url, [lead.number for lead in leads], SETTINGS)
    pbx = Asterisk(home, folder / "ast")
    pbx.configure(url, ["--sim-agents", str(args.agents)])
    pbx.start()
    sessions = db.session_factory(db.make_engine(url))
    service = Service(url, folder, pbx, ["Toitures"], sim_agents=args.agents, ring_timeout_s=args.ring_timeout)
    try:
        service.launch()
        deadline = time.monotonic() + args.deadline
        while len({d.phone for d in attempts(sessions) if d.outcome}) < len(leads) and time.monotonic() < deadline:
            assert service.proc is not None and service.proc.poll() is None, service.log()[-3000:]
            time.sleep(1.0)
        service.stop()
    finally:
        pbx.stop()
    return figures(attempts(sessions), {lead.number: lead.kind for lead in leads}, args.agents, 5.0)


async def simulator_run(args: argparse.Namespace, leads: list[Lead], folder: Path) -> dict[str, object]:
    url = f"sqlite:///{folder / 'sim.sqlite3'}"
    db.upgrade(db.make_engine(url))
    campaign_id = prepare(url, [lead.number for lead in leads], SETTINGS)
    sessions = db.session_factory(db.make_engine(url))
    clock = ScaledClock(MONDAY_3PM, scale=args.scale)
    plans = {lead.number: CallPlan(SIM_PLAN[lead.kind], ring_s=float(lead.ring_s) if lead.kind != "no_answer"
                                   else 3600.0, amd_s=AMD_MACHINE_S if lead.kind == "machine" else AMD_HUMAN_S)
             for lead in leads}  # fmt: skip
    profile = AgentProfile(talk_mean_s=args.talk_mean + GREETING_TAIL_S, talk_sigma=0.5, wrap_mean_s=0.0)
    simulator = PbxSimulator(clock, seed=args.seed, outcomes=ScriptedOutcomes(plans), agent_profile=profile,
                             queues=[queue_name(campaign_id)])  # as rdv asterisk config writes queues.conf
    await simulator.start()
    options = AmiOptions(ping_interval_s=1.0, ping_timeout_s=2.0, backoff_initial_s=0.05, backoff_max_s=1.0)
    pbx = AmiPbx("127.0.0.1", simulator.port, "rdv", "rdv", clock, options)
    await pbx.connect()
    logins = [f"agent{n}" for n in range(1, args.agents + 1)]
    engine = Engine(clock, pbx, sessions, [campaign_id], "bench",
                    settings=EngineSettings(ring_timeout_s=args.ring_timeout))  # fmt: skip
    engine.on_call_finished(SimulatedQualification(sessions, args.seed, logins=logins))
    await engine.start()
    for n, login in enumerate(logins, start=1):
        await engine.log_in(login, campaign_id, f"Agent {n}")
    task = asyncio.create_task(engine.run())
    while sum(v for k, v in engine.counters.items() if k.startswith("outcome_")) < len(leads):
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
    await engine.stop(drain_timeout=900)
    await asyncio.gather(task, return_exceptions=True)
    await pbx.close()
    await simulator.stop()
    return figures(attempts(sessions), {lead.number: lead.kind for lead in leads}, args.agents, 5.0)


def report(name: str, found: dict[str, object]) -> None:
    table = found["table"]
    assert isinstance(table, Counter)
    abandonment, occupancy = float(found["abandonment"]), float(found["occupancy"])  # type: ignore[arg-type]
    print(f"\n{name}: {found['calls']} leads dialled, {found['span_s']:.0f} s of campaign; "
          f"abandonment {100 * abandonment:.1f} %, occupancy {100 * occupancy:.1f} %")
    outcomes = sorted({outcome for _kind, outcome in table})
    header = "true / recorded"
    print(f"  {header:<16}" + "".join(f"{o:>11}" for o in outcomes))
    for kind in KINDS:
        if any(k == kind for k, _o in table):
            print(f"  {kind:<16}" + "".join(f"{table[(kind, o)]:>11}" for o in outcomes))


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.asterisk_campaign")
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--agents", type=int, default=6)
    parser.add_argument("--talk-mean", type=float, default=20.0, help="humans' mean talk seconds")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"percent per callee kind (default {DEFAULT_MIX})")
    parser.add_argument("--ring-timeout", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--scale", type=float, default=20.0, help="the simulator run's clock speed")
    parser.add_argument("--deadline", type=float, default=1800.0, help="wall seconds the real run may take")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    mix = {kind: float(share) for kind, share in (part.split("=") for part in args.mix.split(","))}
    leads = draw_leads(args.leads, mix, args.talk_mean, args.seed)
    print("mix:", dict(Counter(lead.kind for lead in leads)), f"agents {args.agents}, predictive pacing")
    with tempfile.TemporaryDirectory(prefix="rdv-bench-ast-", dir="/tmp") as tmp:
        folder = Path(tmp)
        if not args.skip_real:
            report("real Asterisk", real_run(args, leads, folder))
        report("simulator", asyncio.run(simulator_run(args, leads, folder)))


if __name__ == "__main__":
    main()
