"""A campaign of simulated callees, rdv's service as a process against the real Asterisk, and the books."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.models import Attempt
from campaigns.services import start_campaign
from dialer.models import AgentRecord
from leads.models import Lead
from rdv import db
from tests.asterisk.harness import AMI_SECRET, AMI_USER, ROOT, Asterisk
from tests.campaigns.factories import CONSENT

PARIS = ZoneInfo("Europe/Paris")
# A Monday afternoon: inside every calling window, whatever day the tests run on.
MONDAY_3PM = datetime(2026, 11, 23, 15, 0, tzinfo=PARIS)
DEADLINE_S = 180.0


def prepare(url: str, numbers: list[str], settings: dict[str, str] | None = None, name: str = "Toitures") -> int:
    """A running fr-business campaign (no legal hours beyond its windows) with one lead per number."""
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        try:
            store.get_client(session, "Charpentes Test")
        except LookupError:
            store.add_client(session, "Charpentes Test", ["rdv@client.example"])
        campaign = store.create_campaign(session, name, "Charpentes Test", "fr-business")
        campaign.settings = {"wrap_up_seconds": "1", **(settings or {})}
        session.add_all(Lead(campaign_id=campaign.id, phone_e164=n, **CONSENT) for n in numbers)
        session.flush()
        start_campaign(session, campaign.name, MONDAY_3PM)
        campaign_id = campaign.id
    engine.dispose()
    return campaign_id


@dataclass
class Service:
    """`tests.asterisk.service` (rdv's serve()) as a process, logging into `root/service.log`."""

    url: str
    root: Path
    asterisk: Asterisk
    campaigns: list[str]
    sim_agents: int = 1
    epoch: float = field(default_factory=time.time)
    ring_timeout_s: float = 10.0
    proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> Service:
        env = {**os.environ, "RDV_DATABASE_URL": self.url, "RDV_DATA_DIR": str(self.root / "rdv-data"),
               "RDV_LANG": "en", "RDV_AMI_HOST": "127.0.0.1", "RDV_AMI_PORT": str(self.asterisk.port),
               "RDV_AMI_USERNAME": AMI_USER, "RDV_AMI_SECRET": AMI_SECRET,
               "PYTHONPATH": str(ROOT)}  # fmt: skip
        args = [sys.executable, "-m", "tests.asterisk.service", "--sim-agents", str(self.sim_agents),
                "--start", MONDAY_3PM.isoformat(), "--epoch", str(self.epoch),
                "--ring-timeout", str(self.ring_timeout_s)]  # fmt: skip
        for name in self.campaigns:
            args += ["--campaign", name]
        log = (self.root / "service.log").open("ab")
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        return self

    def stop(self) -> int:
        """SIGTERM: drain, store, exit."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=DEADLINE_S)

    def wait(self) -> int:
        """The exit code of a process that ends by itself."""
        assert self.proc is not None
        return self.proc.wait(timeout=DEADLINE_S)

    def kill(self) -> None:
        """SIGKILL: nothing is stored any more, live calls go on in Asterisk."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def log(self) -> str:
        path = self.root / "service.log"
        return path.read_text(errors="replace") if path.exists() else ""


def until(condition: Callable[[], bool], what: str, service: Service | None = None,
          deadline_s: float = DEADLINE_S) -> None:
    """Poll until `condition` holds; fail with the service's log after a generous deadline."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        if service is not None and service.proc is not None and service.proc.poll() is not None:
            raise AssertionError(f"the service exited ({service.proc.returncode}) before {what}:\n"
                                 f"{service.log()[-4000:]}")  # fmt: skip
        if time.monotonic() > deadline:
            log = service.log()[-4000:] if service is not None else ""
            raise AssertionError(f"{what}: not reached in time\n{log}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Dialled:
    """One attempt as stored."""

    phone: str
    call_id: str
    outcome: str
    talk_s: float | None
    answered_at: datetime | None
    ended_at: datetime | None
    hangup_cause: int | None
    next_attempt_at: datetime | None


def attempts(sessions: sessionmaker[Session]) -> list[Dialled]:
    with sessions() as session:
        rows = session.execute(select(Attempt, Lead.next_attempt_at).join(Lead, Lead.id == Attempt.lead_id)
                               .order_by(Attempt.id)).all()  # fmt: skip
        return [Dialled(a.phone_e164, a.action_id, a.outcome, a.talk_s, a.answered_at, a.ended_at, a.hangup_cause,
                        next_at) for a, next_at in rows]  # fmt: skip


def first_outcomes(sessions: sessionmaker[Session]) -> dict[str, Dialled]:
    """Each number's first ended attempt."""
    found: dict[str, Dialled] = {}
    for dialled in attempts(sessions):
        if dialled.outcome:
            found.setdefault(dialled.phone, dialled)
    return found


def agent_states(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as session:
        return {a.login: a.state for a in session.scalars(select(AgentRecord))}


def queue_talk_times(asterisk: Asterisk) -> dict[str, int]:
    """Talk seconds per call id as Asterisk's queue_log wrote them (COMPLETECALLER/COMPLETEAGENT)."""
    return {row[1]: int(row[6]) for row in asterisk.queue_log()
            if len(row) > 6 and row[4] in ("COMPLETECALLER", "COMPLETEAGENT")}  # fmt: skip


def queue_events(asterisk: Asterisk, call_id: str) -> list[str]:
    return [row[4] for row in asterisk.queue_log() if len(row) > 4 and row[1] == call_id]
