"""Scheduled jobs, defined once as APScheduler triggers and run two ways.

In service, an APScheduler scheduler wakes us at each trigger's fire time; in the demo, the same
trigger objects are asked `get_next_fire_time(previous, now)` on the scaled clock. Either way
`JobRunner.run_due()` does the work: it runs every fire time since the job last completed, so runs
missed while the service was down happen at restart. Jobs are idempotent (the daily e-mail marks
appointments as sent in the same transaction), so a run repeated after a crash does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rdv.models_scale import JobFire
from rdv.models_service import JobRun

log = logging.getLogger(__name__)

# Missed runs older than this many fire times are collapsed: after a week down, one catch-up per job
# kind is useful, a hundred are not.
MAX_CATCH_UP = 31
# A fire time claimed this long ago and not finished was left by a process that died during the run.
ABANDONED_AFTER = timedelta(minutes=30)


# Finished fire times are kept this long as the proof that each ran once (the failover tests read them), then go:
# the one-minute jobs alone add 1,440 rows a day.
FIRES_KEPT = timedelta(days=92)


def prune_fires(session: Session, now: datetime, kept: timedelta = FIRES_KEPT) -> int:
    """Delete the fire times finished before `now - kept` and no later than their job's last completed one
    (so none can be due again); returns how many. An unfinished one stays, whatever its age."""
    done = select(JobRun.last_fire_at).where(JobRun.job_id == JobFire.job_id).scalar_subquery()
    result = session.execute(delete(JobFire).where(JobFire.finished_at.is_not(None), JobFire.fire_at < now - kept,
                                                   JobFire.fire_at <= done))  # fmt: skip
    return int(getattr(result, "rowcount", 0) or 0)


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

    def __init__(self, sessions: sessionmaker[Session], specs: list[JobSpec], holder: str = "main",
                 may_run: Callable[[], bool] = lambda: True) -> None:
        self.sessions = sessions
        self.specs = {spec.id: spec for spec in specs}
        self.holder = holder  # who claims the fire times (the dialer id)
        # Asked before each fire time: the shared runner stops at once when its process loses the leadership.
        self.may_run = may_run

    def add(self, specs: list[JobSpec], now: datetime) -> list[JobSpec]:
        """Jobs of a campaign started while running: known from now on, registered at `now`; the new ones."""
        new = [spec for spec in specs if spec.id not in self.specs]
        self.specs.update((spec.id, spec) for spec in new)
        self.register(now)
        return new

    def register(self, now: datetime) -> None:
        """Start the history of new jobs at `now`: a job never catches up on times before it existed."""
        with self.sessions() as session:
            known = {run.job_id for run in session.query(JobRun).all()}
        for job_id in self.specs.keys() - known:
            try:  # another process starting at the same moment may register it first: theirs is as good
                with self.sessions.begin() as session:
                    session.add(JobRun(job_id=job_id, last_fire_at=now))
            except IntegrityError:
                continue

    def _claim(self, job_id: str, fire: datetime, now: datetime) -> bool:
        """Claim one fire time: the insert succeeds for exactly one process, whoever else tries."""
        try:
            with self.sessions.begin() as session:
                session.add(JobFire(job_id=job_id, fire_at=fire, run_by=self.holder, started_at=now))
            return True
        except IntegrityError:
            return self._take_over(job_id, fire, now)

    def _take_over(self, job_id: str, fire: datetime, now: datetime) -> bool:
        """Claim a fire time whose run never finished long ago: its process died during the run (jobs are
        idempotent, so running it again completes it). One conditional UPDATE: one taker only."""
        with self.sessions.begin() as session:
            taken = session.execute(
                update(JobFire)
                .where(JobFire.job_id == job_id, JobFire.fire_at == fire, JobFire.finished_at.is_(None),
                       JobFire.started_at < now - ABANDONED_AFTER)
                .values(run_by=self.holder, started_at=now))  # fmt: skip
            return bool(getattr(taken, "rowcount", 0))

    def _unclaim(self, job_id: str, fire: datetime) -> None:
        """A failed run gives its fire time back, to be tried again at the next wake-up."""
        with self.sessions.begin() as session:
            fired = session.get(JobFire, (job_id, fire))
            if fired is not None:
                session.delete(fired)

    def _finish(self, job_id: str, fire: datetime, finished: datetime) -> None:
        with self.sessions.begin() as session:
            fired = session.get(JobFire, (job_id, fire))
            if fired is not None:
                fired.finished_at = finished

    def _last_fire(self, job_id: str, now: datetime) -> datetime:
        with self.sessions() as session:
            run = session.get(JobRun, job_id)
            return run.last_fire_at if run else now

    def _unfinished(self, job_id: str, until: datetime) -> list[datetime]:
        """Fire times up to `until` claimed and never finished: their process may have died during the run
        (`_claim` takes them over once abandoned), so they stay due although later ones completed."""
        with self.sessions() as session:
            return list(session.scalars(select(JobFire.fire_at).where(
                JobFire.job_id == job_id, JobFire.finished_at.is_(None), JobFire.fire_at <= until)))

    def _record(self, job_id: str, fire: datetime, finished: datetime, error: str) -> None:
        with self.sessions.begin() as session:
            run = session.get(JobRun, job_id)
            if run is None:
                run = JobRun(job_id=job_id, last_fire_at=fire)
                session.add(run)
            if not error and fire > run.last_fire_at:  # another process may have recorded a later one
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
            last = self._last_fire(spec.id, now)
            fires = fire_times(spec.trigger, last, now, limit=limit)
            if not spec.coalesce:  # a coalesced job's next run does what an abandoned one would have
                fires = self._unfinished(spec.id, last) + fires
            due.extend((fire, spec.id) for fire in fires)
        done: list[tuple[str, datetime]] = []
        for fire, job_id in sorted(due):
            if not self.may_run():
                break
            if not self._claim(job_id, fire, now):  # run (or running) elsewhere: only its history moves on
                self._record(job_id, fire, now, "")
                continue
            try:
                self.specs[job_id].run(fire)
            except Exception as exc:  # one failing job must not stop the others; it is retried next time
                log.exception("job %s for %s failed", job_id, fire.isoformat())
                self._unclaim(job_id, fire)
                self._record(job_id, fire, now, f"{type(exc).__name__}: {exc}")
                continue
            self._finish(job_id, fire, now)
            self._record(job_id, fire, now, "")
            done.append((job_id, fire))
        return done

    def next_fire(self, now: datetime) -> datetime | None:
        """The earliest coming fire time of any job (the demo jumps its clock there when idle)."""
        times = [t for spec in self.specs.values() if (t := spec.trigger.get_next_fire_time(None, now))]
        return min(times) if times else None
