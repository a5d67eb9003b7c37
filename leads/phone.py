"""Phone numbers as lead files write them, turned into E.164 with a line type and a time zone.

The only module that imports `phonenumbers`. A million-row file holds about a million and a half
numbers and `phonenumbers.parse()` plus its checks costs ~50 µs each, so numbers of the French
numbering plan written in the usual shapes take a fast path: separators removed by `str.translate`,
then the national number is classified by the library's own metadata patterns, applied in the
library's order (`_TypeMatcher` mirrors `phonenumberutil._number_type_helper`; a hypothesis test
holds the two together). Anything else goes through `phonenumbers.parse()`, which also names the
reason for a rejection.

The French plan spans mainland France (+33) and the overseas departments (+262 Réunion and Mayotte,
+590 Guadeloupe, Saint-Barthélemy, Saint-Martin, +594 Guyane, +596 Martinique): `0692 12 34 56`
dialled from Paris rings in Réunion, so a national number with an overseas prefix is given the
overseas country code, which `phonenumbers` does not do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberType, ValidationResult
from phonenumbers import timezone as pn_timezone

from config.i18n import _

LINE_TYPES = {
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}

REASONS = {
    "empty": "empty",
    "not_a_number": "not a phone number",
    "too_short": "too short",
    "too_long": "too long",
    "invalid_country_code": "unknown country code",
    "invalid": "invalid number",
    "premium_rate": "premium-rate number",
    "service_number": "service number (08…, 3xxx), not a person's line",
}

# Numbers that reach a service, never a prospect: the French "services à valeur ajoutée" (ARCEP: every
# 08 number, free, shared-cost or premium) and their kin in other plans. Premium keeps its own reason.
SERVICE_TYPES = frozenset({PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST, PhoneNumberType.UAN})
# French short numbers (3BPQ, 10YT, 118XYZ), which `phonenumbers` calls "too short" in a lead file.
_SHORT_SERVICE = re.compile(r"3\d{3}|10\d{2}|118\d{3}")

# Single-zone regions, and the zone of the French overseas ones, whose prefixes `phonenumbers` maps
# to several zones at once (+262 692 → Mayotte and Réunion) although the region is known.
REGION_ZONES = {
    "FR": "Europe/Paris", "MC": "Europe/Monaco", "RE": "Indian/Reunion", "YT": "Indian/Mayotte",
    "GP": "America/Guadeloupe", "BL": "America/St_Barthelemy", "MF": "America/Marigot",
    "MQ": "America/Martinique", "GF": "America/Cayenne", "PM": "America/Miquelon",
    "NC": "Pacific/Noumea", "WF": "Pacific/Wallis", "GB": "Europe/London",
}

FRENCH_PLAN = ("33", "262", "590", "594", "596")
# National prefixes (after the 0) that the French plan gives to an overseas department.
_OVERSEAS = {
    "262": ("262",), "263": ("262",), "269": ("262",), "639": ("262",), "692": ("262",), "693": ("262",),
    "590": ("590",), "690": ("590",), "691": ("590",), "594": ("594",), "694": ("594",),
    "596": ("596",), "696": ("596",), "697": ("596",), "709": ("590", "596", "262", "594"),
}
_END = "\\Z"
_DIGIT = "\\d"
_SEPARATORS = str.maketrans("", "", " .-/()\u00a0\u202f\t_")
_QUOTES = frozenset("'=\"")
_EXCEL_FLOAT = re.compile(r"^(\d+)\.0+$")
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d{1,2}$")


class InvalidPhoneNumber(ValueError):
    """A value that is not a number rdv may dial; `reason` is one of REASONS."""

    def __init__(self, raw: str, region: str, reason: str) -> None:
        super().__init__(
            _("Phone number '{raw}' (region {region}) rejected: {reason}").format(
                raw=raw, region=region, reason=_(REASONS[reason])
            )
        )
        self.raw = raw
        self.region = region
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Phone:
    """A dialable number: E.164, line type, region (ISO 3166 alpha-2) and IANA zone ("" if unknown)."""

    e164: str
    line_type: str
    region: str
    timezone: str

    @property
    def national(self) -> str:
        """The number as written in its own country (`06 12 34 56 78`)."""
        return _national(self.e164)


class _TypeMatcher:
    """The line type of a national number for one region, as `phonenumbers` decides it.

    One regular expression per region: a look-ahead for the general pattern, then each type's
    pattern (guarded by its possible lengths) as an alternative in the library's order, so the
    first alternative that matches the whole number is the type the library would return.
    """

    _ORDER = (
        ("premium_rate", PhoneNumberType.PREMIUM_RATE), ("toll_free", PhoneNumberType.TOLL_FREE),
        ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
        ("personal_number", PhoneNumberType.PERSONAL_NUMBER), ("pager", PhoneNumberType.PAGER),
        ("uan", PhoneNumberType.UAN), ("voicemail", PhoneNumberType.VOICEMAIL),
        ("fixed_line", PhoneNumberType.FIXED_LINE), ("mobile", PhoneNumberType.MOBILE),
    )

    def __init__(self, metadata: PhoneMetadata) -> None:
        self.same = bool(metadata.same_mobile_and_fixed_line_pattern)
        self.kinds: dict[str, int] = {}
        alternatives = []
        for name, kind in self._ORDER:
            if name == "mobile" and self.same:
                continue
            if (found := self._expression(getattr(metadata, name))) is not None:
                self.kinds[name] = kind
                alternatives.append(f"(?P<{name}>{found})")
        general = self._expression(metadata.general_desc)
        joined = "|".join(alternatives)
        self.pattern = re.compile(f"(?={general}{_END})(?:{joined})") if general and alternatives else None
        # Patterns with groups of their own would hide which alternative matched: look at each then.
        self.plain = self.pattern is not None and self.pattern.groups == len(alternatives)
        mobile = self._expression(metadata.mobile)
        self.mobile = re.compile(mobile) if mobile else None

    @staticmethod
    def _expression(desc: object) -> str | None:
        pattern = getattr(desc, "national_number_pattern", None)
        if not pattern:
            return None
        lengths = sorted(getattr(desc, "possible_length", None) or ())
        if any(n < 0 for n in lengths):
            return None
        if not lengths:
            return f"(?:{pattern})"
        sizes = "|".join(_DIGIT + "{" + str(n) + "}" for n in lengths)
        return f"(?=(?:{sizes}){_END})(?:{pattern})"

    def line_type(self, nsn: str) -> int:
        if self.pattern is None or (match := self.pattern.fullmatch(nsn)) is None:
            return PhoneNumberType.UNKNOWN
        if self.plain:
            kind = self.kinds[match.lastgroup or ""]
        else:
            kind = next(self.kinds[name] for name, value in match.groupdict().items() if value is not None)
        if kind == PhoneNumberType.FIXED_LINE and (
            self.same or (self.mobile is not None and self.mobile.fullmatch(nsn) is not None)
        ):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return kind


_Matchers = tuple[tuple[str, _TypeMatcher, re.Pattern[str] | None], ...]
_MATCHERS: dict[str, _Matchers] = {}


def _matchers(country_code: str) -> _Matchers:
    if (cached := _MATCHERS.get(country_code)) is not None:
        return cached
    found = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(country_code), ()):
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is not None:
            leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
            found.append((region, _TypeMatcher(metadata), leading))
    _MATCHERS[country_code] = tuple(found)
    return _MATCHERS[country_code]


def _classify(country_code: str, nsn: str) -> tuple[str, int] | None:
    """(region, line type) of a valid number, None when invalid (region lookup as the library does)."""
    for region, matcher, leading in _matchers(country_code):
        if leading is not None:
            if leading.match(nsn):
                kind = matcher.line_type(nsn)
                return (region, kind) if kind != PhoneNumberType.UNKNOWN else None
            continue
        if (kind := matcher.line_type(nsn)) != PhoneNumberType.UNKNOWN:
            return region, kind
    return None


def _french_plan(country_code: str, nsn: str) -> tuple[str, str, str, int] | None:
    """(country code, nsn, region, type) of a French-plan number, overseas prefixes moved to their code."""
    if len(nsn) == 10 and nsn[0] == "0":  # "+33 (0)6 …"
        nsn = nsn[1:]
    if country_code == "33" and (overseas := _OVERSEAS.get(nsn[:3])):
        for code in overseas:
            if (found := _classify(code, nsn)) is not None:
                return code, nsn, found[0], found[1]
    found = _classify(country_code, nsn)
    return None if found is None else (country_code, nsn, found[0], found[1])


def _refuse_services(raw: str, region: str, kind: int) -> None:
    if kind == PhoneNumberType.PREMIUM_RATE:
        raise InvalidPhoneNumber(raw, region, "premium_rate")
    if kind in SERVICE_TYPES:
        raise InvalidPhoneNumber(raw, region, "service_number")


def _phone(raw: str, region: str, country_code: str, nsn: str, found_region: str, kind: int) -> Phone:
    _refuse_services(raw, region, kind)
    return Phone("+" + country_code + nsn, LINE_TYPES[kind], found_region, REGION_ZONES.get(found_region, ""))


def _clean(raw: str) -> str:
    """Undo what spreadsheets do to numbers: `612345678.0`, `6,12345678E+08`, `'06…`, `="06…"`."""
    text = raw.strip()
    if text[:1] in _QUOTES:
        text = text.strip("'").removeprefix("=").strip('"').strip()
    if text[-2:] == ".0" and (excel := _EXCEL_FLOAT.match(text)) is not None:
        return excel.group(1)
    if ("E" in text or "e" in text) and _SCIENTIFIC.match(text):
        try:
            return str(int(Decimal(text.replace(",", "."))))
        except InvalidOperation:
            return text
    return text


def _fast(text: str, region_code: str) -> tuple[str, str] | None:
    """(country code, national number) for the usual shapes of French-plan numbers, else None."""
    digits = text.translate(_SEPARATORS)
    if digits.startswith("+"):
        digits = digits[1:]
        international = True
    elif digits.startswith("00"):
        digits = digits[2:]
        international = True
    else:
        international = False
    if not digits.isdigit() or not digits.isascii():
        return None
    if international:
        for code in FRENCH_PLAN:
            if digits.startswith(code):
                return code, digits[len(code):]
        return None
    if region_code not in _FRENCH_REGIONS:
        return None
    if len(digits) == 10 and digits[0] == "0":
        return "33", digits[1:]
    if len(digits) == 9 and digits[0] != "0":  # the leading zero eaten by a spreadsheet
        return "33", digits
    return None


_FRENCH_REGIONS = frozenset({"FR", "RE", "YT", "GP", "BL", "MF", "GF", "MQ"})
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "invalid",
}


def _slow(raw: str, text: str, region: str) -> Phone:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(raw, region, _PARSE_REASONS.get(exc.error_type, "not_a_number")) from None
    country_code = str(number.country_code)
    nsn = phonenumbers.national_significant_number(number)
    if country_code in FRENCH_PLAN:
        if (found := _french_plan(country_code, nsn)) is not None:
            return _phone(raw, region, *found)
        # Every French-plan number has nine digits; the library keeps a stray 0 on short ones.
        digits = len(nsn.lstrip("0"))
        if digits != 9:
            raise InvalidPhoneNumber(raw, region, "too_short" if digits < 9 else "too_long")
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        raise InvalidPhoneNumber(raw, region, _POSSIBLE_REASONS.get(possible, "invalid"))
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(raw, region, "invalid")
    found_region = phonenumbers.region_code_for_number(number) or ""
    kind = phonenumbers.number_type(number)
    _refuse_services(raw, region, kind)
    zone = REGION_ZONES.get(found_region, "")
    if not zone:
        zones = [z for z in pn_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
        zone = zones[0] if len(zones) == 1 else ""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164, LINE_TYPES.get(kind, "unknown"), found_region, zone)


def normalise(raw: str, default_region: str = "FR") -> Phone:
    """The dialable form of a number as written in a lead file; raises InvalidPhoneNumber with the reason."""
    region = default_region.upper()
    text = _clean(raw)
    if not text:
        raise InvalidPhoneNumber(raw, region, "empty")
    if len(text) <= 8 and region in _FRENCH_REGIONS and _SHORT_SERVICE.fullmatch(text.translate(_SEPARATORS)):
        raise InvalidPhoneNumber(raw, region, "service_number")
    fast = _fast(text, region)
    if fast is not None and (found := _french_plan(*fast)) is not None:
        return _phone(raw, region, *found)
    return _slow(raw, text, region)


@lru_cache(maxsize=4096)
def _national(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def display(e164: str) -> str:
    """A number as a French client reads it: `06 12 34 56 78` in the French plan (overseas included, dialled
    the same way from France), `+44 20 7946 0958` elsewhere; anything unparsable as it was stored."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if str(number.country_code) in FRENCH_PLAN:
        return _national(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask(e164: str) -> str:
    """A number fit for logs: country code, first and last two digits (`+33 6** ** ** 78`)."""
    if not e164.startswith("+") or not e164[1:].isdigit() or len(e164) < 6:
        return "***"
    digits = e164[1:]
    code = next(
        (digits[:n] for n in (1, 2, 3) if int(digits[:n]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE),
        digits[:2],
    )
    nsn = digits[len(code):]
    if code in FRENCH_PLAN and len(nsn) == 9:
        return f"+{code} {nsn[0]}** ** ** {nsn[-2:]}"
    return f"+{code} {nsn[0]}{'*' * max(len(nsn) - 3, 1)}{nsn[-2:]}"
