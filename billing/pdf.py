"""The invoice as a PDF/A-3 (WeasyPrint) with its Factur-X XML embedded (`factur-x` library, EN 16931)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import facturx
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, PackageLoader, select_autoescape
from weasyprint import HTML

from billing.facturx_xml import invoice_xml
from billing.parties import Party
from config.i18n import BABEL_LOCALES, catalogue

_env = Environment(loader=PackageLoader("billing", "templates"), autoescape=select_autoescape(["html"]))


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    """The document's values formatted for the page (money as `1 234,50 €`, dates in words), in the language
    the document was issued in: its lines and mentions were worded then, the labels must match them."""
    currency, lang = doc["currency"], doc.get("lang", "fr")
    where = Locale.parse(BABEL_LOCALES.get(lang, "fr_FR"))
    _ = catalogue(lang).gettext

    def fmt_money(amount: Decimal, code: str) -> str:
        return format_currency(amount, code, locale=where)

    def fmt_date(day: date, style: str) -> str:
        return format_date(day, format=style, locale=where)

    def fmt_number(value: Decimal) -> str:
        return format_decimal(value, locale=where)

    def money(value: str | None) -> str:
        return fmt_money(Decimal(value), currency) if value is not None else ""

    seller, buyer = Party.from_json(doc["seller"]), Party.from_json(doc["buyer"])
    return {
        "doc": doc,
        "title": _("Invoice") if doc["kind"] == "invoice" else _("Credit note"),
        "seller": seller, "buyer": buyer,
        "seller_ids": [(_(label), value) for label, value in seller.labelled_ids()],
        "buyer_ids": [(_(label), value) for label, value in buyer.labelled_ids()],
        "issue_date": fmt_date(date.fromisoformat(doc["issue_date"]), "long"),
        "due_date": fmt_date(date.fromisoformat(doc["due_date"]), "long"),
        "period_text": " – ".join(fmt_date(date.fromisoformat(d), "medium") for d in doc["period"])
        if doc.get("period") else "",
        "corrects_date": fmt_date(date.fromisoformat(doc["corrects"]["issue_date"]), "long") if doc.get("corrects")
        else "",
        "lines": [{**line, "quantity_text": fmt_number(Decimal(line["quantity"])),
                   "unit_price_text": money(line["unit_price"]), "net_text": money(line["net"]),
                   "rate_text": fmt_number(Decimal(line["rate"]).normalize()) + " %"}
                  for line in doc["lines"]],
        "taxes": [{**tax, "basis_text": money(tax["basis"]), "amount_text": money(tax["amount"]),
                   "rate_text": fmt_number(Decimal(tax["rate"]).normalize()) + " %"} for tax in doc["taxes"]],
        "net_total": money(doc["net_total"]), "tax_total": money(doc["tax_total"]),
        "grand_total": money(doc["grand_total"]), "prepaid": money(doc["prepaid"]),
        "due": money(str(Decimal(doc["grand_total"]) - Decimal(doc["prepaid"]))),
        "has_prepaid": doc.get("balance_before") is not None,
        "cancels_due": money(doc["cancels_due"]) if Decimal(doc.get("cancels_due") or 0) else "",
        "balance_before": money(doc.get("balance_before")), "balance_after": money(doc.get("balance_after")),
        "overdrawn": doc.get("balance_after") is not None and Decimal(doc["balance_after"]) < 0,
        "line_tax": " + ".join(t["label"] for t in doc["taxes"]) if len(doc["taxes"]) > 1 else "",
        "account_label": "RIB" if doc["seller"]["country"] in ("FR", "MA") else _("Account"),
        "lang": lang, "_": _, "country": lambda code: where.territories.get(code, code),
    }


def invoice_html(doc: dict[str, Any]) -> str:
    return _env.get_template("invoice.html").render(**_view(doc))


def invoice_pdf(doc: dict[str, Any]) -> bytes:
    """The PDF/A-3b of the document; with the Factur-X XML attached when its tax regime allows EN 16931."""
    pdf = HTML(string=invoice_html(doc)).write_pdf(pdf_variant="pdf/a-3b")
    assert pdf is not None
    if not doc.get("factur_x", True):
        return pdf
    view = _view(doc)
    metadata = {
        "author": doc["seller"]["name"], "keywords": "Factur-X",
        "title": f"{doc['seller']['name']}: {doc['number']}",
        "subject": view["_"]("{title} {number} of {date}").format(title=view["title"], number=doc["number"],
                                                                  date=doc["issue_date"]),
    }
    return bytes(facturx.generate_from_binary(pdf, invoice_xml(doc), flavor="factur-x", level="en16931",
                                              check_xsd=True, pdf_metadata=metadata,
                                              lang="fr-FR" if view["lang"] == "fr" else "en-GB"))
