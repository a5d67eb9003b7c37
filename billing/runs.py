"""A whole billing run, as the CLI and the scheduler start it: every contract (or one), then the e-mails."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from billing import store
from billing.delivery import queue_invoice_mail, queue_low_balance_alert, unmailed
from billing.periods import bill_period
from billing.plans import PerAppointment
from billing.rules import Week
from billing.services import RunReport, run_week, terms_of

log = logging.getLogger(__name__)


def bill_week(sessions: sessionmaker[Session], week: Week, now: datetime, mail_from: str,
              client: str | None = None, keep_going: bool = False) -> list[RunReport]:
    """Bill a week for one client or every client billed per appointment; each client in its own transaction.

    With `keep_going` (the scheduled run), a client whose run fails is logged and the others are billed.
    """
    with sessions() as session:
        names = [c.name for c, row in store.contracts(session)
                 if (client is None and isinstance(terms_of(row).plan.pricing, PerAppointment)) or c.name == client]
    if client is not None and not names:
        with sessions() as session:
            store.get_contract(session, client)  # raises the clear error: unknown client or no contract
    reports = []
    for name in names:
        try:
            with sessions.begin() as session:
                report = run_week(session, name, week, now)
                _client, row = store.get_contract(session, name)
                for before, after in report.alerts:
                    queue_low_balance_alert(session, row, before, after, mail_from, now)
        except (ValueError, LookupError):
            if not keep_going:
                raise
            log.exception("billing run %s failed for one client; the others go on", week)
            continue
        log.info("billing run %s, contract %s: %d documents", week, row.id, len(report.issued))
        reports.append(report)
    mail_issued(sessions, now, mail_from)
    return reports


def mail_issued(sessions: sessionmaker[Session], now: datetime, mail_from: str) -> int:
    """Store the e-mail of every invoice not mailed yet (PDF made here, after the invoice is committed)."""
    with sessions() as session:
        pending = unmailed(session)
    for invoice_id in pending:
        with sessions.begin() as session:
            queue_invoice_mail(session, invoice_id, mail_from, now)
    return len(pending)


def bill_month(sessions: sessionmaker[Session], first: date, last: date, now: datetime, mail_from: str) -> int:
    """Bill a month for every client whose plan is billed by period (hours, package, calls); the scheduled run."""
    with sessions() as session:
        names = [c.name for c, row in store.contracts(session)
                 if not isinstance(terms_of(row).plan.pricing, PerAppointment)]
    issued = 0
    for name in names:
        try:
            with sessions.begin() as session:
                issued += bill_period(session, name, first, last, now) is not None
        except (ValueError, LookupError):
            log.exception("monthly billing %s failed for one client; the others go on", first)
    mail_issued(sessions, now, mail_from)
    return issued
