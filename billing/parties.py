"""Who invoices whom, as data: the seller and buyer of a contract, with their identifiers per country."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from config.i18n import _

# Identifiers a seller must show, per country of establishment (labels are msgids).
SELLER_IDS: dict[str, tuple[tuple[str, str], ...]] = {
    "FR": (("siren", "SIREN"), ("siret", "SIRET"), ("rcs", "RCS"), ("vat_number", "VAT number")),
    "MA": (("ice", "ICE"), ("if", "IF (tax identifier)"), ("rc", "RC (trade register)"),
           ("patente", "Patente"), ("vat_number", "VAT number")),
    "CA": (("neq", "NEQ"), ("gst_number", "GST number"), ("qst_number", "QST number")),
}
REQUIRED_SELLER_IDS = {"FR": ("siren", "vat_number"), "MA": ("ice", "if", "rc"),
                       "CA": ("neq", "gst_number", "qst_number")}


class InvalidParty(ValueError):
    """A seller or buyer in a contract file that lacks what an invoice must show."""

    def __init__(self, role: str, field_name: str) -> None:
        super().__init__(_("Contract, {role}: {field} is missing").format(role=role, field=field_name))


@dataclass(frozen=True)
class Party:
    """A legal person on an invoice: name, address, country, identifiers, and (for a seller) bank details."""

    name: str
    address: str
    postcode: str
    city: str
    country: str
    ids: dict[str, str] = field(default_factory=dict)
    email: str = ""
    bank: dict[str, str] = field(default_factory=dict)
    is_business: bool = True
    legal_form: str = ""
    capital: str = ""
    vat_on_debits: bool = False  # a French seller's option to pay VAT on debits (a mention on its invoices)

    def id(self, key: str) -> str:
        return self.ids.get(key, "").strip()

    @property
    def vat_number(self) -> str:
        return self.id("vat_number")

    @property
    def siren(self) -> str:
        return self.id("siren")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Party:
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})

    def labelled_ids(self) -> list[tuple[str, str]]:
        """The identifiers to print, labelled for this party's country, in the usual order."""
        known = SELLER_IDS.get(self.country, ())
        shown = [(label, self.id(key)) for key, label in known if self.id(key)]
        listed = {key for key, _label in known}
        shown += [(key.upper(), value) for key, value in self.ids.items() if key not in listed and value]
        return shown


_ID_KEYS = ("siren", "siret", "rcs", "vat_number", "ice", "if", "rc", "patente", "neq", "gst_number", "qst_number")


def party_from_mapping(raw: Mapping[str, Any], role: str, defaults: Mapping[str, str] | None = None) -> Party:
    """A party of a contract file; `defaults` fills what the client record already holds."""
    merged = {**(defaults or {}), **{k: v for k, v in raw.items() if v not in (None, "")}}
    for name in ("name", "address", "postcode", "city", "country"):
        if not str(merged.get(name, "")).strip():
            raise InvalidParty(role, name)
    country = str(merged["country"]).strip().upper()
    ids = {key: str(merged[key]).strip() for key in _ID_KEYS if str(merged.get(key, "")).strip()}
    if role == "seller":
        for key in REQUIRED_SELLER_IDS.get(country, ()):
            if key not in ids:
                raise InvalidParty(role, key)
        bank = {str(k): str(v) for k, v in dict(merged.get("bank", {})).items()}
        if not (bank.get("iban") or bank.get("rib")):
            raise InvalidParty(role, "bank.iban")
    else:
        bank = {}
    return Party(
        name=str(merged["name"]).strip(), address=str(merged["address"]).strip(),
        postcode=str(merged["postcode"]).strip(), city=str(merged["city"]).strip(), country=country, ids=ids,
        email=str(merged.get("email", "")).strip(), bank=bank, is_business=bool(merged.get("is_business", True)),
        legal_form=str(merged.get("legal_form", "")).strip(), capital=str(merged.get("capital", "")).strip(),
        vat_on_debits=bool(merged.get("vat_on_debits", False)),
    )
