"""`rdv run` as a real process for tests (scaled clock: service_process.py): campaign, subprocess, database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.appointments import Appointment
from campaigns.models import Attempt
from campaigns.script_store import load_script_file
from campaigns.services import start_campaign
from leads.models import Lead
from rdv import db
from tests.campaigns.factories import leads

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
RDV = ROOT / ".venv" / "bin" / "rdv"
SCRIPT = Path(__file__).resolve().parents[2] / "campaigns" / "samples" / "charpente.toml"
PARIS = ZoneInfo("Europe/Paris")
MONDAY_3PM = datetime(2026, 11, 23, 15, 0, tzinfo=PARIS)
SCALE = 100.0
# Generous bounds for a shared two-core machine: a condition normally holds long before.
DEADLINE_S = 120.0
CENTRE_KEYS = {"RDV_SECRET_DNC_KEY": "test-centre-dnc-key", "RDV_SECRET_CERTIFICATE_KEY": "test-centre-certificate-key"}


def prepare(url: str, lead_count: int = 300, now: datetime = MONDAY_3PM) -> int:
    """A running fr-consumer campaign with consented leads, a script and a client who gets the daily mail."""
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        store.add_client(session, "Charpentes Test", ["rdv@client.example"])
        campaign = store.create_campaign(session, "Toitures", "Charpentes Test", "fr-consumer")
        campaign.settings = {"wrap_up_seconds": "10"}
        leads(session, campaign.id, lead_count)
        load_script_file(session, campaign.id, SCRIPT, "test", now)
        start_campaign(session, campaign.name, now)
        campaign_id = campaign.id
    engine.dispose()
    return campaign_id


@dataclass
class Service:
    """One `rdv run` process on a scaled clock shared through (start, epoch) with the test's simulator."""

    url: str
    data_dir: Path
    start: datetime
    epoch: float
    ami_port: int | None = None
    extra: list[str] = field(default_factory=list)
    scale: float = SCALE
    config: Path | None = None  # a settings file ([asterisk.servers.*]): the PBXs are there, not simulated
    env: dict[str, str] = field(default_factory=dict)  # more RDV_* settings (the soak's SMTP server)
    proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> Service:
        # Every process of a centre shares its keys (deployment guide), whatever its own data folder.
        env = {**os.environ, "RDV_DATA_DIR": str(self.data_dir), "RDV_DATABASE_URL": self.url, "RDV_LANG": "en",
               **CENTRE_KEYS, **self.env}  # fmt: skip
        env.pop("RDV_AMI_HOST", None)
        if self.ami_port is not None:
            env.update(RDV_AMI_HOST="127.0.0.1", RDV_AMI_PORT=str(self.ami_port))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        if self.config is not None:
            env["RDV_CONFIG"] = str(self.config)
        env.update(self.env)
        simulate = ["--simulate"] if self.ami_port is None and self.config is None else []
        args = [str(PYTHON), "-m", "tests.rdv.service_process", *simulate, "--sim-agents", "4", "--drain-seconds",
                "900", "--seed", "3", "--clock-scale", str(self.scale), "--clock-start", self.start.isoformat(),
                "--clock-epoch", str(self.epoch), *self.extra]  # fmt: skip
        log = (self.data_dir / "service.log").open("ab")
        self.proc = subprocess.Popen(args, env=env, cwd=self.data_dir, stdout=log, stderr=subprocess.STDOUT)
        return self

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=DEADLINE_S)

    def log(self) -> str:
        return (self.data_dir / "service.log").read_text(errors="replace")


def leader_of(services: dict[str, Service]) -> str | None:
    """The one service whose log says it won the scheduler leadership (None: none yet, or several)."""
    won = [name for name, s in services.items() if "is the scheduler leader" in s.log()]
    return won[0] if len(won) == 1 else None


async def until(condition: Callable[[], bool], what: str, service: Service | None = None) -> None:
    """Poll `condition` (letting the test's event loop run) until it holds; fail after the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if service is not None and service.proc is not None and service.proc.poll() is not None:
            raise AssertionError(f"rdv run exited ({service.proc.returncode}) before {what}:\n{service.log()[-3000:]}")
        assert time.monotonic() < deadline, f"{what}: not reached in time"
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Books:
    """What the database holds: ended attempts' outcomes, live attempts, appointments, claims, lead counts."""

    ended: dict[int, tuple[str, str]]
    live: set[int]
    appointments: dict[int, int | None]
    claimed: set[int]
    lead_attempts: dict[int, int]
    attempts_per_lead: dict[int, int]
    spans: dict[int, list[tuple[datetime, datetime | None]]]


def books(sessions: sessionmaker[Session]) -> Books:
    with sessions() as session:
        rows = list(session.scalars(select(Attempt)))
        appointments = {a.id: a.attempt_id for a in session.scalars(select(Appointment))}
        leads_ = list(session.scalars(select(Lead)))
    per_lead: dict[int, int] = {}
    spans: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for a in rows:
        per_lead[a.lead_id] = per_lead.get(a.lead_id, 0) + 1
        spans.setdefault(a.lead_id, []).append((a.created_at, a.ended_at))
    return Books(
        ended={a.id: (a.outcome, a.disposition) for a in rows if a.outcome},
        live={a.id for a in rows if not a.outcome},
        appointments=appointments,
        claimed={lead.id for lead in leads_ if lead.claimed_by},
        lead_attempts={lead.id: lead.attempts for lead in leads_ if lead.attempts},
        attempts_per_lead=per_lead,
        spans=spans,
    )


def overlapping(spans: list[tuple[datetime, datetime | None]]) -> bool:
    """Whether two attempts of one lead were live at once (an open span runs to the end of time)."""
    ordered = sorted(spans, key=lambda s: s[0])
    pairs = zip(ordered, ordered[1:], strict=False)
    return any(earlier[1] is None or later[0] < earlier[1] for earlier, later in pairs)
