"""Invoices of the plans billed by period (agent-hours, packages, calls and minutes, one-off fees).

What they count comes from the calls: productive time is talk plus wrap-up of each agent's calls for the
client's campaigns, calls and minutes are the connected calls' talk time. (Logged-in time is not kept by
the dialer yet, so an hourly plan counting logged-in hours cannot be billed from here.)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing import store
from billing.document import Draft, draft_line
from billing.models import INVOICE, Invoice
from billing.plans import Hourly, Package, PerAppointment, Usage
from billing.pricing import Priced, fee_lines, hourly_lines, package_lines, usage_lines
from billing.services import NotWeeklyPlan, issue, terms_of
from campaigns.models import Attempt, Campaign
from config.i18n import _, fmt_date


class LoggedHoursUnknown(ValueError):
    """An hourly plan that counts logged-in time, which the dialer does not record."""

    def __init__(self) -> None:
        super().__init__(_("This plan counts logged-in hours, which are not recorded: bill productive hours "
                           "(counts = \"productive\") or issue the invoice by hand"))


def _label(line: Priced, unit: str) -> str:
    names = {
        "agent_hours": _("Agent hours (talk and wrap-up time)"), "minimum_hours": _("Top-up to the minimum of hours"),
        "package": _("Monthly package per agent"), "extra_hours": _("Hours beyond those included in the package"),
        "cap": _("Deduction: cap agreed in the contract"), "opening": _("Account opening fee"),
        "training": _("Training of new agents"),
    }
    if line.key.startswith("tier_"):
        tier = line.key.removeprefix("tier_")
        return (_("Minutes, tier {tier}") if unit == "minute" else _("Calls, tier {tier}")).format(tier=tier)
    return names[line.key]


def _calls(session: Session, client_id: int, start: datetime, end: datetime
           ) -> list[tuple[str, datetime, float, float]]:
    """Each connected call of the client's campaigns in [start, end): its agent, start and billable seconds."""
    query = (
        select(Attempt.agent, Attempt.connected_at, func.coalesce(Attempt.talk_s, 0), func.coalesce(Attempt.wrap_s, 0))
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .where(Campaign.client_id == client_id, Attempt.outcome == "connected", Attempt.connected_at >= start,
               Attempt.connected_at < end)
    )
    return [(agent, at or start, float(talk), float(wrap)) for agent, at, talk, wrap in session.execute(query)]


def period_lines(session: Session, client_id: int, pricing: Hourly | Package | Usage, start: datetime,
                 end: datetime, zone: str) -> list[Priced]:
    """The priced lines of a period from its calls."""
    calls = _calls(session, client_id, start, end)
    if isinstance(pricing, Hourly):
        if pricing.counts != "productive":
            raise LoggedHoursUnknown()
        seconds: dict[str, float] = defaultdict(float)
        for agent, _at, talk, wrap in calls:
            seconds[agent] += talk + wrap
        return hourly_lines(pricing, seconds)
    if isinstance(pricing, Package):
        weekly: dict[str, dict[tuple[int, int], float]] = defaultdict(lambda: defaultdict(float))
        for agent, at, talk, wrap in calls:
            iso = at.astimezone(ZoneInfo(zone)).isocalendar()
            weekly[agent][(iso.year, iso.week)] += talk + wrap
        return package_lines(pricing, {agent: list(weeks.values()) for agent, weeks in weekly.items()})
    return usage_lines(pricing, [round(talk) for _agent, _at, talk, _wrap in calls])


def bill_period(session: Session, client_name: str, first: date, last: date, now: datetime) -> Invoice | None:
    """One invoice for a client's period (first to last day, inclusive); None if it was billed already."""
    client, row = store.get_contract(session, client_name, lock=True)
    terms = terms_of(row)
    pricing = terms.plan.pricing
    if isinstance(pricing, PerAppointment):
        raise NotWeeklyPlan(client.name, pricing.kind)
    label = f"{first.isoformat()}/{last.isoformat()}"
    billed = session.scalars(select(Invoice).where(Invoice.contract_id == row.id, Invoice.week == label,
                                                   Invoice.kind == INVOICE))
    # Billed once; again only after a credit note cancelled that invoice (cancel and re-issue).
    if any(not any(n.document.get("manual") for n in store.credit_notes_of(session, i.id)) for i in billed):
        return None
    tz = ZoneInfo(terms.timezone)
    start, end = datetime.combine(first, time(0), tz), datetime.combine(last + timedelta(days=1), time(0), tz)
    first_invoice = session.scalar(select(func.count()).where(Invoice.contract_id == row.id)) == 0
    priced = period_lines(session, client.id, pricing, start, end, terms.timezone)
    priced += fee_lines(terms.plan.fees, opening=first_invoice, new_agents=0)
    period = _("from {first} to {last}").format(first=fmt_date(first, "long"), last=fmt_date(last, "long"))
    unit = pricing.unit if isinstance(pricing, Usage) else "hour"
    lines = tuple(draft_line(_label(line, unit), period, line.quantity,
                             line.unit_price, line.amount) for line in priced if line.quantity)
    if not lines:
        return None
    draft = Draft(INVOICE, None, lines, period_label=label, period=(first, last))
    return issue(session, row, terms, draft, now)


class InvalidMonth(ValueError):
    """A month written other than as 2026-12."""

    def __init__(self, text: str) -> None:
        super().__init__(_("Invalid month {text}: write a month such as 2026-12").format(text=text))


def month_bounds(text: str) -> tuple[date, date]:
    """The first and last days of a month written 2026-12."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise InvalidMonth(text) from None
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)
