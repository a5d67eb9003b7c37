"""Legal checks of what a campaign declares: the number it shows and the subject it calls about. Pure.

- Caller number (décision ARCEP n° 2022-1583, in force since 1 January 2023): a professional calling consumers
  from an automated system (a predictive dialer is one) must show a number from the ranges reserved for it:
  01 62, 01 63, 02 70, 02 71, 03 77, 03 78, 04 24, 04 25, 05 68, 05 69, 09 48, 09 49, and 09 475 to 09 479
  overseas. The profile says whether this applies (`[caller] arcep_ranges`, set for fr-consumer).
- Subject (loi n° 2020-901, article L. 223-1 of the Code de la consommation): no telephone canvassing of
  consumers about energy-saving renovation works or home renewable-energy equipment, except within a
  contract in progress. Roof insulation is such a subject; roof carpentry is not. The campaign declares
  its sector (setting `sector`); the profile says whether the ban applies (`[subjects] energy_renovation_ban`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from config.i18n import _

if TYPE_CHECKING:  # campaigns.profiles imports the settings, which list the sectors
    from campaigns.profiles import Profile

ARCEP_PREFIXES = ("0162", "0163", "0270", "0271", "0377", "0378", "0424", "0425", "0568", "0569", "0948", "0949",
                  "09475", "09476", "09477", "09478", "09479")

# Declared sectors: code → (label, whether it is energy renovation / home renewable energy in loi 2020-901).
SECTORS: dict[str, tuple[Callable[[], str], bool]] = {
    "unspecified": (lambda: _("not declared"), False),
    "roof_insulation": (lambda: _("roof or attic insulation"), True),
    "wall_insulation": (lambda: _("wall or floor insulation"), True),
    "windows": (lambda: _("energy-saving windows and glazing"), True),
    "heating": (lambda: _("heating, heat pumps, boilers"), True),
    "solar": (lambda: _("solar panels and home renewable energy"), True),
    "energy_renovation": (lambda: _("other energy-saving renovation works"), True),
    "roof_carpentry": (lambda: _("roof carpentry"), False),
    "roofing": (lambda: _("roofing (without insulation)"), False),
    "other": (lambda: _("another subject"), False),
}


def national(e164: str) -> str:
    """A French number as dialled in France (+33162… → 0162…); other numbers as they are."""
    return "0" + e164[3:] if e164.startswith("+33") else e164


def caller_number_problem(caller: str, profile: Profile) -> str | None:
    """Why the caller number is not allowed for this profile, or None."""
    if not profile.arcep_caller_ranges or not caller:
        return None
    if national(caller).startswith(ARCEP_PREFIXES):
        return None
    return _("Caller number {number} is outside the ARCEP ranges for automated calls to consumers (01 62, 01 63, "
             "02 70, 02 71, 03 77, 03 78, 04 24, 04 25, 05 68, 05 69, 09 48, 09 49; 09 475 to 09 479 overseas)"
             ).format(number=national(caller))


def sector_problem(sector: str, profile: Profile) -> str | None:
    """Why the campaign's subject may not be canvassed by phone under this profile, or None."""
    label, banned = SECTORS.get(sector, SECTORS["other"])
    if not banned or not profile.energy_renovation_ban:
        return None
    return _("Sector \"{sector}\": telephone canvassing of consumers about energy-saving works or home renewable "
             "energy is banned (loi 2020-901), except within a contract in progress").format(sector=label())
