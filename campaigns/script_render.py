"""The call script as the agent reads it: step by step, with the lead's fields put in its `{placeholders}`.

Pure. A placeholder the lead does not fill (an empty cell, a field the file never had, a visit not yet
chosen) becomes a piece marked missing, which the screen shows as a neutral marker: never a crash, never
raw braces. Pieces keep the field's name, so the screen can fill `{date}` once the agent picks a slot.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from campaigns.appointment_rules import TimeSlot
from campaigns.script import CallScript
from config.i18n import _, fmt_date, fmt_time
from leads.places import place_of

# `{name}`; `{{` and `}}` stay literal braces, the way str.format reads them.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


class LeadLike(Protocol):
    """What the script reads of a lead (a `leads.models.Lead` row has these attributes)."""

    civility: str
    first_name: str
    last_name: str
    company: str
    address: str
    postcode: str
    city: str
    email: str

    @property
    def custom(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Piece:
    """A run of script text; `field` names the placeholder it came from ("" for the script's own words)."""

    text: str
    field: str = ""
    missing: bool = False


Paragraph = tuple[Piece, ...]


@dataclass(frozen=True)
class Step:
    """One step of the call: greeting, pitch, one objection with its answer, or closing."""

    kind: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    # For an objection, what the prospect says (the answer is in `paragraphs`).
    prompt: tuple[Paragraph, ...] = ()


def field_key(name: str) -> str:
    """A field name as placeholders write it: `Année de construction` → `annee_de_construction`."""
    bare = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", bare.lower()).strip("_")


def lead_fields(lead: LeadLike, *, agent: str = "", client: str = "", slot: TimeSlot | None = None) -> dict[str, str]:
    """Every value a script may name, in French and English spellings, custom fields of the file included."""
    place = place_of(lead.postcode)
    full_address = " ".join(p for p in (lead.address + ",", lead.postcode, lead.city) if p.strip(", "))
    values: dict[str, str] = {}
    for key, value in dict(lead.custom or {}).items():
        values[field_key(str(key))] = "" if value is None else str(value)
    named = {
        ("civilite", "civility"): lead.civility,
        ("nom", "last_name"): lead.last_name,
        ("prenom", "first_name"): lead.first_name,
        ("nom_complet", "full_name"): " ".join(p for p in (lead.civility, lead.first_name, lead.last_name) if p),
        ("societe", "company"): lead.company,
        ("rue", "street"): lead.address,
        ("adresse", "address"): full_address.strip(", "),
        ("code_postal", "postcode"): lead.postcode,
        ("ville", "city"): lead.city,
        ("departement", "department"): place.departement if place else "",
        ("email", "e_mail"): lead.email,
        ("agent", "teleoperateur"): agent,
        ("client", "entreprise"): client,
    }
    if slot is not None:
        named.update({
            ("date", "visit_date"): fmt_date(slot.start.date()),
            ("heure_debut", "start_time"): fmt_time(slot.start),
            ("heure_fin", "end_time"): fmt_time(slot.end),
        })
    for keys, value in named.items():
        for key in keys:
            values[key] = (value or "").strip()
    return values


def fill(text: str, fields: Mapping[str, str]) -> tuple[Paragraph, ...]:
    """Paragraphs of `text` (blank-line separated) with each placeholder replaced or marked missing."""
    return tuple(_fill_paragraph(p, fields) for p in text.split("\n\n") if p.strip())


def _fill_paragraph(text: str, fields: Mapping[str, str]) -> Paragraph:
    pieces: list[Piece] = []
    plain: list[str] = []
    at = 0
    for match in _PLACEHOLDER.finditer(text):
        plain.append(text[at:match.start()])
        at = match.end()
        token = match.group(0)
        if token in {"{{", "}}"}:
            plain.append(token[0])
            continue
        name = (match.group(1) or "").strip()
        key = field_key(name)
        value = fields.get(key, "")
        if plain:
            pieces.append(Piece("".join(plain)))
            plain = []
        pieces.append(Piece(value, key) if value else Piece(missing_marker(name), key or name, missing=True))
    plain.append(text[at:])
    if "".join(plain):
        pieces.append(Piece("".join(plain)))
    return tuple(pieces)


def missing_marker(name: str) -> str:
    """What stands for a field the lead does not fill: its name between neutral brackets, `[nom ?]`."""
    shown = name.replace("_", " ").strip() or _("field")
    return _("[{field}?]").format(field=shown)


def render_script(script: CallScript, fields: Mapping[str, str], recorded: bool = False) -> tuple[Step, ...]:
    """The script's steps in the order of the call, each with the lead's fields put in; a recorded campaign's
    notice to the prospect comes right after the greeting."""
    steps = [Step("greeting", _("Greeting"), fill(script.greeting, fields))]
    if recorded and script.recording_notice:
        steps.append(Step("notice", _("Recording notice"), fill(script.recording_notice, fields)))
    steps.append(Step("pitch", _("Pitch"), fill(script.pitch, fields)))
    for objection in script.objections:
        steps.append(Step("objection", _("Objection"), fill(objection.answer, fields),
                          prompt=fill(objection.objection, fields)))
    steps.append(Step("closing", _("Closing"), fill(script.closing, fields)))
    return tuple(steps)


def plain_text(paragraphs: tuple[Paragraph, ...]) -> str:
    """Paragraphs as one text (what a test or a plain-text view reads)."""
    return "\n\n".join("".join(piece.text for piece in paragraph) for paragraph in paragraphs)
