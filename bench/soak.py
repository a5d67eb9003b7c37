"""Soak: hours of calling on real parts with faults on a schedule, then every count reconciled (issue 16).

    python -m bench.soak [--hours 8] [--scale 60] [--json]

A throwaway PostgreSQL, two simulated PBXs (`bench.soak_pbx`, AMI over TCP), an aiosmtpd server on loopback
(the mail goes through rdv's SMTP transport) and two `rdv run` processes, each on its own PBX, on one scaled
clock from a Monday 09:45. The campaign's centre closes at 17:00 and its daily e-mail goes at 17:15, so eight
hours see the day open, the lunch break, the close and the e-mail. Faults (simulated times, printed as they
happen): the AMI connections of PBX a cut, PBX b restarted, PostgreSQL restarted, the scheduler leader
killed with SIGKILL and started again, SMTP down around the e-mail's time. Then `bench.soak_checks` reconciles
and the exit status is 1 if anything does not.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as daytime
from pathlib import Path

from sqlalchemy import Engine, text

from bench.soak_checks import Check, reconcile
from bench.soak_parts import Pbx, Smtp, free_port
from campaigns.models import Campaign
from dialer.campaign_view import queue_name
from rdv import db
from tests.pgserver import PostgresServer
from tests.rdv.service_harness import PARIS, Service, prepare

START = datetime(2026, 11, 23, 9, 45, tzinfo=PARIS)  # a Monday, before the day opens at 10:00
MAIL_AT = daytime(17, 15)
SETTINGS = {"wrap_up_seconds": "10", "centre_weekday_hours": "09:00-17:00", "daily_mail_time": "17:15"}
DIALERS = ("a", "b")
DRAIN_DEADLINE_S = 180.0
# The shared clock reaches the start this long after the processes are launched: Python starting four
# processes on a loaded two-core machine takes seconds, which at 60x would be minutes of the schedule.
WARMUP_S = 20.0
READY_DEADLINE_S = 120.0
RUNNING = "rdv is running"  # what `rdv run` prints once it dials


@dataclass(frozen=True)
class Fault:
    at: datetime
    what: str
    act: Callable[[], None]


@dataclass
class Soak:
    """The parts of one run, and what happened to them."""

    folder: Path
    start: datetime
    scale: float
    pg: PostgresServer
    engine: Engine
    smtp: Smtp
    pbxs: dict[str, Pbx]
    dialers: dict[str, Service]
    epoch: float
    log: list[str] = field(default_factory=list)
    killed: str = ""  # the dialer the kill -9 fault chose

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.scale)

    def say(self, line: str) -> None:
        stamped = f"[{self.now():%H:%M} sim] {line}"
        self.log.append(stamped)
        print(stamped, file=sys.stderr, flush=True)

    def leader(self) -> str:
        """The dialer that ran the shared outbox job last: the scheduler leader."""
        with self.engine.connect() as conn:
            found = conn.execute(text("SELECT run_by FROM job_fires WHERE job_id = 'outbox' "
                                      "ORDER BY fire_at DESC LIMIT 1")).scalar()  # fmt: skip
        return str(found or DIALERS[0])

    def kill_leader(self) -> None:
        name = self.leader()
        dialer = self.dialers[name]
        dialer.signal(signal.SIGKILL)
        dialer.wait()
        self.killed = name

    def restart_killed(self) -> None:
        """Start it again and wait until it runs: a SIGTERM while Python starts would kill it before its handlers."""
        dialer = self.dialers[self.killed]
        runs = dialer.log().count(RUNNING)
        dialer.launch()
        _until(lambda: dialer.log().count(RUNNING) > runs, f"dialer {self.killed} running again", dialer)


def schedule(soak: Soak, end: datetime) -> list[Fault]:
    """Each kind of fault once, spread over the calling day; SMTP down for an hour around the daily e-mail."""
    span = end - soak.start
    mail = datetime.combine(soak.start.date(), MAIL_AT, tzinfo=soak.start.tzinfo)
    smtp_down = max(soak.start + span * 0.7, mail - timedelta(minutes=30))
    smtp_up = min(smtp_down + timedelta(hours=1), end)
    kill = soak.start + span * 0.6
    return sorted([
        Fault(soak.start + span * 0.1, "AMI connections of PBX a cut", soak.pbxs["a"].cut),
        Fault(soak.start + span * 0.25, "PBX b restarted", soak.pbxs["b"].restart),
        Fault(soak.start + span * 0.35, "PostgreSQL restarted (pg_ctl restart -m fast)", soak.pg.restart),
        Fault(kill, "kill -9 of the scheduler leader", soak.kill_leader),
        Fault(kill + timedelta(minutes=2), "the killed dialer started again", soak.restart_killed),
        Fault(smtp_down, "SMTP server down", soak.smtp.stop),
        Fault(smtp_up, "SMTP server up", soak.smtp.start),
    ], key=lambda f: f.at)  # fmt: skip


def _sleep_until(soak: Soak, moment: datetime) -> None:
    """Let simulated time reach `moment`, failing at once if a dialer died that nobody killed."""
    while soak.now() < moment:
        for name, dialer in soak.dialers.items():
            if dialer.proc is not None and dialer.proc.poll() is not None and name != soak.killed:
                raise RuntimeError(f"dialer {name} exited ({dialer.proc.returncode}):\n{dialer.log()[-3000:]}")
        time.sleep(min(0.2, max(0.0, (moment - soak.now()).total_seconds() / soak.scale)))


def _until(condition: Callable[[], bool], what: str, dialer: Service) -> None:
    deadline = time.monotonic() + READY_DEADLINE_S
    while not condition():
        if time.monotonic() > deadline or (dialer.proc is not None and dialer.proc.poll() is not None):
            raise RuntimeError(f"{what}: not reached\n{dialer.log()[-2000:]}")
        time.sleep(0.2)


def _ready(soak: Soak) -> None:
    """Until both dialers say they run (a PBX fault while one starts would only test its start-up)."""
    for name, dialer in soak.dialers.items():
        _until(lambda d=dialer: RUNNING in d.log(), f"dialer {name} running", dialer)


def _drain(soak: Soak) -> None:
    """After the last fault, until the outbox has nothing left to send (or the deadline)."""
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    query = text("SELECT count(*) FROM outbox_messages WHERE status <> 'sent'")
    while time.monotonic() < deadline:
        with soak.engine.connect() as conn:
            if conn.execute(query).scalar_one() == 0:
                return
        time.sleep(0.5)


def _stop(soak: Soak) -> list[Check]:
    stopped = Check("stops", "SIGTERM to each dialer, then each PBX")
    for dialer in soak.dialers.values():
        dialer.signal(signal.SIGTERM)
    for name, dialer in soak.dialers.items():
        if (code := dialer.wait()) != 0:
            stopped.problems.append(f"dialer {name} exited {code} on SIGTERM")
    for pbx in soak.pbxs.values():
        pbx.stop()
    return [stopped]


def _database(pg: PostgresServer) -> str:
    admin = db.make_engine(pg.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "soak"'))
    admin.dispose()
    engine = db.make_engine(pg.url_for("soak"))
    db.upgrade(engine)
    engine.dispose()
    return pg.url_for("soak")


def _campaign(url: str, leads: int, start: datetime) -> int:
    campaign_id = prepare(url, lead_count=leads, now=start)
    engine = db.make_engine(url)
    with db.session_factory(engine).begin() as session:
        session.get_one(Campaign, campaign_id).settings = SETTINGS
    engine.dispose()
    return campaign_id


def _launch(folder: Path, pg: PostgresServer, url: str, start: datetime, scale: float, leads: int) -> Soak:
    campaign_id = _campaign(url, leads, start)
    smtp = Smtp(free_port())
    smtp.start()
    epoch = time.time() + WARMUP_S
    pbxs = {name: Pbx(name, free_port(), queue_name(campaign_id), folder, (start, epoch, scale)) for name in DIALERS}
    env = {"RDV_SMTP_HOST": "127.0.0.1", "RDV_SMTP_PORT": str(smtp.port), "RDV_SMTP_STARTTLS": "false",
           "RDV_MAIL_FROM": "centre@rdv.example"}  # fmt: skip
    dialers = {}
    for name, pbx in pbxs.items():
        pbx.start()
        (folder / name).mkdir()
        dialers[name] = Service(url, folder / name, start, epoch, ami_port=pbx.port, extra=["--dialer-id", name],
                                scale=scale, env=env).launch()  # fmt: skip
    return Soak(folder, start, scale, pg, db.make_engine(url), smtp, pbxs, dialers, epoch)


def run(
    hours: float, scale: float, folder: Path, start: datetime = START, leads: int = 3000
) -> tuple[Soak, list[Check]]:
    """One soak: faults on schedule until `start + hours`, the outbox drained, every part stopped, the books read."""
    pg = PostgresServer.start()
    soak: Soak | None = None
    try:
        soak = _launch(folder, pg, _database(pg), start, scale, leads)
        end = start + timedelta(hours=hours)
        _ready(soak)
        soak.say("every part is up")
        for fault in schedule(soak, end):
            _sleep_until(soak, fault.at)
            soak.say(fault.what)
            fault.act()
        _sleep_until(soak, end)
        if soak.smtp.controller is None:
            soak.smtp.start()
        soak.say("end of the run: waiting for the outbox to drain")
        _drain(soak)
        checks = _stop(soak)
        checks += reconcile(soak.engine, {c: n for p in soak.pbxs.values() for c, n in p.originates().items()},
                            soak.smtp.inbox.received)  # fmt: skip
        return soak, checks
    finally:
        if soak is not None:
            for dialer in soak.dialers.values():
                if dialer.proc is not None and dialer.proc.poll() is None:
                    dialer.proc.kill()
            for pbx in soak.pbxs.values():
                if pbx.proc is not None and pbx.proc.poll() is None:
                    pbx.proc.kill()
            soak.smtp.stop()
            soak.engine.dispose()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours from Monday 09:45")
    parser.add_argument("--scale", type=float, default=60.0, help="simulated seconds per wall second")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    args = parser.parse_args()
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="rdv-soak-"))
    _soak, checks = run(args.hours, args.scale, folder)
    bad = any(c.problems for c in checks)
    if not bad:
        shutil.rmtree(folder)
    wall = time.monotonic() - began
    if args.json:
        print(json.dumps({"wall_s": round(wall), "checks": [vars(c) for c in checks]}, indent=2))
    else:
        for check in checks:
            print(f"{'ok ' if not check.problems else 'BAD'} {check.name}: {check.figure}")
            for problem in check.problems:
                print(f"      {problem}")
        print(f"{args.hours} simulated hours at {args.scale}x in {wall:.0f} s wall")
    if bad:
        print(f"logs kept in {folder}", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
