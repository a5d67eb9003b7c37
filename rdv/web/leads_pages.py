"""The supervisor's lead files: upload per campaign, map the columns, watch the import, read its report.

Every step goes through the CLI's importer (rdv.web.leads_jobs); this module only receives, shows and redirects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from campaigns.models import Campaign
from config.i18n import _
from leads import store
from leads.columns import FIELDS, resolve
from leads.errors import LeadFileError
from leads.models import LeadImport
from rdv.web import leads_jobs as jobs
from rdv.web.auth import current_user, db
from rdv.web.leads_models import LeadUpload
from rdv.web.leads_upload import UploadRefused, move_into, receive, refuse_announced
from rdv.web.leads_view import field_choices, rejects_csv, report_view
from rdv.web.models import User
from rdv.web.portal import local
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter(prefix="/admin/leads")
SUPERVISOR = [allow(Role.supervisor)]
LIVE_EVERY_S = 0.5
DbSession = Annotated[Session, Depends(db)]


def _now(request: Request) -> Any:
    return request.app.state.rdv.clock.now()


def _campaign(session: Session, campaign_id: int) -> Campaign:
    found = session.get(Campaign, campaign_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _job(session: Session, job_id: int) -> LeadUpload:
    found = session.get(LeadUpload, job_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _limit(request: Request) -> int:
    return int(request.app.state.rdv.settings.web_upload_max_mb) << 20


@router.get("", dependencies=SUPERVISOR)
def campaigns(request: Request, session: DbSession) -> Response:
    rows = list(session.scalars(select(Campaign).order_by(Campaign.name)))
    return render(request, "admin/leads/index.html", {"campaigns": rows, "page": "leads"})


def _campaign_page(request: Request, session: Session, campaign: Campaign, error: str = "",
                   status_code: int = 200) -> Response:
    jobs.reap(session, _now(request))
    context = {"campaign": campaign, "jobs": jobs.jobs_of(session, campaign.id), "error": error, "local": local,
               "imports": store.list_imports(session, campaign.id)[::-1], "page": "leads",
               "limit_mb": request.app.state.rdv.settings.web_upload_max_mb}
    return render(request, "admin/leads/campaign.html", context, status_code=status_code)


@router.get("/{campaign_id}", dependencies=SUPERVISOR)
def campaign_page(request: Request, campaign_id: int, session: DbSession) -> Response:
    return _campaign_page(request, session, _campaign(session, campaign_id))


@router.post("/{campaign_id}/upload", dependencies=SUPERVISOR)
async def upload(request: Request, campaign_id: int, user: Annotated[User, Depends(current_user)]) -> Response:
    application = request.app.state.rdv
    with application.sessions() as session:
        campaign = _campaign(session, campaign_id)
        try:
            refuse_announced(request, _limit(request))
            root = jobs.uploads_root(application) / str(campaign_id)
            part, name, size = await receive(request, root, _limit(request))
        except UploadRefused as refused:
            return _campaign_page(request, session, campaign, str(refused), refused.status)
    return await run_in_threadpool(_store_upload, request, campaign_id, part, name, size, user.login)


def _store_upload(request: Request, campaign_id: int, part: Path, name: str, size: int, who: str) -> Response:
    application = request.app.state.rdv
    with application.sessions.begin() as session:
        job = LeadUpload(campaign_id=campaign_id, filename=name, stored_as="", size=size, uploaded_by=who,
                         uploaded_at=_now(request))  # fmt: skip
        session.add(job)
        session.flush()
        path = move_into(part, jobs.uploads_root(application) / str(campaign_id) / str(job.id), name)
        job.stored_as = str(path)
        job_id = job.id
    try:
        seen = jobs.inspect(path)
    except LeadFileError as exc:
        with application.sessions.begin() as session:
            session.delete(session.get_one(LeadUpload, job_id))
        path.unlink(missing_ok=True)
        with application.sessions() as session:
            return _campaign_page(request, session, _campaign(session, campaign_id), str(exc).replace(
                str(path), name), 400)  # fmt: skip
    if not seen.recognised:
        return RedirectResponse(f"/admin/leads/jobs/{job_id}/map", status_code=303)
    jobs.start(application, job_id, who, {})
    return RedirectResponse(f"/admin/leads/jobs/{job_id}", status_code=303)


def _mapping_page(request: Request, job: LeadUpload, chosen: dict[str, str] | None = None, error: str = "",
                  status_code: int = 200) -> Response:
    try:
        seen = jobs.inspect(_stored(job))
    except LeadFileError:  # unreadable as a whole: no mapping can help, the job page says why
        return RedirectResponse(f"/admin/leads/jobs/{job.id}", status_code=303)
    context = {"job": job, "seen": seen, "chosen": chosen or seen.detected, "fields": field_choices(),
               "error": error, "page": "leads"}
    return render(request, "admin/leads/map.html", context, status_code=status_code)


def _stored(job: LeadUpload) -> Path:
    return Path(job.stored_as)


@router.get("/jobs/{job_id}/map", dependencies=SUPERVISOR)
def mapping_page(request: Request, job_id: int, session: DbSession) -> Response:
    job = _job(session, job_id)
    if job.status not in ("uploaded", "failed"):
        return RedirectResponse(f"/admin/leads/jobs/{job_id}", status_code=303)
    return _mapping_page(request, job)


@router.post("/jobs/{job_id}/map", dependencies=SUPERVISOR)
async def mapping_sent(request: Request, job_id: int, user: Annotated[User, Depends(current_user)]) -> Response:
    form = await request.form()
    application = request.app.state.rdv
    with application.sessions() as session:
        job = _job(session, job_id)
        try:
            headers = jobs.inspect(_stored(job)).headers
        except LeadFileError:
            return RedirectResponse(f"/admin/leads/jobs/{job_id}", status_code=303)
        chosen = {h: str(form.get(f"col{i}", "custom")) for i, h in enumerate(headers)}
        if any(field not in FIELDS for field in chosen.values()):
            raise HTTPException(status_code=422)
        try:
            resolve(job.filename, headers, chosen)
        except LeadFileError:
            return _mapping_page(request, job, chosen, _("Choose the column that holds the phone numbers "
                                                         "(at least one column must be “phone”)."), 400)
    jobs.start(application, job_id, user.login, chosen)  # already running (a second click): its page
    return RedirectResponse(f"/admin/leads/jobs/{job_id}", status_code=303)


@router.get("/jobs/{job_id}", dependencies=SUPERVISOR)
def job_page(request: Request, job_id: int, session: DbSession) -> Response:
    jobs.reap(session, _now(request))
    job = _job(session, job_id)
    imported = session.get(LeadImport, job.import_id) if job.import_id else None
    context = {"job": job, "live": jobs.progress_of(job), "view": report_view(imported) if imported else None,
               "campaign": _campaign(session, job.campaign_id), "page": "leads"}
    return render(request, "admin/leads/job.html", context)


@router.get("/jobs/{job_id}/live", dependencies=SUPERVISOR)
async def job_live(request: Request, job_id: int) -> EventSourceResponse:
    """Server-sent `progress` events while the job runs, then one `done` and the stream ends."""
    sessions = request.app.state.rdv.sessions

    def read() -> dict[str, Any]:
        with sessions() as session:
            job = _job(session, job_id)
            live = jobs.progress_of(job)
            return {"status": job.status, "done": live.done, "total": live.total}

    first = await run_in_threadpool(read)

    async def events() -> AsyncIterator[dict[str, str]]:
        state = first
        while state["status"] == "running":
            yield {"event": "progress", "data": json.dumps(state)}
            await asyncio.sleep(LIVE_EVERY_S)
            state = await run_in_threadpool(read)
        yield {"event": "done", "data": json.dumps(state)}

    return EventSourceResponse(events())


@router.get("/imports/{import_id}", dependencies=SUPERVISOR)
def import_page(request: Request, import_id: int, session: DbSession) -> Response:
    imported = session.get(LeadImport, import_id)
    if imported is None:
        raise HTTPException(status_code=404)
    context = {"view": report_view(imported), "campaign": _campaign(session, imported.campaign_id),
               "page": "leads"}
    return render(request, "admin/leads/report.html", context)


@router.get("/imports/{import_id}/rejects.csv", dependencies=SUPERVISOR)
def rejects(import_id: int, session: DbSession) -> Response:
    imported = session.get(LeadImport, import_id)
    view = report_view(imported) if imported is not None else None
    if imported is None or view is None or not view.rejects_available:
        raise HTTPException(status_code=404)
    return Response(rejects_csv(imported.report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="rejets-import-{import_id}.csv"',
                             "Cache-Control": "private, no-store"})  # fmt: skip
