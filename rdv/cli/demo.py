"""`rdv demo`: a whole campaign on the embedded defaults, in accelerated time, with its figures at the end.

Sample client, fr-consumer campaign, the bundled lead file (quality report shown), the sample script; then
the service's real parts (engine, AMI adapter, PBX simulator over loopback TCP, scheduled jobs, daily
e-mails as `.eml` files) run over the calling days with simulated agents, and the summary is printed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import func, select

from campaigns.appointments import Appointment
from campaigns.models import Attempt
from config.i18n import _, fmt_date, fmt_number, fmt_percent, ngettext
from config.settings import load_settings
from rdv.bootstrap import App
from rdv.cli import lead_report
from rdv.cli.common import USER_ERRORS, console, fail, is_interactive
from rdv.demo import SAMPLE_COUNT, SAMPLE_SEED, clean_outputs, demo_settings, setup_sample, start_sample_campaign
from rdv.demo_billing import bill_demo_weeks, load_sample_contract
from rdv.demo_clock import IdleClock
from rdv.demo_run import DemoPace, calling_days, run_campaign
from rdv.demo_summary import DemoSummary, render, summarise
from rdv.jobs import campaign_day
from rdv.runtime import RuntimeOptions
from reports.appointment_pdf import rendering_process
from reports.calls_export import call_rows, write_calls

# The bundled file: five agents call it through in a week (the fr-consumer cap of four calls in 30 days
# ends most leads by the fourth day) in under two minutes on two cores, about 5,600 calls.
DEMO_LEADS = SAMPLE_COUNT
# With --web: how long calls may go on after Ctrl-C (clock seconds, real ones there).
WEB_DRAIN_S = 120.0
# The clock starts a little before the first opening, so that the day opens through its job.
BEFORE_OPENING = timedelta(minutes=10)


def demo(
    agents: int = typer.Option(5, "--agents", min=1, max=50, help="Simulated agents."),
    leads: int = typer.Option(DEMO_LEADS, "--leads", min=10, max=100_000, help="Leads in the sample file "
                              "(the bundled file has 2,000; other counts are generated)."),
    days: int = typer.Option(5, "--days", min=1, max=20, help="Calling days to run."),
    start: str = typer.Option("", "--start", help="First calling day (YYYY-MM-DD); default: the next working "
                              "day in the call centre's zone, public holidays skipped."),
    seed: int = typer.Option(SAMPLE_SEED, "--seed", help="Seed of the lead file, the calls and the agents."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the database, e-mails and exports "
                                    "(default: <data dir>/demo); an earlier demo there is removed first."),
    as_json: bool = typer.Option(False, "--json", help="Also print the summary as one JSON object at the end."),
    scale: float = typer.Option(DemoPace.scale, "--scale", hidden=True, min=1.0),
    web: bool = typer.Option(False, "--web", help="Run at real speed with the web screens, simulated agents "
                             "and accounts for people to take calls, until Ctrl-C."),
    web_address: str = typer.Option("127.0.0.1:8000", "--web-address", metavar="HOST:PORT",
                                    help="With --web: where to serve the screens."),
) -> None:
    """Run a sample campaign over a few calling days in accelerated time and print what it achieved."""
    began = time.monotonic()
    try:
        first = date.fromisoformat(start) if start else None
    except ValueError:
        raise typer.BadParameter(_("expected a date such as 2026-11-23"), param_hint="--start") from None
    try:
        folder = out or load_settings().data_dir / "demo"
        cleaned = clean_outputs(folder)
        if cleaned:
            console.print(_("An earlier demo's database, e-mails and exports in {folder} were removed: this run "
                            "starts clean.").format(folder=folder))
        application = App(settings=demo_settings(folder), durable=False)
        if web:
            try:
                _run_web(application, folder, agents, seed, web_address)
            finally:
                application.close()
            return
        try:
            summary = _run(application, folder, agents, leads, days, first, seed, scale, began, cleaned)
        finally:
            application.close()
    except USER_ERRORS as exc:
        raise fail(str(exc)) from None
    render(console, summary)
    if as_json:
        print(json.dumps(summary.as_json(), ensure_ascii=False), flush=True)


def _run(application: App, folder: Path, agents: int, leads: int, days: int, first: date | None, seed: int,
         scale: float, began: float, cleaned: bool) -> DemoSummary:
    with lead_report.progress_bar(console, is_interactive()) as progress:
        sample = setup_sample(application, folder, seed, progress, count=leads)
    lead_report.render(console, sample.report, sample.import_id)
    campaign_id = sample.campaign.id
    with application.sessions() as session:
        day = campaign_day(session, campaign_id, application.settings.centre_timezone)
    today = application.clock.now().astimezone(ZoneInfo(application.settings.centre_timezone)).date()
    schedule = calling_days(day, first or today + timedelta(days=1), days)
    opening = day.open.get_next_fire_time(None, datetime.combine(schedule[0], datetime.min.time(), ZoneInfo(day.zone)))
    assert opening is not None
    clock = IdleClock(opening - BEFORE_OPENING, scale)
    application.clock = clock
    load_sample_contract(application, sample.client.name)  # before the run: the Monday job bills the week
    start_sample_campaign(application, campaign_id, clock.now())
    # Each count agrees with its own noun: "1 jour d'appel", "5 téléacteurs simulés".
    calling_days_text = ngettext("{n} calling day", "{n} calling days", len(schedule)).format(n=len(schedule))
    agents_text = ngettext("{n} simulated agent", "{n} simulated agents", agents).format(n=agents)
    console.print(_("Campaign {campaign} started: {days} from {first}, {agents}.").format(
        campaign=sample.campaign.name, days=calling_days_text, first=fmt_date(schedule[0]), agents=agents_text))
    logging.basicConfig(level=logging.WARNING)
    # The AMI adapter hands every message across threads: shorter GIL turns cut that latency under load.
    sys.setswitchinterval(0.001)
    loop_factory = partial(asyncio.SelectorEventLoop, clock.selector())  # simulated time runs while it waits
    options = RuntimeOptions(dialer_id="demo", simulate=True, sim_agents=agents, seed=seed, tick_s=DemoPace.tick_s,
                             screens=False)
    def day_done(finished: date) -> None:
        _day_done(application, campaign_id, day.zone, schedule, finished)

    with rendering_process():  # the evening e-mails' PDFs are laid out on the other core
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(run_campaign(application, campaign_id, schedule, options, DemoPace(scale=scale), day_done))
    for line in bill_demo_weeks(application, clock, sample.client.name, schedule, day.zone):
        console.print(line)
    paths = {"database": folder.resolve() / "rdv.sqlite3", "outbox": application.settings.outbox_dir,
             "calls_csv": folder.resolve() / "calls.csv", "calls_xlsx": folder.resolve() / "calls.xlsx"}
    with application.sessions() as session:
        for key in ("calls_csv", "calls_xlsx"):
            write_calls(call_rows(session, campaign_id), paths[key])
        return summarise(session, campaign_id, day, schedule, agents, sample.report.leads_created, paths,
                         cleaned, time.monotonic() - began)


def _run_web(application: App, folder: Path, agents: int, seed: int, address: str) -> None:
    """The web demo: sample campaign, people's accounts printed once, `rdv run --simulate --web` until Ctrl-C."""
    from rdv.cli.run import configure_logging, run_service
    from rdv.demo_web import people_table, prepare_web_demo
    from rdv.service import clock_waker
    from rdv.web.server import Listen

    listen = Listen.parse(address)
    _campaign_id, passwords = prepare_web_demo(application, folder, seed, console)
    console.print(people_table(passwords))
    configure_logging(logging.WARNING)
    options = RuntimeOptions(dialer_id="demo", simulate=True, sim_agents=agents, seed=seed)
    # The demo's clock may start at the next opening: woken on it, not on APScheduler's wall clock.
    run_service(application, [], options, WEB_DRAIN_S, waker=clock_waker, web=listen)


def _day_done(application: App, campaign_id: int, zone: str, schedule: list[date], day: date) -> None:
    """One line per calling day once its evening e-mail job has run: what the day achieved."""
    start = datetime.combine(day, datetime.min.time(), ZoneInfo(zone))
    end = start + timedelta(days=1)
    that_day = (Attempt.campaign_id == campaign_id, Attempt.created_at >= start, Attempt.created_at < end)
    with application.sessions() as session:
        outcomes = dict(session.execute(
            select(Attempt.outcome, func.count()).where(*that_day).group_by(Attempt.outcome)).all())
        rdvs = session.scalar(select(func.count()).where(
            Appointment.campaign_id == campaign_id, Appointment.taken_at >= start, Appointment.taken_at < end)) or 0
    answered = outcomes.get("connected", 0) + outcomes.get("dropped", 0)
    number = schedule.index(day) + 1 if day in schedule else 0
    calls = sum(outcomes.values())
    console.print(_("Day {n}/{total}, {day}: {calls}, {answered}, {appointments}, abandonment {abandon}.").format(
        n=number, total=len(schedule), day=fmt_date(day),
        calls=ngettext("{n} call", "{n} calls", calls).format(n=fmt_number(calls)),
        answered=ngettext("{n} answered", "{n} answered", answered).format(n=fmt_number(answered)),
        appointments=ngettext("{n} appointment", "{n} appointments", rdvs).format(n=fmt_number(rdvs)),
        abandon=fmt_percent(outcomes.get("dropped", 0) / answered if answered else 0.0)))
