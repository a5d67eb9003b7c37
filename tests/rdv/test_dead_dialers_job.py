"""The leader's dead_dialers job: a dialer whose id lock is free is dead; its claims go once seen dead for the
grace, a live one's stay, a restarted one is alive again; on SQLite the job does nothing."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads
from campaigns.models import Attempt
from campaigns.outcomes import start_attempt
from config.clock import ManualClock
from leads.models import Lead
from rdv.jobs import MailContext, dead_dialers_job
from rdv.leader import single_service
from rdv.scheduler import JobSpec
from reports.mailer import FolderTransport
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

GRACE = timedelta(minutes=5)


def _claim(sessions: sessionmaker[Session], campaign_id: int, dialer: str, n: int, now: datetime) -> list[int]:
    with sessions.begin() as session:
        targets = claim_leads(session, campaign_id, now, n, dialer)
        for target in targets:
            start_attempt(session, target, now, dialer, f"{dialer}-{target.lead_id}")
        return [t.lead_id for t in targets]


def _campaign_and_job(sessions: sessionmaker[Session], tmp_path: Path, lead_count: int
                      ) -> tuple[int, ManualClock, JobSpec]:
    """A campaign with leads, a clock at its start and the dead_dialers job on that clock."""
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, lead_count)
    clock = ManualClock(MONDAY_3PM)
    job = dead_dialers_job(MailContext(sessions, clock, "rdv@example.invalid", FolderTransport(tmp_path),
                                       "Europe/Paris", dead_dialer_grace=GRACE))  # fmt: skip
    return cid, clock, job


def _running(engine: Engine, dialer_id: str) -> AbstractContextManager[None]:
    """A process running as this dialer id holds its lock (SQLite's lock is per file: one process only)."""
    return single_service(engine, dialer_id) if engine.dialect.name == "postgresql" else nullcontext()


def _at(clock: ManualClock, moment: datetime) -> None:
    clock.advance((moment - clock.now()).total_seconds())


def _holders(sessions: sessionmaker[Session]) -> dict[int, str]:
    with sessions() as session:
        return dict(session.execute(select(Lead.id, Lead.claimed_by)).all())


def _open_attempts(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Attempt.dialer_id).where(Attempt.outcome == "")))


def test_a_dead_dialer_s_claims_go_after_the_grace_a_live_or_restarted_one_s_stay(
        engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    cid, clock, job = _campaign_and_job(sessions, tmp_path, 6)
    postgres = engine.dialect.name == "postgresql"
    with _running(engine, "alive"):
        dead = _claim(sessions, cid, "dead", 2, MONDAY_3PM)
        alive = _claim(sessions, cid, "alive", 2, MONDAY_3PM)
        for minutes in (1, 4):  # seen dead at the first run; the grace has not run out at the second
            _at(clock, MONDAY_3PM + timedelta(minutes=minutes))
            job.run(clock.now())
            assert {_holders(sessions)[lead] for lead in dead} == {"dead"}
        _at(clock, MONDAY_3PM + timedelta(minutes=6))
        job.run(clock.now())
        held = _holders(sessions)
        assert {held[lead] for lead in dead} == ({""} if postgres else {"dead"})
        assert {held[lead] for lead in alive} == {"alive"}
        assert _open_attempts(sessions) == ({"alive"} if postgres else {"alive", "dead"})

        with _running(engine, "dead"):  # restarted with its id: alive again, its new claims stay
            again = _claim(sessions, cid, "dead", 1, clock.now())
            _at(clock, clock.now() + 10 * GRACE)
            job.run(clock.now())
            _at(clock, clock.now() + GRACE)
            job.run(clock.now())
            assert {_holders(sessions)[lead] for lead in again} == {"dead"}
    assert {_holders(sessions)[lead] for lead in alive} == {"alive"}


def test_a_dialer_dead_long_ago_loses_only_its_claims_older_than_the_grace(
        engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    cid, clock, job = _campaign_and_job(sessions, tmp_path, 3)
    old = _claim(sessions, cid, "d", 1, MONDAY_3PM)
    job.run(MONDAY_3PM)  # seen dead now
    # It came back and died again between two runs, after claiming another lead.
    recent = _claim(sessions, cid, "d", 1, MONDAY_3PM + GRACE)
    _at(clock, MONDAY_3PM + GRACE + timedelta(minutes=1))
    job.run(clock.now())
    held = _holders(sessions)
    if engine.dialect.name == "postgresql":
        assert (held[old[0]], held[recent[0]]) == ("", "d")
    else:
        assert (held[old[0]], held[recent[0]]) == ("d", "d")  # one process on SQLite: nothing is another's
