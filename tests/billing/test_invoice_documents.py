"""Invoices as documents: PDF/A-3 with Factur-X EN 16931 for each tax treatment, French mentions, Québec taxes."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from billing.facturx_xml import invoice_xml
from billing.pdf import invoice_pdf
from billing.services import credit_invoice, record_transfer, run_week
from billing.tax import REGIMES, breakdown, regime_for
from tests.billing.en16931 import NS, business_rule_failures, schematron_failures
from tests.billing.helpers import AFTER_W49, CLIENT, IN_W49, W49, add_rdvs, client_with_contract, sample_contract

FRENCH_SELLER = {"name": "Plateau Conseil SAS", "legal_form": "SAS", "capital": "50 000 €",
                 "address": "3 quai Perrache", "postcode": "69002", "city": "Lyon", "country": "FR",
                 "siren": "901234567", "siret": "90123456700018", "rcs": "Lyon B 901 234 567",
                 "vat_number": "FR12901234567", "bank": {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"},
                 "ice": "", "if": "", "rc": "", "patente": ""}
BUYERS = {
    "fr-domestic": {},
    "fr-reverse-charge": {"name": "Dachbau GmbH", "address": "Hauptstraße 5", "postcode": "10115",
                          "city": "Berlin", "country": "DE", "siren": "", "vat_number": "DE123456789"},
    "fr-export": {"name": "Roofing Inc.", "address": "5 Main Street", "postcode": "10001", "city": "New York",
                  "country": "US", "siren": "", "vat_number": ""},
}


def _contract(name: str) -> dict[str, Any]:
    raw = sample_contract()
    if name != "ma-export":
        raw["seller"] = FRENCH_SELLER
        raw["buyer"].update(BUYERS[name])
    return raw


def _issue(sessions: sessionmaker[Session], regime_name: str) -> dict[str, Any]:
    with sessions.begin() as session:
        _client, campaign = client_with_contract(session, _contract(regime_name))
        add_rdvs(session, campaign, 3)
        add_rdvs(session, campaign, 9, conform=False)
        record_transfer(session, CLIENT, Decimal(1000), "VIR-0001", IN_W49)
        (invoice,) = run_week(session, CLIENT, W49, AFTER_W49).issued
        assert invoice.document["regime"] == regime_name
        return invoice.document


def test_the_tax_treatment_follows_who_invoices_whom() -> None:
    assert regime_for("FR", "FR").name == "fr-domestic"
    assert regime_for("FR", "DE").name == "fr-reverse-charge"
    assert regime_for("FR", "US").name == "fr-export"
    assert regime_for("MA", "FR").name == "ma-export"
    assert regime_for("CA", "CA").name == "qc"


def test_quebec_bills_gst_and_qst_each_rounded_once_on_the_total() -> None:
    gst, qst = breakdown([Decimal("699.95"), Decimal("299.90")], REGIMES["qc"])
    assert (gst.tax.label, gst.basis, gst.amount) == ("GST", Decimal("999.85"), Decimal("49.99"))
    assert (qst.tax.label, qst.amount) == ("QST", Decimal("99.74"))  # 9,975 % of 999,85 = 99,735 → 99,74
    assert REGIMES["qc"].factur_x is False


@pytest.mark.parametrize("regime_name", ["ma-export", "fr-domestic", "fr-reverse-charge", "fr-export"])
def test_each_invoice_is_a_factur_x_pdf_that_the_en16931_rules_accept(
        sessions: sessionmaker[Session], regime_name: str) -> None:
    document = _issue(sessions, regime_name)
    xml = invoice_xml(document)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron_failures(xml) == []
    assert business_rule_failures(xml) == []
    pdf = invoice_pdf(document)
    name, embedded = facturx.get_xml_from_pdf(pdf)
    assert name == "factur-x.xml" and embedded == xml
    metadata = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", metadata) and re.search(r"pdfaid:conformance(>|=\")B", metadata)
    root = etree.fromstring(embedded)
    assert root.xpath("string(//ram:TypeCode)", namespaces=NS) == "380"
    assert root.xpath("string(//ram:DuePayableAmount)", namespaces=NS) == "0.00"  # paid from the package


def test_the_checks_catch_a_total_that_does_not_add_up(sessions: sessionmaker[Session]) -> None:
    document = _issue(sessions, "fr-domestic")
    broken = invoice_xml({**document, "grand_total": str(Decimal(document["grand_total"]) + 1)})
    assert "BR-CO-15" in business_rule_failures(broken)
    assert any(failure.startswith("BR-CO-15") for failure in schematron_failures(broken))


def test_a_credit_note_is_type_381_and_refers_to_its_invoice(sessions: sessionmaker[Session]) -> None:
    document = _issue(sessions, "fr-domestic")
    with sessions.begin() as session:
        note = credit_invoice(session, document["number"], "Erreur de tarif", AFTER_W49).document
    xml = invoice_xml(note)
    assert schematron_failures(xml) == [] and business_rule_failures(xml) == []
    root = etree.fromstring(xml)
    assert root.xpath("string(//rsm:ExchangedDocument/ram:TypeCode)", namespaces=NS) == "381"
    assert root.xpath("string(//ram:InvoiceReferencedDocument/ram:IssuerAssignedID)", namespaces=NS) == \
        document["number"]


def test_a_french_business_invoice_carries_the_mandatory_mentions(sessions: sessionmaker[Session]) -> None:
    document = _issue(sessions, "fr-domestic")
    text = "\n".join(document["mentions"])
    assert "prestations de services" in text
    assert "Pénalités de retard : taux de la Banque centrale européenne majoré de 10 points" in text
    assert "40,00\xa0€" in text and "L. 441-10" in text
    assert "Pas d'escompte pour paiement anticipé" in text
    assert "Date d'échéance du paiement : 6 janvier 2027" in text
    assert document["buyer"]["ids"]["siren"] == "812345678"
    assert [t["rate"] for t in document["taxes"]] == ["20.00"]
    assert document["grand_total"] == "480.00"  # 5 RDVs (minimum of 12) at 80 € + 20 % VAT
    reverse = _contract("fr-reverse-charge")
    assert reverse["buyer"]["vat_number"]


def test_reverse_charge_without_the_buyers_vat_number_is_refused(sessions: sessionmaker[Session]) -> None:
    raw = _contract("fr-reverse-charge")
    raw["buyer"]["vat_number"] = ""
    with sessions.begin() as session, pytest.raises(ValueError, match="TVA intracommunautaire"):
        client_with_contract(session, raw)


def test_an_invoice_reads_in_the_language_it_was_issued_in(sessions: sessionmaker[Session],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    french = _issue(sessions, "fr-domestic")
    monkeypatch.setenv("RDV_LANG", "en")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice_pdf(french))).pages)
    assert "Facture" in text and "Net à payer" in text and "Amount due" not in text
    english = {**french, "lang": "en"}
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice_pdf(english))).pages)
    assert "Invoice" in text and "Amount due" in text and "€480.00" in text
