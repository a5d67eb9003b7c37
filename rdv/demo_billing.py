"""The demo's billing: the sample contract (seed 001: 80 € per RDV, 40 % weekly minimum, a prepaid package),
a first transfer, and each demo week billed on the Monday morning after it, in the demo's simulated time."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources

from billing import store
from billing.rules import Week
from billing.runs import bill_week
from billing.services import record_transfer, save_contract
from campaigns import store as campaigns
from config.i18n import _, fmt_money
from rdv.bootstrap import App
from rdv.demo_clock import IdleClock
from reports.mailer import deliver_pending

CONTRACT = "outsourcing-academy.toml"
FIRST_TRANSFER = Decimal("10000.00")  # about two weeks of the demo: the second brings the low-balance alert
TRANSFER_REF = "VIR-DEMO-0001"
BILLING_HOUR = timedelta(hours=6)


def load_sample_contract(app: App, client_name: str) -> None:
    """The sample contract and its first prepaid transfer, unless the client has a contract already."""
    now = app.clock.now()
    raw = tomllib.loads(resources.files("billing").joinpath("samples", CONTRACT).read_text(encoding="utf-8"))
    with app.sessions.begin() as session:
        client = campaigns.get_client(session, client_name)
        try:
            store.get_contract(session, client_name)
            return
        except LookupError:
            pass
        save_contract(session, client, raw, now)
        record_transfer(session, client_name, FIRST_TRANSFER, TRANSFER_REF, now)


def bill_demo_weeks(app: App, clock: IdleClock, client_name: str, days: list[date], zone: str) -> list[str]:
    """Bill every week the demo called in, on the Monday after it (the scheduled job may have billed some
    already); one line per document of the client."""
    for week in sorted({Week.of(day) for day in days}):
        clock.jump_to(week.bounds(zone)[1] + BILLING_HOUR)
        bill_week(app.sessions, week, clock.now(), app.settings.mail_from, client_name)
        deliver_pending(app.sessions, app.transport(), clock.now())
    lines = []
    with app.sessions() as session:
        for invoice in store.list_invoices(session, store.get_contract(session, client_name)[1].id):
            doc = invoice.document
            lines.append(_("Invoice {number} for week {week}: {total}, paid from the prepaid package "
                           "({before} → {after}).").format(
                number=invoice.number, week=invoice.week,
                total=fmt_money(Decimal(doc["grand_total"]), doc["currency"]),
                before=fmt_money(Decimal(doc["balance_before"]), doc["currency"]),
                after=fmt_money(Decimal(doc["balance_after"]), doc["currency"])))
    return lines
