"""Lead files uploaded through the web: stored under the data folder, inspected, imported in the background.

The import is the CLI's (`leads.importer.import_leads`), with the mapping chosen on the mapping screen passed as
its explicit mapping: one transaction, so a failed import stores no lead, and the job keeps the French line of
the failure. The job runs on a thread of the web process; its progress is kept in memory for the live page and,
on PostgreSQL, written to `lead_uploads` as it goes (on SQLite the import holds the only write lock until it
commits, so the row is written at the end). A job still `running` in the table that no thread of this process
runs was cut by a restart: `reap` marks it failed with a reason, since its transaction was rolled back.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import Campaign
from config import audit
from config.i18n import _
from leads.columns import known_field, looks_like_header, resolve
from leads.errors import LeadFileError, NoPhoneColumn
from leads.importer import ImportOptions, import_leads
from leads.reader import open_source
from rdv.bootstrap import App
from rdv.lead_targets import import_target
from rdv.web.leads_models import LeadUpload

log = logging.getLogger(__name__)
PREVIEW_ROWS = 5
WRITE_EVERY_S = 0.5  # progress rows written to the table at most this often


@dataclass
class Live:
    """A running job's progress, as the live page reads it."""

    done: int = 0
    total: int = 0


_RUNNING: dict[int, Live] = {}
_LOCK = threading.Lock()


def uploads_root(application: App) -> Path:
    """Where uploaded files live: `<data>/lead_uploads/<campaign id>/<job id>/<file name>` (and its rejects)."""
    return application.settings.data_dir / "lead_uploads"


@dataclass(frozen=True)
class Inspection:
    """What the mapping screen shows: the headers, the first rows, and the detected field of each column."""

    headers: list[str]
    rows: list[list[str]]
    detected: dict[str, str]
    recognised: bool


def inspect(path: Path, mapping: dict[str, str] | None = None) -> Inspection:
    """Read the header and first rows as the importer will; raises a LeadFileError on an unreadable file."""
    explicit = mapping or {}
    source = open_source(path, None, None, lambda cells: looks_like_header(cells, explicit))
    rows = []
    for _number, cells in source.rows():
        rows.append(cells)
        if len(rows) >= PREVIEW_ROWS:
            break
    try:
        detected = resolve(path.name, source.headers, explicit).describe()
        recognised = True
    except NoPhoneColumn:  # the mapping screen starts from what the usual names say
        detected = {h: explicit.get(h) or known_field(h) or "custom" for h in source.headers}
        recognised = False
    return Inspection(list(source.headers), rows, detected, recognised)


def progress_of(job: LeadUpload) -> Live:
    """The job's progress: this process's live figures while it runs, else the table's."""
    with _LOCK:
        live = _RUNNING.get(job.id)
        return Live(live.done, live.total) if live else Live(job.rows_done, job.rows_total)


def reap(session: Session, now: datetime) -> int:
    """Mark failed the jobs left `running` by a process that stopped; returns how many."""
    with _LOCK:
        alive = list(_RUNNING)
    result = session.execute(
        update(LeadUpload).where(LeadUpload.status == "running", LeadUpload.id.not_in(alive)).values(
            status="failed", finished_at=now,
            error=_("The import was interrupted (the server restarted): nothing was stored, start it again."))
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def start(application: App, job_id: int, who: str, mapping: dict[str, str]) -> bool:
    """Run the import of an uploaded file on a thread; False if it is already running or finished."""
    with application.sessions.begin() as session:
        claimed = session.execute(
            update(LeadUpload).where(LeadUpload.id == job_id, LeadUpload.status.in_(("uploaded", "failed")))
            .values(status="running", mapping=mapping, rows_done=0, rows_total=0, error="", import_id=None,
                    finished_at=None))  # fmt: skip
        if not getattr(claimed, "rowcount", 0):
            return False
        with _LOCK:
            _RUNNING[job_id] = Live()
    thread = threading.Thread(target=_run, args=(application, job_id, who), name=f"lead-import-{job_id}",
                              daemon=True)  # fmt: skip
    thread.start()
    return True


def wait(job_id: int, timeout: float) -> bool:
    """Whether the job's thread ended within `timeout` seconds (for tests and shutdown)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _LOCK:
            if job_id not in _RUNNING:
                return True
        time.sleep(0.02)
    return False


def _run(application: App, job_id: int, who: str) -> None:
    now = application.clock.now()
    outcome: dict[str, Any]
    folder = str(uploads_root(application))
    try:
        with application.sessions() as session:
            job = session.get_one(LeadUpload, job_id)
            campaign = session.get_one(Campaign, job.campaign_id)
            target = import_target(application, session, campaign, now)
            path, mapping, name = Path(job.stored_as), dict(job.mapping), job.filename
        result = import_leads(application.sessions, target, path, ImportOptions(mapping=mapping), now,
                              _Reporter(application, job_id))  # fmt: skip
        outcome = {"status": "done", "import_id": result.import_id, "rows_done": result.report.rows_read}
        with application.sessions.begin() as session:
            audit.record(session, who, "supervisor", "import", f"campaign {campaign.name}",
                         detail=f"import {result.import_id}: {result.report.leads_created} leads ← {name}", now=now)
    except (LeadFileError, LookupError) as exc:
        outcome = {"status": "failed", "error": _without_folder(str(exc), folder)}
    except Exception as exc:  # the message may quote a lead: logged by type only
        log.error("lead import %s failed: %s", job_id, type(exc).__name__)
        outcome = {"status": "failed", "error": _("The import failed on an unexpected error: nothing was stored.")}
    try:
        with application.sessions.begin() as session:
            session.execute(update(LeadUpload).where(LeadUpload.id == job_id)
                            .values(finished_at=application.clock.now(), **outcome))  # fmt: skip
    finally:
        with _LOCK:
            _RUNNING.pop(job_id, None)


def _without_folder(message: str, folder: str) -> str:
    """The importer's message names the file by its path: the supervisor knows it by its name."""
    return re.sub(re.escape(folder) + r"/\d+/\d+/", "", message)


class _Reporter:
    """The importer's progress callback: in memory always, in the table where the database allows it."""

    def __init__(self, application: App, job_id: int) -> None:
        self.application = application
        self.job_id = job_id
        self.persist = application.sessions.kw["bind"].dialect.name != "sqlite"
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        with _LOCK:
            live = _RUNNING.setdefault(self.job_id, Live())
            live.done, live.total = done, max(total, done)
        if self.persist and time.monotonic() - self.last >= WRITE_EVERY_S:
            self.last = time.monotonic()
            with self.application.sessions.begin() as session:
                session.execute(update(LeadUpload).where(LeadUpload.id == self.job_id)
                                .values(rows_done=done, rows_total=max(total, done)))  # fmt: skip


def jobs_of(session: Session, campaign_id: int, limit: int = 50) -> list[LeadUpload]:
    query = select(LeadUpload).where(LeadUpload.campaign_id == campaign_id)
    return list(session.scalars(query.order_by(LeadUpload.id.desc()).limit(limit)))
