"""The Factur-X XML (UN/CEFACT CII, profile EN 16931) of a stored invoice document.

Element order follows the CII schema; amounts come from the document, which computed them once, so the
XML and the PDF cannot disagree. The French CIUS asks for the buyer's SIREN (scheme 0002).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"
UNIT = "C62"  # one (a unit of service)


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        node.text = text
    return node


def _date(parent: etree._Element, tag: str, day: str, ns: str = "udt") -> None:
    holder = _el(parent, tag)
    _el(holder, f"{ns}:DateTimeString", date.fromisoformat(day).strftime("%Y%m%d"), format="102")


def _amount(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def _party(parent: etree._Element, tag: str, party: dict[str, Any]) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", party["name"])
    ids = party.get("ids", {})
    legal = ids.get("siren") or ids.get("ice") or ids.get("neq")
    if legal:
        _el(_el(node, "ram:SpecifiedLegalOrganization"), "ram:ID", legal,
            **({"schemeID": "0002"} if ids.get("siren") else {}))
    address = _el(node, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", party["postcode"])
    _el(address, "ram:LineOne", party["address"])
    _el(address, "ram:CityName", party["city"])
    _el(address, "ram:CountryID", party["country"])
    if party.get("email"):
        _el(_el(node, "ram:URIUniversalCommunication"), "ram:URIID", party["email"], schemeID="EM")
    if ids.get("vat_number"):
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", ids["vat_number"], schemeID="VA")
    elif ids.get("if"):
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", ids["if"], schemeID="FC")


def _line(parent: etree._Element, line: dict[str, Any], period: list[str] | None) -> None:
    item = _el(parent, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line["id"]))
    product = _el(item, "ram:SpecifiedTradeProduct")
    _el(product, "ram:Name", line["name"])
    if line.get("description"):
        _el(product, "ram:Description", line["description"])
    price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", str(Decimal(line["unit_price"]).quantize(Decimal("0.01"))))
    _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", line["quantity"], unitCode=UNIT)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", line["category"])
    _el(tax, "ram:RateApplicablePercent", _amount(line["rate"]))
    if period:
        _period(settlement, period)
    _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
        _amount(line["net"]))


def _period(parent: etree._Element, period: list[str]) -> None:
    node = _el(parent, "ram:BillingSpecifiedPeriod")
    _date(node, "ram:StartDateTime", period[0])
    _date(node, "ram:EndDateTime", period[1])


def _settlement(parent: etree._Element, doc: dict[str, Any]) -> None:
    node = _el(parent, "ram:ApplicableHeaderTradeSettlement")
    _el(node, "ram:PaymentReference", doc["number"])
    _el(node, "ram:InvoiceCurrencyCode", doc["currency"])
    bank = doc["seller"].get("bank", {})
    means = _el(node, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", "58" if bank.get("iban") else "30")
    account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
    if bank.get("iban"):
        _el(account, "ram:IBANID", bank["iban"].replace(" ", ""))
    else:
        _el(account, "ram:ProprietaryID", bank["rib"].replace(" ", ""))
    if bank.get("bic"):
        _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", bank["bic"])
    for tax in doc["taxes"]:
        trade_tax = _el(node, "ram:ApplicableTradeTax")
        _el(trade_tax, "ram:CalculatedAmount", _amount(tax["amount"]))
        _el(trade_tax, "ram:TypeCode", "VAT")
        if tax["exemption_reason"]:
            _el(trade_tax, "ram:ExemptionReason", tax["exemption_reason"])
        _el(trade_tax, "ram:BasisAmount", _amount(tax["basis"]))
        _el(trade_tax, "ram:CategoryCode", tax["category"])
        if tax["exemption_code"]:
            _el(trade_tax, "ram:ExemptionReasonCode", tax["exemption_code"])
        if tax["category"] == "S":
            _el(trade_tax, "ram:DueDateTypeCode", "72")  # services: VAT due on payment unless opted for debits
        _el(trade_tax, "ram:RateApplicablePercent", _amount(tax["rate"]))
    if doc.get("period"):
        _period(node, doc["period"])
    terms = _el(node, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", " ".join(m for m in doc["mentions"] if "%" in m or "€" in m) or doc["number"])
    _date(terms, "ram:DueDateDateTime", doc["due_date"])
    totals = _el(node, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(doc["net_total"]))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(doc["net_total"]))
    _el(totals, "ram:TaxTotalAmount", _amount(doc["tax_total"]), currencyID=doc["currency"])
    _el(totals, "ram:GrandTotalAmount", _amount(doc["grand_total"]))
    # A credit note is settled at once: against what its invoice still had due, the rest back to the package.
    prepaid = doc["grand_total"] if doc["type_code"] == "381" else doc["prepaid"]
    _el(totals, "ram:TotalPrepaidAmount", _amount(prepaid))
    _el(totals, "ram:DuePayableAmount", _amount(str(Decimal(doc["grand_total"]) - Decimal(prepaid))))
    if doc.get("corrects"):
        ref = _el(node, "ram:InvoiceReferencedDocument")
        _el(ref, "ram:IssuerAssignedID", doc["corrects"]["number"])
        _date(ref, "ram:FormattedIssueDateTime", doc["corrects"]["issue_date"], ns="qdt")


def invoice_xml(doc: dict[str, Any]) -> bytes:
    """The CII XML of a stored document, UTF-8 with its declaration."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", doc["number"])
    _el(header, "ram:TypeCode", doc["type_code"])
    _date(header, "ram:IssueDateTime", doc["issue_date"])
    for mention in doc["mentions"] + ([doc["reason"]] if doc.get("reason") else []):
        _el(_el(header, "ram:IncludedNote"), "ram:Content", mention)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc["lines"]:
        _line(transaction, line, doc.get("period"))
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", doc["buyer"]["ids"].get("siren") or doc["buyer"]["name"])
    _party(agreement, "ram:SellerTradeParty", doc["seller"])
    _party(agreement, "ram:BuyerTradeParty", doc["buyer"])
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if doc.get("period"):
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", doc["period"][1])
    _settlement(transaction, doc)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
