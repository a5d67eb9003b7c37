"""Which column of a lead file holds what: automatic from usual French and English headers, or `--map`.

Headers are compared without accents, case or punctuation (`Tél. fixe` = `tel fixe`), and a trailing
number is ignored (`Téléphone 2`, `Adresse 1`). Several columns may hold phones, and several the
address (joined); other columns mapped twice to one field, and every unmapped column, are kept as
custom fields under their own header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from leads.errors import InvalidMapping, NoPhoneColumn, UnknownColumn, UnknownField

SCALAR_FIELDS = (
    "external_ref", "civility", "last_name", "first_name", "company", "postcode", "city", "email",
    "consent_at", "consent_source", "consent_proof", "contract_exemption",
)
FIELDS = (*SCALAR_FIELDS, "phone", "address", "custom", "ignore")

ALIASES: dict[str, tuple[str, ...]] = {
    "phone": (
        "telephone", "tel", "phone", "fixe", "tel fixe", "telephone fixe", "ligne fixe", "tel domicile",
        "telephone domicile", "domicile", "portable", "tel portable", "telephone portable", "mobile",
        "tel mobile", "telephone mobile", "gsm", "tel gsm", "cellulaire", "numero", "numero de telephone",
        "num tel", "no tel", "n tel", "n de telephone", "no de telephone", "num de telephone", "numero tel",
        "phone number", "mobile phone", "cell", "cell phone", "landline", "home phone", "work phone",
        "tel bureau", "telephone bureau", "tel pro", "telephone professionnel", "tel perso",
        "telephone personnel", "portable perso", "mobile perso", "telephone principal", "tel principal",
        "phone", "telephone mobile", "mobile number", "telephone number",
    ),
    "civility": ("civilite", "civ", "titre", "title", "salutation", "genre", "mr mme", "m mme"),
    "last_name": (
        "nom", "nom de famille", "last name", "lastname", "surname", "family name", "name", "nom client",
        "nom du contact",
    ),
    "first_name": ("prenom", "first name", "firstname", "given name", "prenom client", "prenom du contact"),
    "company": (
        "societe", "raison sociale", "entreprise", "company", "company name", "organisation", "organization",
        "nom de la societe", "nom societe", "nom entreprise", "nom de l entreprise", "business name",
    ),
    "address": (
        "adresse", "adresse postale", "rue", "voie", "address", "street", "address line", "adresse ligne",
        "complement d adresse", "complement adresse", "complement", "lieu dit", "batiment", "numero et rue",
    ),
    "postcode": ("code postal", "cp", "postcode", "postal code", "zip", "zip code", "zipcode", "code postale",
                 "c p"),
    "city": ("ville", "commune", "localite", "city", "town", "locality"),
    "email": ("email", "e mail", "mail", "courriel", "adresse email", "adresse e mail", "adresse mail",
              "email address"),
    "external_ref": (
        "reference", "ref", "id", "identifiant", "code client", "numero client", "num client", "n client",
        "no client", "customer id", "client id", "external id", "id client", "ref client", "reference client",
    ),
    "consent_at": (
        "date de consentement", "date consentement", "date du consentement", "consent date", "consent at",
        "consented at", "date consent", "date opt in", "date optin", "optin date", "opt in date",
        "date d opt in",
    ),
    "consent_source": (
        "source du consentement", "source consentement", "source de consentement", "consent source",
        "source opt in", "source optin", "origine du consentement", "origine consentement",
        "canal de consentement", "canal consentement",
    ),
    "consent_proof": (
        "preuve", "preuve du consentement", "preuve consentement", "preuve de consentement",
        "reference de preuve", "reference preuve", "ref preuve", "consent proof", "proof", "proof reference",
        "proof of consent", "id preuve", "id de preuve",
    ),
    "contract_exemption": (
        "contrat en cours", "contrat", "client existant", "contract in progress", "contract",
        "existing customer", "existing contract", "exemption contrat", "contrat existant",
    ),
}


_KNOWN = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def header_key(text: str) -> str:
    """A header without accents, case, punctuation or a trailing number: `Tél. fixe 2` → `tel fixe`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).strip()
    return re.sub(r"\s*\d+$", "", words) or words


@dataclass
class ColumnMapping:
    """Column positions for each field of a lead; `custom` keeps (position, header) pairs."""

    headers: list[str]
    fields: dict[str, int] = field(default_factory=dict)
    phones: list[int] = field(default_factory=list)
    address: list[int] = field(default_factory=list)
    custom: list[tuple[int, str]] = field(default_factory=list)

    def describe(self) -> dict[str, str]:
        """Header → field, as shown in the quality report."""
        where: dict[int, str] = {i: name for name, i in self.fields.items()}
        where.update({i: "phone" for i in self.phones})
        where.update({i: "address" for i in self.address})
        where.update({i: "custom" for i, _ in self.custom})
        return {self.headers[i]: where.get(i, "ignore") for i in range(len(self.headers))}


def known_field(header: str) -> str | None:
    """The field a header names by its usual name (`Tél. portable` → phone), or None."""
    return _KNOWN.get(header_key(header))


def looks_like_header(cells: Sequence[str], explicit: dict[str, str] | None = None) -> bool:
    """Whether a row reads as a header: a phone column's name, or two names of known fields (or `--map`'s)."""
    named = {header_key(h) for h in (explicit or {})}
    known = [key for cell in cells if (key := header_key(cell)) and (key in _KNOWN or key in named)]
    return len(known) >= 2 or any(_KNOWN.get(key) == "phone" for key in known)


def parse_map_options(options: Iterable[str]) -> dict[str, str]:
    """`["Tel perso=phone", …]` → {header: field}; unknown fields name the valid ones."""
    explicit: dict[str, str] = {}
    for option in options:
        header, sep, name = option.rpartition("=")
        if not sep or not header.strip():
            raise InvalidMapping(option)
        name = name.strip().lower()
        if name not in FIELDS:
            raise UnknownField(name, FIELDS)
        explicit[header.strip()] = name
    return explicit


def resolve(filename: str, headers: Sequence[str], explicit: dict[str, str] | None = None) -> ColumnMapping:
    """The mapping of a file's headers: explicit choices first, then the usual names."""
    names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(headers)]
    names = _unique(names)
    keys = [header_key(h) for h in names]
    chosen: dict[int, str] = {}
    for header, name in (explicit or {}).items():
        wanted = header_key(header)
        matches = [i for i, h in enumerate(names) if h == header.strip()] or [
            i for i, key in enumerate(keys) if key == wanted
        ]
        if not matches:
            raise UnknownColumn(filename, header, names)
        chosen.update({i: name for i in matches})
    mapping = ColumnMapping(headers=names)
    for i, key in enumerate(keys):
        name = chosen.get(i) or _KNOWN.get(key) or "custom"
        if name == "phone":
            mapping.phones.append(i)
        elif name == "address":
            mapping.address.append(i)
        elif name == "ignore":
            continue
        elif name in SCALAR_FIELDS and name not in mapping.fields:
            mapping.fields[name] = i
        else:
            mapping.custom.append((i, names[i]))
    if not mapping.phones:
        raise NoPhoneColumn(filename, names)
    return mapping


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        unique.append(name if count == 1 else f"{name} ({count})")
    return unique
