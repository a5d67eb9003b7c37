"""The scheduler's weekly billing: Monday morning, the week just ended, once, with the e-mails."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from billing import store
from config.clock import ManualClock
from rdv.jobs import MailContext, weekly_billing_job
from rdv.scheduler import JobRunner
from reports.mailer import FolderTransport
from tests.billing.helpers import IN_W49, add_rdvs, client_with_contract


def test_monday_morning_bills_the_week_just_ended_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session)
        add_rdvs(session, campaign, 5)
    clock = ManualClock(IN_W49)
    ctx = MailContext(sessions, clock, "facturation@outsourcing-academy.example", FolderTransport(tmp_path),
                      "Europe/Paris")
    runner = JobRunner(sessions, [weekly_billing_job(ctx)])
    runner.register(IN_W49)
    assert runner.run_due(IN_W49) == []
    monday = IN_W49 + timedelta(days=6)  # Monday 7 December, 12:00 Paris
    clock.advance((monday - IN_W49).total_seconds())
    (ran,) = runner.run_due(monday)
    assert ran[0] == "weekly_billing" and ran[1].isoformat() == "2026-12-07T06:00:00+01:00"
    assert runner.run_due(monday + timedelta(hours=1)) == []
    with sessions() as session:
        (invoice,) = store.list_invoices(session)
        assert (invoice.number, invoice.week) == ("F-2026-00001", "2026-W49")
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.eml")) == ["invoice"]
