"""French postcodes: the département they belong to and, overseas, the country, zone and subdivision.

Pure rules over strings. The département is what the quality report groups by; the overseas zone
is what puts a Réunion lead's calling window in Réunion time whatever its phone says.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    """Where a postcode is: département code (`75`, `2A`, `974`), ISO country, IANA zone."""

    departement: str
    country: str
    timezone: str


# Overseas postcodes start with three digits; Monaco uses French postcodes (980xx) but is a country.
_OVERSEAS = {
    "971": Place("971", "FR", "America/Guadeloupe"),
    "972": Place("972", "FR", "America/Martinique"),
    "973": Place("973", "FR", "America/Cayenne"),
    "974": Place("974", "FR", "Indian/Reunion"),
    "975": Place("975", "FR", "America/Miquelon"),
    "976": Place("976", "FR", "Indian/Mayotte"),
    "977": Place("977", "FR", "America/St_Barthelemy"),
    "978": Place("978", "FR", "America/Marigot"),
    "980": Place("980", "MC", "Europe/Monaco"),
    "986": Place("986", "FR", "Pacific/Wallis"),
    "987": Place("987", "FR", "Pacific/Tahiti"),
    "988": Place("988", "FR", "Pacific/Noumea"),
}
# Saint-Barthélemy and Saint-Martin kept Guadeloupe's postcodes.
_OVERSEAS_BY_POSTCODE = {"97133": _OVERSEAS["977"], "97150": _OVERSEAS["978"]}
_MAINLAND_ZONE = "Europe/Paris"
_CACHE: dict[str, Place | None] = {}


def clean_postcode(raw: str) -> str:
    """The postcode as written, with the zero a spreadsheet dropped put back (`1000` → `01000`)."""
    text = raw.strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if len(text) == 4 and text.isdigit():
        return "0" + text
    return text


def place_of(postcode: str) -> Place | None:
    """The place of a French postcode (already cleaned), None when it is not one."""
    found = _CACHE.get(postcode, False)
    if found is not False:
        return found  # type: ignore[return-value]
    place = _place_of(postcode)
    if len(_CACHE) < 100_000:
        _CACHE[postcode] = place
    return place


def _place_of(postcode: str) -> Place | None:
    if len(postcode) != 5 or not postcode.isdigit() or postcode == "00000":
        return None
    head = postcode[:2]
    if head in {"97", "98"}:
        return _OVERSEAS_BY_POSTCODE.get(postcode) or _OVERSEAS.get(postcode[:3])
    if head == "20":
        # Corsica: Corse-du-Sud below 20200, Haute-Corse from it.
        return Place("2A" if postcode < "20200" else "2B", "FR", _MAINLAND_ZONE)
    if not "01" <= head <= "95":
        return None
    return Place(head, "FR", _MAINLAND_ZONE)


def is_overseas(place: Place | None) -> bool:
    """Whether a place is outside mainland France (its own time zone applies)."""
    return place is not None and place.timezone != _MAINLAND_ZONE


# The département of a French overseas phone region, when the address says nothing.
REGION_DEPARTEMENTS = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "PM": "975", "YT": "976",
                       "BL": "977", "MF": "978", "WF": "986", "PF": "987", "NC": "988"}
FRENCH_REGIONS = frozenset({"FR", *REGION_DEPARTEMENTS})
