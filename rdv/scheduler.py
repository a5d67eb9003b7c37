"""Scheduled jobs, defined once as APScheduler triggers and run two ways.

In service, an APScheduler scheduler wakes us at each trigger's fire time; in the demo, the same
trigger objects are asked `get_next_fire_time(previous, now)` on the scaled clock. Either way
`JobRunner.run_due()` does the work: it runs every fire time since the job last completed, so runs
missed while the service was down happen at restart. Jobs are idempotent (the daily e-mail marks
appointments as sent in the same transaction), so a run repeated after a crash does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from rdv.models_service import JobRun

log = logging.getLogger(__name__)

# Missed runs older than this many fire times are collapsed: after a week down, one catch-up per job
# kind is useful, a hundred are not.
MAX_CATCH_UP = 31
LEADER_LOCK_KEY = 0x7264765F7363  # "rdv_sc": one scheduler leader per PostgreSQL database


@dataclass(frozen=True)
class JobSpec:
    """A job: its stable id, its trigger, and what it does for one scheduled fire time.

    `coalesce`: missed fire times run once, for the latest (APScheduler's coalesce), for jobs whose every run
    does the same (delivering the outbox); else each runs (one daily e-mail per day).
    """

    id: str
    trigger: BaseTrigger
    run: Callable[[datetime], object]
    coalesce: bool = False


def fire_times(trigger: BaseTrigger, after: datetime, until: datetime, limit: int = MAX_CATCH_UP) -> list[datetime]:
    """The trigger's fire times strictly after `after` and at or before `until`, the latest `limit` of them."""
    found: list[datetime] = []
    previous = after
    while True:
        following = trigger.get_next_fire_time(previous, until)
        if following is None or following > until:
            break
        if following <= previous:  # a trigger must move forward; guard against a stuck one
            break
        found.append(following)
        previous = following
    return found[-limit:]


class JobRunner:
    """Runs each job's due fire times and remembers the last one completed, in the database."""

    def __init__(self, sessions: sessionmaker[Session], specs: list[JobSpec]) -> None:
        self.sessions = sessions
        self.specs = {spec.id: spec for spec in specs}

    def register(self, now: datetime) -> None:
        """Start the history of new jobs at `now`: a job never catches up on times before it existed."""
        with self.sessions.begin() as session:
            known = {run.job_id for run in session.query(JobRun).all()}
            for job_id in self.specs.keys() - known:
                session.add(JobRun(job_id=job_id, last_fire_at=now))

    def _last_fire(self, job_id: str, now: datetime) -> datetime:
        with self.sessions() as session:
            run = session.get(JobRun, job_id)
            return run.last_fire_at if run else now

    def _record(self, job_id: str, fire: datetime, finished: datetime, error: str) -> None:
        with self.sessions.begin() as session:
            run = session.get(JobRun, job_id)
            if run is None:
                run = JobRun(job_id=job_id, last_fire_at=fire)
                session.add(run)
            if not error:
                run.last_fire_at = fire
            run.finished_at = finished
            run.last_error = error

    def run_due(self, now: datetime, only: str | None = None) -> list[tuple[str, datetime]]:
        """Run every fire time that is due and not yet completed; returns what ran, in order."""
        due: list[tuple[datetime, str]] = []
        for spec in self.specs.values():
            if only is not None and spec.id != only:
                continue
            limit = 1 if spec.coalesce else MAX_CATCH_UP
            fires = fire_times(spec.trigger, self._last_fire(spec.id, now), now, limit=limit)
            due.extend((fire, spec.id) for fire in fires)
        done: list[tuple[str, datetime]] = []
        for fire, job_id in sorted(due):
            try:
                self.specs[job_id].run(fire)
            except Exception as exc:  # one failing job must not stop the others; it is retried next time
                log.exception("job %s for %s failed", job_id, fire.isoformat())
                self._record(job_id, fire, now, f"{type(exc).__name__}: {exc}")
                continue
            self._record(job_id, fire, now, "")
            done.append((job_id, fire))
        return done

    def next_fire(self, now: datetime) -> datetime | None:
        """The earliest coming fire time of any job (the demo jumps its clock there when idle)."""
        times = [t for spec in self.specs.values() if (t := spec.trigger.get_next_fire_time(None, now))]
        return min(times) if times else None


@contextmanager
def leadership(engine: Engine) -> Iterator[bool]:
    """Whether this process is the scheduler leader: a PostgreSQL advisory lock held for the block.

    SQLite is a single-host embedded setup with one service, which is always the leader.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar())
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY})
            connection.commit()
