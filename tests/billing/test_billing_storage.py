"""Weekly runs on SQLite and PostgreSQL: invoices by difference, credit notes, immutability, the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from billing import store
from billing.models import Invoice, InvoiceImmutable, LedgerEntry
from billing.rules import Week
from billing.services import WeekNotOver, credit_invoice, parse_amount, record_transfer, run_week
from tests.billing.helpers import (
    AFTER_W49,
    CLIENT,
    IN_W49,
    W49,
    add_rdvs,
    client_with_contract,
    sample_contract,
    set_state,
)


def _numbers(session: Session) -> list[str]:
    return [i.number for i in store.list_invoices(session)]


def test_a_week_is_billed_once_with_its_minimum_and_a_second_run_issues_nothing(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session)
        add_rdvs(session, campaign, 3)
        add_rdvs(session, campaign, 7, conform=False)
        add_rdvs(session, campaign, 2, taken_at=IN_W49 + timedelta(days=7))  # next week's
    with sessions.begin() as session:
        report = run_week(session, CLIENT, W49, AFTER_W49)
        assert [i.number for i in report.issued] == ["F-2026-00001"]
    with sessions() as session:
        invoice = store.get_invoice(session, "F-2026-00001")
        assert (invoice.kind, invoice.week, invoice.net_cents, invoice.total_cents) == ("invoice", "2026-W49",
                                                                                       32000, 32000)
        lines = invoice.document["lines"]
        assert [(line["quantity"], line["net"]) for line in lines] == [("3", "240.00"), ("1", "80.00")]
        assert "RDV-" in lines[0]["description"] and "4 of the 10" not in lines[1]["description"]
        assert lines[1]["description"] == "Minimum : 4 des 10 rendez-vous fournis"
    with sessions.begin() as session:
        assert run_week(session, CLIENT, W49, AFTER_W49 + timedelta(days=1)).issued == []
    with sessions() as session:
        assert _numbers(session) == ["F-2026-00001"]


def test_results_that_move_later_are_billed_or_credited_by_difference(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session)
        kept = add_rdvs(session, campaign, 3)
        reported = add_rdvs(session, campaign, 7, state="cancelled_by_client")
        run_week(session, CLIENT, W49, AFTER_W49)  # 3 billed + 1 top-up (minimum 4 of 10)
    later = AFTER_W49 + timedelta(days=30)
    with sessions.begin() as session:
        set_state(session, reported[0], "false_cancellation")  # covered by the top-up already paid
        report = run_week(session, CLIENT, Week(2026, 53), later)
        assert report.issued == [] and report.moved_without_money == 1
        set_state(session, reported[1], "false_cancellation")
        report = run_week(session, CLIENT, Week(2026, 53), later)
        assert [(i.number, i.net_cents) for i in report.issued] == [("F-2027-00001", 8000)]
    with sessions.begin() as session:
        for appointment_id in kept:
            set_state(session, appointment_id, "cancelled")  # disputes accepted: 2 left, minimum 4
        report = run_week(session, CLIENT, Week(2026, 53), later + timedelta(days=1))
        (note,) = report.issued
        assert (note.kind, note.number, note.net_cents) == ("credit_note", "AV-2027-00001", 8000)  # 5 billed: 4
        assert note.document["type_code"] == "381"
        assert note.document["corrects"]["number"] == "F-2026-00001"
    with sessions() as session:
        net = sum((i.net_cents if i.kind == "invoice" else -i.net_cents) for i in store.list_invoices(session))
        assert net == 4 * 8000  # the week is worth its minimum: 4 RDVs


def test_a_week_is_not_billed_before_it_is_over(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        client_with_contract(session)
        with pytest.raises(WeekNotOver, match="2026-W49"):
            run_week(session, CLIENT, W49, IN_W49)


def test_an_issued_invoice_cannot_be_changed_or_deleted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session)
        add_rdvs(session, campaign, 2)
        run_week(session, CLIENT, W49, AFTER_W49)
    with sessions() as session:
        invoice = store.get_invoice(session, "F-2026-00001")
        invoice.net_cents = 1
        with pytest.raises(InvoiceImmutable, match="F-2026-00001"):
            session.flush()
        session.rollback()
        session.delete(store.get_invoice(session, "F-2026-00001"))
        with pytest.raises(InvoiceImmutable):
            session.flush()
    for statement in ("UPDATE invoices SET net_cents = 1", "DELETE FROM invoices"):
        with sessions() as session, pytest.raises(DatabaseError, match="issued invoices"):
            session.execute(text(statement))
    with sessions() as session:
        assert store.get_invoice(session, "F-2026-00001").net_cents == 16000


def test_a_credit_note_cancels_an_invoice_and_the_next_run_bills_the_week_afresh(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session)
        add_rdvs(session, campaign, 5)
        run_week(session, CLIENT, W49, AFTER_W49)
        record_transfer(session, CLIENT, Decimal(1000), "VIR-0001", AFTER_W49)
    with sessions.begin() as session:
        with pytest.raises(ValueError, match="motif"):
            credit_invoice(session, "F-2026-00001", " ", AFTER_W49)
        note = credit_invoice(session, "F-2026-00001", "Erreur de client facturé", AFTER_W49)
        assert (note.number, note.net_cents, note.reason) == ("AV-2026-00001", 40000, "Erreur de client facturé")
        with pytest.raises(ValueError, match="déjà"):
            credit_invoice(session, "F-2026-00001", "encore", AFTER_W49)
    with sessions.begin() as session:
        again = run_week(session, CLIENT, W49, AFTER_W49 + timedelta(hours=1))
        assert [(i.number, i.net_cents) for i in again.issued] == [("F-2026-00002", 40000)]


def test_the_prepaid_account_pays_invoices_and_never_goes_negative(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session)
        add_rdvs(session, campaign, 12)  # 960 €
        assert record_transfer(session, CLIENT, parse_amount("1 000,00"), "VIR-0001", IN_W49) == (
            Decimal(0), Decimal("1000.00"))
        report = run_week(session, CLIENT, W49, AFTER_W49)
        (invoice,) = report.issued
        assert (invoice.balance_before_cents, invoice.prepaid_cents, invoice.due_cents,
                invoice.balance_after_cents) == (100000, 96000, 0, 4000)
        assert report.alerts == [(Decimal("1000.00"), Decimal("40.00"))]  # crossed the 800 € threshold
        add_rdvs(session, campaign, 2, taken_at=IN_W49 + timedelta(days=7))  # 160 € with 40 € left
        (second,) = run_week(session, CLIENT, Week(2026, 50), AFTER_W49 + timedelta(days=7)).issued
        assert (second.prepaid_cents, second.due_cents, second.balance_after_cents) == (4000, 12000, 0)
        # A transfer settles what is due first, then tops the account up.
        assert record_transfer(session, CLIENT, Decimal(500), "VIR-0002", AFTER_W49) == (Decimal(0),
                                                                                       Decimal("380.00"))
        assert store.open_dues(session, session.scalar(select(Invoice.contract_id))) == []
        assert session.scalar(select(func.min(LedgerEntry.balance_after_cents))) == 0


def test_an_overdraft_the_contract_allows_lets_the_balance_go_negative(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session, sample_contract(overdraft_limit=200))
        add_rdvs(session, campaign, 5)  # 400 €
        record_transfer(session, CLIENT, Decimal(100), "VIR-0001", IN_W49)
        (invoice,) = run_week(session, CLIENT, W49, AFTER_W49).issued
        assert (invoice.prepaid_cents, invoice.due_cents, invoice.balance_after_cents) == (30000, 10000, -20000)


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "12,345", "1e3x"])
def test_a_transfer_amount_must_be_a_positive_amount_in_cents(text: str) -> None:
    with pytest.raises(ValueError, match="montant"):
        parse_amount(text)


def test_a_credit_note_cancels_what_its_invoice_still_had_due_before_refunding_the_package(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session)
        add_rdvs(session, campaign, 5)  # 400 €
        record_transfer(session, CLIENT, Decimal(300), "VIR-0001", IN_W49)
        (invoice,) = run_week(session, CLIENT, W49, AFTER_W49).issued
        assert (invoice.prepaid_cents, invoice.due_cents) == (30000, 10000)
        note = credit_invoice(session, invoice.number, "Erreur de tarif", AFTER_W49)
        assert note.document["cancels_due"] == "100.00" and note.document["prepaid"] == "300.00"
        contract_id = invoice.contract_id
        assert store.open_dues(session, contract_id) == [] and store.balance(session, contract_id) == Decimal(300)
