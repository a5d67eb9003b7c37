"""One row of a lead file → the values of a lead, or the reason it cannot be one (pure rules).

Duplicates and the do-not-call list are decided by the importer, which sees every row and the
database; everything that depends on the row alone is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leads.columns import ColumnMapping
from leads.phone import InvalidPhoneNumber, Phone, normalise
from leads.places import FRENCH_REGIONS, REGION_DEPARTEMENTS, clean_postcode, is_overseas, place_of

TRUE = frozenset({"oui", "o", "yes", "y", "true", "vrai", "1", "x", "contrat en cours"})
FALSE = frozenset({"", "non", "n", "no", "false", "faux", "0"})
CIVILITIES = {
    "m": "M.", "m.": "M.", "mr": "M.", "mr.": "M.", "monsieur": "M.", "mme": "Mme", "mme.": "Mme",
    "madame": "Mme", "mrs": "Mme", "mrs.": "Mme", "ms": "Mme", "ms.": "Mme", "mlle": "Mlle",
    "mademoiselle": "Mlle", "miss": "Mlle",
}
_EXCEL_EPOCH = datetime(1899, 12, 30)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a row gives no lead; `column` and `value` point at the cell at fault."""

    reason: str
    column: str = ""
    value: str = ""


@dataclass(slots=True)
class Draft:
    """A lead as read from one row: its column values, its valid phones (first = primary), the numbers dropped."""

    values: dict[str, Any]
    phones: list[tuple[Phone, str]]
    departement: str
    dropped: list[Rejection]

    @property
    def dropped_phones(self) -> int:
        return len(self.dropped)


class RowBuilder:
    """Turns rows into drafts under one mapping, phone region, fallback zone and current time."""

    def __init__(
        self, mapping: ColumnMapping, region: str, campaign_zone: str, now: datetime, limits: dict[str, int]
    ) -> None:
        self.mapping = mapping
        self.region = region
        self.campaign_zone = campaign_zone
        self.zone = ZoneInfo(campaign_zone)
        self.now = now
        self.limits = limits
        self.text_fields = [
            (name, i, limits.get(name, 200))
            for name, i in mapping.fields.items()
            if name not in {"consent_at", "contract_exemption", "postcode", "civility"}
        ]
        self.phone_columns = [(i, mapping.headers[i]) for i in mapping.phones]
        self.offsets: dict[tuple[date, int], timedelta] = {}

    def build(self, cells: list[str]) -> Draft | Rejection:
        """The draft of a row, or the first reason it cannot be imported."""
        phones: list[tuple[Phone, str]] = []
        errors: list[Rejection] = []
        seen: set[str] = set()
        for column, header in self.phone_columns:
            raw = cells[column]
            if not raw or raw.isspace():
                continue
            try:
                phone = normalise(raw, self.region)
            except InvalidPhoneNumber as exc:
                errors.append(Rejection(exc.reason, header, raw))
                continue
            if phone.e164 not in seen:
                seen.add(phone.e164)
                phones.append((phone, header))
        if not phones:
            return errors[0] if errors else Rejection("no_phone")
        fields = self.mapping.fields
        values: dict[str, Any] = {name: cells[i].strip()[:limit] for name, i, limit in self.text_fields}
        if self.mapping.address:
            joined = ", ".join(part for i in self.mapping.address if (part := cells[i].strip()))
            values["address"] = joined[: self.limits.get("address", 500)]
        if (at := fields.get("civility")) is not None:
            raw = cells[at].strip()
            values["civility"] = CIVILITIES.get(raw.lower(), raw)[: self.limits.get("civility", 20)]
        if (at := fields.get("consent_at")) is not None and (raw := cells[at].strip()):
            consent = self._date(raw)
            if consent is None:
                return Rejection("bad_consent_date", self.mapping.headers[at], raw)
            if consent > self.now + timedelta(days=1):
                return Rejection("future_consent_date", self.mapping.headers[at], raw)
            values["consent_at"] = consent
        if (at := fields.get("contract_exemption")) is not None:
            flag = cells[at].strip().lower()
            if flag in TRUE:
                values["contract_exemption"] = True
            elif flag not in FALSE:
                return Rejection("bad_contract_flag", self.mapping.headers[at], cells[at])
        if self.mapping.custom:
            values["custom"] = {header: value for i, header in self.mapping.custom if (value := cells[i].strip())}
        primary = phones[0][0]
        postcode = clean_postcode(cells[fields["postcode"]]) if "postcode" in fields else ""
        values["postcode"] = postcode[: self.limits.get("postcode", 20)]
        place = place_of(postcode) if postcode else None
        if place is not None and (is_overseas(place) or not primary.timezone):
            values["timezone"] = place.timezone
        else:
            values["timezone"] = primary.timezone or self.campaign_zone
        if place is not None:
            values["country"], values["subdivision"] = place.country, place.departement
        elif primary.region in FRENCH_REGIONS:
            values["country"], values["subdivision"] = "FR", REGION_DEPARTEMENTS.get(primary.region, "")
        else:
            values["country"], values["subdivision"] = primary.region[:2], ""
        values["phone_e164"] = primary.e164
        values["phone_type"] = primary.line_type
        departement = place.departement if place is not None else ""
        return Draft(values, phones, departement, errors)

    def _date(self, raw: str) -> datetime | None:
        parsed = parse_date(raw)
        if parsed is None or parsed.tzinfo is not None:
            return parsed
        # Local time → UTC by the zone's offset at that hour, looked up once per date and hour
        # (zone changes happen on the hour).
        key = (parsed.date(), parsed.hour)
        offset = self.offsets.get(key)
        if offset is None:
            offset = parsed.replace(minute=0, second=0, microsecond=0, tzinfo=self.zone).utcoffset() or timedelta(0)
            if len(self.offsets) < 100_000:
                self.offsets[key] = offset
        return (parsed - offset).replace(tzinfo=UTC)


def parse_date(raw: str) -> datetime | None:
    """A date as lead files write it: `14/03/2026 [10:22[:33]]`, `14.03.26`, ISO 8601, or an Excel serial."""
    text = raw.strip()
    separator = text[2:3]
    if separator in {"/", ".", "-"} and text[5:6] == separator:
        return _french_date(text, separator)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        serial = float(text.replace(",", "."))
    except ValueError:
        return None
    if 20000 < serial < 80000:  # 1954–2119 as an Excel day number
        return _EXCEL_EPOCH + timedelta(days=serial)
    return None


def _french_date(text: str, separator: str) -> datetime | None:
    day_part, _, time_part = text.partition(" ")
    pieces = day_part.split(separator)
    clock = time_part.strip().replace("h", ":").split(":") if time_part.strip() else []
    if len(pieces) != 3 or len(pieces[2]) not in {2, 4} or len(clock) > 3:
        return None
    try:
        day, month, year = int(pieces[0]), int(pieces[1]), int(pieces[2])
        hour, minute, second = (int(p) if p else 0 for p in (clock + ["0", "0", "0"])[:3])
        return datetime(year + 2000 if year < 100 else year, month, day, hour, minute, second)
    except ValueError:
        return None
