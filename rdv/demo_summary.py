"""What `rdv demo` reports at the end, read back from the database: the campaign's figures and where the outputs are."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.appointments import Appointment
from campaigns.calendar import open_intervals
from campaigns.dispositions import dispositions_for
from campaigns.models import Attempt, Campaign
from config.i18n import _, fmt_date, fmt_number, fmt_percent
from rdv.jobs import CampaignDay
from reports.daily_appointments import KIND as DAILY_KIND
from reports.outbox import FILED, OutboxMessage

HUMAN = ("connected", "dropped")


@dataclass(frozen=True)
class DemoSummary:
    """The demo's figures (ratios between 0 and 1) and output paths; also its JSON form."""

    days: list[str]
    agents: int
    leads: int
    calls: int
    answered: int
    answer_rate: float
    argued_contacts: int
    appointments: int
    conform_appointments: int
    dropped: int
    abandonment_rate: float
    agent_occupancy: float
    emails_written: int
    calls_by_day: dict[str, int]
    database: str
    outbox: str
    calls_csv: str
    calls_xlsx: str
    dashboards: str
    earlier_run_removed: bool
    wall_seconds: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def open_seconds(day: CampaignDay, days: list[date]) -> float:
    """How long the campaign's own zone could be called on these days (what the agents were there for)."""
    zone = ZoneInfo(day.zone)
    total = 0.0
    for each in days:
        start = datetime.combine(each, time(0), zone)
        total += sum((b - a).total_seconds() for a, b in open_intervals(start, start + timedelta(days=1),
                                                                          day.calendar))  # fmt: skip
    return total


def figures(session: Session, campaign_id: int) -> dict[str, Any]:
    """Counts over the campaign's attempts and appointments."""
    campaign = session.get_one(Campaign, campaign_id)
    argued_codes = [code for code, d in dispositions_for(campaign.settings or {}).items() if d.argued]
    outcomes = Counter(dict(session.execute(
        select(Attempt.outcome, func.count()).where(Attempt.campaign_id == campaign_id).group_by(Attempt.outcome)
    ).all()))  # fmt: skip
    argued = session.scalar(select(func.count()).where(
        Attempt.campaign_id == campaign_id, Attempt.outcome == "connected", Attempt.disposition.in_(argued_codes)))
    busy_s = session.scalar(select(func.sum(func.coalesce(Attempt.talk_s, 0) + func.coalesce(Attempt.wrap_s, 0)))
                            .where(Attempt.campaign_id == campaign_id, Attempt.outcome == "connected"))  # fmt: skip
    appointments = session.execute(select(Appointment.conform).where(Appointment.campaign_id == campaign_id)).all()
    emails = session.scalar(select(func.count()).where(OutboxMessage.campaign_id == campaign_id,
                                                       OutboxMessage.kind == DAILY_KIND,
                                                       OutboxMessage.status == FILED))  # fmt: skip
    return {"outcomes": outcomes, "argued": argued or 0, "busy_s": float(busy_s or 0.0), "emails": emails or 0,
            "appointments": len(appointments), "conform": sum(1 for (c,) in appointments if c)}


def calls_by_day(session: Session, campaign_id: int, zone: str) -> dict[str, int]:
    """Calls per local calling day of the campaign."""
    tz = ZoneInfo(zone)
    days: Counter[str] = Counter()
    for (created,) in session.execute(select(Attempt.created_at).where(Attempt.campaign_id == campaign_id)):
        days[created.astimezone(tz).date().isoformat()] += 1
    return dict(sorted(days.items()))


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarise(session: Session, campaign_id: int, day: CampaignDay, days: list[date], agents: int, leads: int,
              paths: dict[str, Path], earlier_run_removed: bool, wall_seconds: float) -> DemoSummary:
    """The summary of a finished demo run."""
    found = figures(session, campaign_id)
    outcomes = found["outcomes"]
    calls = sum(outcomes.values())
    answered = sum(outcomes[o] for o in HUMAN)
    return DemoSummary(
        days=[d.isoformat() for d in days], agents=agents, leads=leads, calls=calls, answered=answered,
        answer_rate=_ratio(answered, calls), argued_contacts=found["argued"], appointments=found["appointments"],
        conform_appointments=found["conform"], dropped=outcomes["dropped"],
        abandonment_rate=_ratio(outcomes["dropped"], answered),
        agent_occupancy=_ratio(found["busy_s"], agents * open_seconds(day, days)),
        emails_written=found["emails"], calls_by_day=calls_by_day(session, campaign_id, day.zone),
        database=str(paths["database"]), outbox=str(paths["outbox"]), calls_csv=str(paths["calls_csv"]),
        calls_xlsx=str(paths["calls_xlsx"]), dashboards=str(paths["dashboards"]),
        earlier_run_removed=earlier_run_removed,
        wall_seconds=round(wall_seconds, 1),
    )


def render(console: Console, summary: DemoSummary) -> None:
    """The summary as two rich tables: the campaign's figures, then where its outputs are."""
    first, last = date.fromisoformat(summary.days[0]), date.fromisoformat(summary.days[-1])
    table = Table(title=_("Demo campaign, {first} to {last}").format(first=fmt_date(first, "medium"),
                                                                     last=fmt_date(last, "medium")))  # fmt: skip
    table.add_column(_("Figure"))
    table.add_column(_("Value"), justify="right")
    rows = [
        (_("Calling days"), fmt_number(len(summary.days))),
        (_("Agents (simulated)"), fmt_number(summary.agents)),
        (_("Leads imported"), fmt_number(summary.leads)),
        (_("Calls"), fmt_number(summary.calls)),
        (_("Answer rate (a person picked up)"), fmt_percent(summary.answer_rate)),
        (_("Argued contacts"), fmt_number(summary.argued_contacts)),
        (_("Appointments (RDV)"), fmt_number(summary.appointments)),
        (_("of which meet the client's criteria"), fmt_number(summary.conform_appointments)),
        (_("Abandonment rate (dropped ÷ answered)"), fmt_percent(summary.abandonment_rate)),
        (_("Agent occupancy (talk + wrap-up ÷ calling hours)"), fmt_percent(summary.agent_occupancy)),
        (_("Daily e-mails written"), fmt_number(summary.emails_written)),
    ]
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)
    outputs = Table(title=_("Outputs"))
    outputs.add_column(_("What"))
    outputs.add_column(_("Where"), overflow="fold")
    outputs.add_row(_("Database (SQLite)"), summary.database)
    outputs.add_row(_("Daily e-mails (.eml, with the RDV sheets as XLSX and PDF attachments)"), summary.outbox)
    outputs.add_row(_("Call log (CSV)"), summary.calls_csv)
    outputs.add_row(_("Call log (XLSX)"), summary.calls_xlsx)
    outputs.add_row(_("Weekly dashboards and results files (XLSX)"), summary.dashboards)
    console.print(outputs)
