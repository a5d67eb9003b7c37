"""Plans billed by month from the calls: Québec agent-hours with GST and QST, French minutes with a cap."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from billing import store
from billing.facturx_xml import invoice_xml
from billing.pdf import invoice_pdf
from billing.periods import LoggedHoursUnknown, bill_period, month_bounds
from billing.services import credit_invoice
from campaigns.models import Attempt, Campaign
from config.clock import ManualClock
from rdv.jobs import MailContext, monthly_billing_job
from rdv.scheduler import JobRunner
from reports.mailer import FolderTransport
from tests.billing.en16931 import business_rule_failures, schematron_failures
from tests.billing.helpers import client_with_contract, sample_contract
from tests.billing.test_invoice_documents import FRENCH_SELLER
from tests.campaigns.factories import leads

DECEMBER = month_bounds("2026-12")
AFTER = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
_ids = count(1)
QUEBEC_SELLER = {"name": "Centre d'appels Laurentides inc.", "address": "1200 boulevard René-Lévesque Ouest",
                 "postcode": "H3B 4W8", "city": "Montréal", "country": "CA", "neq": "1171234567",
                 "gst_number": "123456789 RT0001", "qst_number": "1234567890 TQ0001",
                 "bank": {"bank": "Caisse Desjardins", "rib": "815 30012 1234567"}}
QUEBEC_BUYER = {"name": "Toitures Boréal inc.", "address": "45 rue Saint-Paul", "postcode": "G1K 3V8",
                "city": "Québec", "country": "CA", "siren": "", "vat_number": ""}


def _contract(seller: dict[str, Any], buyer: dict[str, Any], pricing: dict[str, Any], **plan: Any) -> dict[str, Any]:
    raw = sample_contract(prepaid=False, **plan)
    raw["seller"], raw["pricing"] = seller, None
    raw["buyer"].update(buyer)
    raw["plan"]["pricing"] = pricing
    raw["timezone"] = "America/Toronto" if seller["country"] == "CA" else "Europe/Paris"
    return raw


def _calls(session: Session, campaign: Campaign, agent: str, durations: list[tuple[int, int]]) -> None:
    for lead, (talk, wrap) in zip(leads(session, campaign.id, len(durations), start=next(_ids) * 1000), durations,
                                  strict=True):
        session.add(Attempt(campaign_id=campaign.id, lead_id=lead.id, attempt_no=1, phone_e164=lead.phone_e164,
                            callee_tz="Europe/Paris", action_id=f"a-{next(_ids)}", outcome="connected",
                            connected_at=datetime(2026, 12, 8, 15, tzinfo=UTC), talk_s=talk, wrap_s=wrap,
                            agent=agent))
    session.flush()


def test_a_quebec_month_of_agent_hours_bills_the_minimum_the_opening_fee_gst_and_qst(
        sessions: sessionmaker[Session]) -> None:
    raw = _contract(QUEBEC_SELLER, QUEBEC_BUYER, {"kind": "hourly", "rate": "9.00", "minimum_hours": 15,
                                                  "counts": "productive"},
                    currency="CAD", penalty_rate_per_day="0.005", fees={"opening": "199.95"})
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session, raw, name="Toitures Boréal")
        _calls(session, campaign, "a1", [(3 * 3600, 1800), (1800, 60)])  # 4 h 01 → 4 h 15
        _calls(session, campaign, "a2", [(6 * 3600 - 300, 300)])  # 6 h
        invoice = bill_period(session, "Toitures Boréal", *DECEMBER, AFTER)
        assert invoice is not None and bill_period(session, "Toitures Boréal", *DECEMBER, AFTER) is None
        doc = invoice.document
    assert [(line["quantity"], line["net"]) for line in doc["lines"]] == [
        ("10.25", "92.25"), ("4.75", "42.75"), ("1", "199.95")]
    assert [(t["label"], t["rate"], t["amount"]) for t in doc["taxes"]] == [
        ("TPS", "5.000", "16.75"), ("TVQ", "9.975", "33.41")]
    assert (doc["net_total"], doc["grand_total"], doc["week"]) == ("334.95", "385.11", "2026-12-01/2026-12-31")
    assert "Pénalités de retard : 0,5\xa0% du montant dû par jour de retard." in doc["mentions"]
    assert not any("L. 441-10" in m or "prestations de services" in m for m in doc["mentions"])  # French law
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice_pdf(doc))).pages)
    assert "TPS" in text and "TVQ" in text and "NEQ" in text and "385,11" in text
    with sessions.begin() as session:
        note = credit_invoice(session, invoice.number, "Heures contestées", AFTER)
        assert (note.number, note.week, note.total_cents) == ("AV-2027-00001", "2026-12-01/2026-12-31", 38511)
        again = bill_period(session, "Toitures Boréal", *DECEMBER, AFTER)  # cancelled, then issued afresh
        assert again is not None and again.number == "F-2027-00002"
        assert bill_period(session, "Toitures Boréal", *DECEMBER, AFTER) is None


def test_minutes_with_a_cap_make_a_factur_x_invoice_the_en16931_rules_accept(sessions: sessionmaker[Session]) -> None:
    raw = _contract(FRENCH_SELLER, {}, {"kind": "usage", "unit": "minute", "increment_seconds": 30,
                                        "tiers": [{"upto": 100, "price": "0.50"}, {"price": "0.40"}],
                                        "cap": "60.00"})
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session, raw)
        _calls(session, campaign, "a1", [(600, 30)] * 20)  # 200 minutes: 90 € before the cap
        invoice = bill_period(session, "Charpentes Martin", *DECEMBER, AFTER)
        assert invoice is not None
    doc = invoice.document
    assert doc["net_total"] == "60.00" and doc["lines"][-1]["quantity"] == "-1"
    xml = invoice_xml(doc)
    assert schematron_failures(xml) == [] and business_rule_failures(xml) == []


def test_logged_in_hours_are_refused_with_a_clear_reason(sessions: sessionmaker[Session]) -> None:
    raw = _contract(FRENCH_SELLER, {}, {"kind": "hourly", "rate": "9.00"})
    with sessions.begin() as session:
        client_with_contract(session, raw)
        with pytest.raises(LoggedHoursUnknown, match="heures de connexion"):
            bill_period(session, "Charpentes Martin", *DECEMBER, AFTER)


def test_a_month_is_written_as_year_and_month() -> None:
    assert month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_bounds("2026-12")[1] - timedelta(days=30) == date(2026, 12, 1)
    with pytest.raises(ValueError, match="Mois invalide"):
        month_bounds("décembre")


def test_the_first_of_the_month_bills_the_month_just_ended(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    raw = _contract(QUEBEC_SELLER, QUEBEC_BUYER, {"kind": "hourly", "rate": "9.00", "counts": "productive"},
                    currency="CAD")
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session, raw, name="Toitures Boréal")
        _calls(session, campaign, "a1", [(3600, 0)])
    start = datetime(2026, 12, 20, tzinfo=UTC)
    clock = ManualClock(start)
    ctx = MailContext(sessions, clock, "facturation@laurentides.example", FolderTransport(tmp_path), "Europe/Paris")
    runner = JobRunner(sessions, [monthly_billing_job(ctx)])
    runner.register(start)
    clock.advance(timedelta(days=12).total_seconds())  # 1 January, 01:00 in Paris: not yet
    assert runner.run_due(clock.now()) == []
    clock.advance(timedelta(hours=6).total_seconds())
    assert [job for job, _fire in runner.run_due(clock.now())] == ["monthly_billing"]
    with sessions() as session:
        (invoice,) = store.list_invoices(session)
        assert (invoice.week, invoice.net_cents) == ("2026-12-01/2026-12-31", 900)
    assert [p.name.split("-")[0] for p in tmp_path.glob("*.eml")] == ["invoice"]
