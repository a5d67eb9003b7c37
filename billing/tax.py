"""Who invoices whom decides the taxes: regimes as data, with the mentions each one requires.

The regime is chosen from the seller's and the buyer's countries (and whether the buyer is a business);
a contract may name one explicitly. Tax is computed per category on the sum of the lines' net amounts
and rounded there, half up, once (EN 16931 BR-CO-17).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from billing.money import to_cents
from config.i18n import _

EU = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())


class UnknownRegime(ValueError):
    """A tax regime name that billing does not know."""

    def __init__(self, name: str) -> None:
        super().__init__(_("Unknown tax regime: {name} (known: {known})").format(name=name, known=", ".join(REGIMES)))


class MissingIdentifier(ValueError):
    """A party lacks an identifier that its tax regime makes compulsory on the invoice."""

    def __init__(self, party: str, identifier: str) -> None:
        super().__init__(_("The {party} needs its {identifier} on the invoice").format(party=party,
                                                                                     identifier=identifier))


@dataclass(frozen=True)
class Tax:
    """One tax applied to every line: its scheme (VAT, or GST/QST in Québec), EN 16931 category and rate."""

    scheme: str
    category: str
    rate: Decimal  # percent
    label: str  # msgid: "TVA", "TPS", "TVQ"
    exemption_code: str = ""
    exemption_reason: str = ""  # msgid


@dataclass(frozen=True)
class Regime:
    """A tax treatment: its taxes, the mentions it needs, and whether the buyer's VAT number is compulsory."""

    name: str
    taxes: tuple[Tax, ...]
    mentions: tuple[str, ...] = ()  # msgids
    needs_buyer_vat: bool = False
    needs_seller_vat: bool = True
    # Factur-X carries EN 16931 VAT only; Québec's two taxes go on a PDF without it.
    factur_x: bool = True


REGIMES = {
    "fr-domestic": Regime("fr-domestic", (Tax("VAT", "S", Decimal("20.00"), "VAT"),)),
    "fr-reverse-charge": Regime(
        "fr-reverse-charge",
        (Tax("VAT", "AE", Decimal("0.00"), "VAT", "VATEX-EU-AE", "Reverse charge"),),
        ("Autoliquidation: VAT due by the buyer, article 283-2 of the French tax code (CGI) and article 196 "
         "of directive 2006/112/EC",), needs_buyer_vat=True),
    "fr-export": Regime(
        "fr-export",
        (Tax("VAT", "G", Decimal("0.00"), "VAT", "VATEX-EU-G",
             "VAT not applicable, article 259-1 of the French tax code (CGI): services to a business "
             "established outside the European Union"),)),
    # Seed 001: a Moroccan call centre billing a French company; the French buyer accounts for French VAT.
    "ma-export": Regime(
        "ma-export",
        (Tax("VAT", "G", Decimal("0.00"), "VAT", "VATEX-EU-G",
             "Exempt from VAT, article 92-I-1° of the Moroccan tax code: services exported"),),
        ("Self-assessment of French VAT by the buyer, article 283-1 of the French tax code (CGI)",)),
    # Seed 000: a Québec provider billing a Québec client, "taxes en sus".
    "qc": Regime("qc", (Tax("GST", "S", Decimal("5.000"), "GST"), Tax("QST", "S", Decimal("9.975"), "QST")),
                 factur_x=False),
}


def regime(name: str) -> Regime:
    try:
        return REGIMES[name]
    except KeyError:
        raise UnknownRegime(name) from None


def regime_for(seller_country: str, buyer_country: str, buyer_is_business: bool = True) -> Regime:
    """The default treatment for a seller and buyer country pair."""
    seller, buyer = seller_country.upper(), buyer_country.upper()
    if seller == "CA":
        return REGIMES["qc"]
    if seller == "MA":
        return REGIMES["ma-export"]
    if seller == "FR" and (buyer == "FR" or not buyer_is_business):
        return REGIMES["fr-domestic"]
    if seller == "FR" and buyer in EU:
        return REGIMES["fr-reverse-charge"]
    return REGIMES["fr-export"]


@dataclass(frozen=True)
class TaxLine:
    """One line of the tax breakdown: a tax, the base it applies to, and its amount."""

    tax: Tax
    basis: Decimal
    amount: Decimal


def breakdown(net_amounts: Iterable[Decimal], chosen: Regime) -> list[TaxLine]:
    """Each tax of the regime on the sum of the lines' net amounts, rounded once at that sum."""
    basis = sum(net_amounts, Decimal(0))
    return [TaxLine(tax, to_cents(basis), to_cents(basis * tax.rate / 100)) for tax in chosen.taxes]
