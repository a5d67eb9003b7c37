"""The load test's figures: counters read before and after the measured window, the calls' outcomes and the
agents' occupancy from the database, and the printed table."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from bench import scale_procs
from campaigns.models import Attempt, Campaign
from campaigns.settings import campaign_settings
from dialer.desk_models import AgentEvent
from rdv.console_presence import PresenceEvent, occupancy, presence_totals
from tests.pgserver import PostgresServer

COUNTERS = """SELECT (SELECT count(*) FROM attempts WHERE dialer_id <> 'bench'),
  (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements),
  (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
  pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')"""


@dataclass(frozen=True)
class Snapshot:
    """Counters at one moment: wall clock, dials, statements, commits, WAL position, CPU seconds."""

    wall: float
    sim_now: datetime
    attempts: int
    statements: int
    commits: int
    wal: float
    pg_cpu: float
    dialer_cpu: list[float]
    load: tuple[float, float, float]


def snapshot(engine: Engine, server: PostgresServer, dialers: list[scale_procs.Proc],
             clock: scale_procs.Clock) -> Snapshot:  # fmt: skip
    with engine.connect() as conn:
        attempts, statements, commits, wal = conn.execute(text(COUNTERS)).one()
    wall = time.time()
    sim_now = clock.start + timedelta(seconds=(wall - clock.epoch) * clock.scale)
    return Snapshot(time.monotonic(), sim_now, int(attempts), int(statements), int(commits), float(wal),
                    scale_procs.postgres_cpu(server.directory / "data"),
                    [scale_procs.cpu_seconds([p.popen.pid]) for p in dialers], os.getloadavg())  # fmt: skip


def calls_figures(engine: Engine, campaign_id: int, before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """Outcomes of the run's dials, abandonment against the campaign's target, occupancy over the window."""
    with Session(engine) as session:
        outcomes = dict(
            session.execute(
                select(Attempt.outcome, func.count())
                .where(Attempt.campaign_id == campaign_id, Attempt.dialer_id != "bench")
                .group_by(Attempt.outcome)
            )
            .tuples()
            .all()
        )
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        target = campaign_settings(campaign.settings or {}).abandonment_target
        rows = (
            session.execute(
                select(AgentEvent.login, AgentEvent.state, AgentEvent.reason, AgentEvent.at).where(
                    AgentEvent.campaign_id == campaign_id, AgentEvent.at < after.sim_now
                )
            )
            .tuples()
            .all()
        )
    humans = outcomes.get("connected", 0) + outcomes.get("dropped", 0)
    totals = presence_totals([PresenceEvent(*row) for row in rows], after.sim_now, {})
    busy = occupancy(totals.values())
    return {"outcomes": {k or "live": v for k, v in sorted(outcomes.items())},
            "abandonment": round(outcomes.get("dropped", 0) / humans, 4) if humans else 0.0,
            "abandonment_target": target, "humans": humans,
            "occupancy": round(busy, 3) if busy is not None else 0.0, "agents_seen": len(totals)}  # fmt: skip


def table(report: dict[str, Any]) -> str:
    """The report as lines of `figure: value` for a terminal."""
    calls, base = report["calls"], report["database"]
    claim, decision = report["hopper_claim"], report["dial_decision"]
    dialers = ", ".join(f"{t['dialer']}→{'+'.join(t['pbxs'])} ({t['agents']} agents)" for t in report["topology"])
    rows = [
        ("topology", dialers),
        (
            "run",
            f"{report['wall_s']} s wall at clock ×{report['clock_scale']}, load average "
            f"{' '.join(f'{v:.2f}' for v in report['load_average'])}",
        ),
        (
            "leads",
            f"{base['leads']:,} loaded in {base['load_s']} s; leads table {base['leads_bytes'] / 2**20:,.0f} MB"
            f" ({base['leads_per_gb']:,} leads per GB), database {base['database_bytes'] / 2**20:,.0f} MB"
            f" ({base['leads_per_gb_database']:,} leads per GB)",
        ),
        ("hopper claim", f"p50 {claim['p50_ms']:.1f} ms, p95 {claim['p95_ms']:.1f} ms ({claim['count']} claims)"),
        (
            "dial decision",
            f"p50 {decision['p50_ms']:.1f} ms, p95 {decision['p95_ms']:.1f} ms ({decision['count']} dialling ticks)",
        ),
        ("AMI events/s per dialer", ", ".join(map(str, report["ami_events_per_s_per_process"]))),
        ("events/s per PBX", ", ".join(map(str, report["pbx_events_per_s"]))),
        ("dials", f"{report['dials']} ({report['dials_per_s']}/s)"),
        ("per call", f"{report['statements_per_call']} statements, {report['commits_per_call']} commits"),
        ("CPU", f"PostgreSQL {report['postgresql_cpu_cores']} cores, dialers {report['dialers_cpu_cores']} cores"),
        ("WAL", f"{report['wal_bytes_per_hour'] / 2**20:,.0f} MB per hour"),
        (
            "channels",
            f"peak {report['peak_channels_sampled']} at once (per PBX "
            f"{', '.join(map(str, report['peak_channels_per_pbx']))}), mean {report['mean_channels']}",
        ),
        (
            "abandonment",
            f"{calls['abandonment']:.2%} of {calls['humans']} answered (target {calls['abandonment_target']:.0%})",
        ),
        ("occupancy", f"{calls['occupancy']:.1%} over {calls['agents_seen']} agents"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
