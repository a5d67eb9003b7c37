"""A file of consent records (`rdv consent import FILE`): one row per consent, naming the lead by id or phone.

Columns are found by their headers, in French or English: the lead (see `leads.consent_targets`), the date,
the source, the proof, and optionally the text shown, the kind (formulaire, partenaire, contrat), the products
the consent covers, its expiry, and whether it allows calls outside the legal hours. Every row is checked
before anything is stored: one bad row is named with the others, and nothing is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from config.i18n import _
from leads.columns import ALIASES, header_key
from leads.consent_store import Grant
from leads.consent_targets import Wanted, target_column, target_of
from leads.reader import open_source
from leads.rows import parse_date

COLUMNS: dict[str, set[str]] = {
    "given_at": {header_key(a) for a in ALIASES["consent_at"]} | {"date"},
    "source": {header_key(a) for a in ALIASES["consent_source"]} | {"source", "origine", "canal"},
    "proof": {header_key(a) for a in ALIASES["consent_proof"]},
    "text": {"texte", "texte affiche", "texte du consentement", "mention", "mentions", "consent text", "text",
             "text shown"},
    "kind": {"type", "type de consentement", "nature", "kind", "consent kind"},
    "products": {"produits", "produit", "perimetre", "products", "product", "scope"},
    "expires_at": {"expiration", "date d expiration", "date expiration", "expire le", "valable jusqu au",
                   "expires", "expiry", "expires at"},
    "hours_exempt": {"hors horaires", "hors heures legales", "appel hors horaires", "outside hours",
                     "any time", "tout horaire"},
}
KIND_WORDS = {"formulaire": "form", "form": "form", "": "form", "partenaire": "partner", "partner": "partner",
              "contrat": "contract", "contrat en cours": "contract", "contract": "contract"}
YES = {"oui", "o", "yes", "y", "1", "x", "vrai", "true"}
NO = {"non", "n", "no", "0", "faux", "false", ""}


@dataclass
class ConsentLine:
    """One row: the lead it names, the consent it records, and what is wrong with it."""

    wanted: Wanted
    grant: Grant | None = None
    problems: list[str] = field(default_factory=list)


def read_consent_file(path: Path, region: str, zone: str, now: datetime) -> list[ConsentLine]:
    """Every row of the file, checked; a date without a time is midnight in `zone` (the campaign's)."""
    source = open_source(path)
    target = target_column(path, source.headers)
    keys = [header_key(h) for h in source.headers]
    at = {name: next((i for i, key in enumerate(keys) if key in aliases), None) for name, aliases in COLUMNS.items()}
    lines = []
    for number, cells in source.rows():
        where = _("{file} row {row}").format(file=path.name, row=number)
        line = ConsentLine(target_of(cells, target, where, region))
        values = {name: (cells[i].strip() if i is not None and i < len(cells) else "") for name, i in at.items()}
        line.grant = _grant(values, zone, now, line.problems)
        lines.append(line)
    return lines


def _grant(values: dict[str, str], zone: str, now: datetime, problems: list[str]) -> Grant | None:
    kind = KIND_WORDS.get(header_key(values["kind"]))
    if kind is None:
        problems.append(_("kind '{value}' is none of formulaire, partenaire, contrat").format(value=values["kind"]))
    given = _moment(values["given_at"], _("date"), zone, problems)
    if given is not None and given > now:
        problems.append(_("the consent date is in the future"))
    if kind != "contract":
        for name, label in (("given_at", _("date")), ("source", _("source")), ("proof", _("proof"))):
            if not values[name]:
                problems.append(_("no {what}: a consent needs a date, a source and a proof").format(what=label))
    expires = _moment(values["expires_at"], _("expiry"), zone, problems)
    if expires is not None and given is not None and expires <= given:
        problems.append(_("the expiry is not after the consent date"))
    hours = header_key(values["hours_exempt"])
    if hours not in YES | NO:
        problems.append(_("outside hours: '{value}' is neither oui nor non").format(value=values["hours_exempt"]))
    if problems or kind is None:
        return None
    return Grant(given, values["source"], values["proof"], values["text"], kind, values["products"],
                 expires, hours in YES)


def _moment(raw: str, label: str, zone: str, problems: list[str]) -> datetime | None:
    if not raw:
        return None
    parsed = parse_date(raw)
    if parsed is None:
        problems.append(_("{what}: unreadable date '{value}'").format(what=label, value=raw))
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))).astimezone(UTC)
