"""The scheduler's weekly billing: Monday morning, the week just ended, once, with the e-mails."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from billing import store
from billing.services import record_transfer, run_week
from config.clock import ManualClock
from rdv.jobs import MailContext, payment_reminders_job, weekly_billing_job
from rdv.scheduler import JobRunner
from reports.mailer import FolderTransport
from tests.billing.helpers import AFTER_W49, IN_W49, W49, add_rdvs, client_with_contract, sample_contract


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


def test_an_unpaid_invoice_is_reminded_at_its_delays_with_the_penalties(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session, sample_contract(penalty_rate_per_day="0.005"))
        add_rdvs(session, campaign, 5)  # 400 €, nothing prepaid: all due on 6 January
        run_week(session, "Charpentes Martin", W49, AFTER_W49)
    clock = ManualClock(AFTER_W49)
    ctx = MailContext(sessions, clock, "facturation@outsourcing-academy.example", FolderTransport(tmp_path),
                      "Europe/Paris")
    runner = JobRunner(sessions, [payment_reminders_job(ctx)])
    runner.register(AFTER_W49)
    clock.advance(timedelta(days=40).total_seconds())  # 16 January: ten days late, reminder 2 due
    runner.run_due(clock.now())
    (mail,) = [message_from_bytes(p.read_bytes(), policy=policy.default)
               for p in tmp_path.glob("payment_reminder-*.eml")]
    body = mail.get_content()  # type: ignore[attr-defined]
    assert "F-2026-00001" in mail["Subject"] and "400,00" in body
    assert "Après 10 jours de retard, les pénalités prévues au contrat s'élèvent à 20,00\xa0€" in body
    assert "40,00\xa0€" in body
    clock.advance(timedelta(days=1).total_seconds())
    runner.run_due(clock.now())  # the same level is not sent again
    assert len(list(tmp_path.glob("payment_reminder-*.eml"))) == 1
    with sessions.begin() as session:
        record_transfer(session, "Charpentes Martin", Decimal(400), "VIR-0002", clock.now())
    clock.advance(timedelta(days=10).total_seconds())
    runner.run_due(clock.now())  # paid: no further reminder
    assert len(list(tmp_path.glob("payment_reminder-*.eml"))) == 1
