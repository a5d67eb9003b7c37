"""Regulatory calling profiles as typed rules, read from `config/profiles/<name>.toml`.

Pure apart from reading the bundled TOML once; the rules (consent gate, frequency cap, cool-off) take
plain values and `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from campaigns.calendar import ALL_DAY, WEEKDAYS, Weekly, intersect, parse_windows, windows_text
from campaigns.errors import UnknownProfile
from campaigns.settings import REGISTRY
from config.profiles import load_profile_data, profile_names
from leads.consent import ConsentRecord, lead_may_be_called


@dataclass(frozen=True)
class Profile:
    """What the law of the callee's country allows, whatever the campaign asks for."""

    name: str
    title: str
    weekly: Weekly = ALL_DAY
    restricts_windows: bool = False
    public_holidays: bool = False  # may calls be placed on public holidays?
    max_solicitations: int | None = None
    period_days: int = 30
    callbacks_count: bool = True
    refusal_cooloff_days: int = 0
    consent_required_from: date | None = None
    contract_exemption: bool = True
    objection_never_call: bool = True
    max_abandonment: float | None = None
    dropped_no_recall_hours: int = 0
    # Consumers: the caller number must be in the ARCEP ranges for automated calls (campaigns.legal_checks).
    arcep_caller_ranges: bool = False
    # Consumers: no canvassing about energy renovation or home renewable energy (loi 2020-901).
    energy_renovation_ban: bool = False

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.period_days)

    @property
    def refusal_cooloff(self) -> timedelta:
        return timedelta(days=self.refusal_cooloff_days)


@cache
def get_profile(name: str) -> Profile:
    """The profile named `name`; raises UnknownProfile with the known names."""
    known = profile_names()
    if name not in known:
        raise UnknownProfile(name, known)
    return _from_data(load_profile_data(name))


def _from_data(data: dict[str, Any]) -> Profile:
    windows = data.get("windows")
    frequency = data.get("frequency", {})
    consent = data.get("consent", {})
    weekly = ALL_DAY if windows is None else tuple(parse_windows(windows.get(day, "")) for day in WEEKDAYS)
    return Profile(
        name=data["name"],
        title=data.get("title", data["name"]),
        weekly=weekly,
        restricts_windows=windows is not None,
        public_holidays=bool(data.get("public_holidays", False)),
        max_solicitations=frequency.get("max_solicitations"),
        period_days=int(frequency.get("period_days", 30)),
        callbacks_count=frequency.get("count", "every_dial") == "every_dial",
        refusal_cooloff_days=int(data.get("refusal", {}).get("cooloff_days", 0)),
        consent_required_from=consent.get("required_from"),
        contract_exemption=bool(consent.get("contract_exemption", True)),
        objection_never_call=bool(data.get("objection", {}).get("never_call_again", True)),
        max_abandonment=data.get("max_abandonment"),
        dropped_no_recall_hours=int(data.get("dropped", {}).get("no_recall_hours", 0)),
        arcep_caller_ranges=bool(data.get("caller", {}).get("arcep_ranges", False)),
        energy_renovation_ban=bool(data.get("subjects", {}).get("energy_renovation_ban", False)),
    )


def consent_required(profile: Profile, now: datetime) -> bool:
    """Whether the profile demands a provable consent at this date."""
    return profile.consent_required_from is not None and now.date() >= profile.consent_required_from


def consent_valid(records: Sequence[ConsentRecord], profile: Profile, now: datetime) -> bool:
    """Whether a lead with these consent records may be called under the profile's consent rule (L. 223-1
    since 2026-08-11 for fr-consumer)."""
    return not consent_required(profile, now) or lead_may_be_called(records, now, profile.contract_exemption)


def cap_allows_from(previous_dials: Sequence[datetime], profile: Profile) -> datetime | None:
    """The earliest moment the frequency cap allows another dial, or None when it does not bind."""
    cap = profile.max_solicitations
    if cap is None or len(previous_dials) < cap:
        return None
    # With `cap` dials inside any rolling period, the next may come once the cap-th latest one is a period old.
    return sorted(previous_dials)[-cap] + profile.period


def cooloff_until(refused_at: datetime | None, profile: Profile) -> datetime | None:
    """The end of the no-solicitation period after a refusal, or None."""
    if refused_at is None or profile.refusal_cooloff_days <= 0:
        return None
    return refused_at + profile.refusal_cooloff


def starting_settings(profile: Profile) -> dict[str, str]:
    """The stored settings a new campaign starts from: the contract's usual hours (the registry's defaults,
    10:00-19:00 Monday to Friday) within what the profile allows, so that it starts lawful (fr-consumer:
    10:00-13:00 and 14:00-19:00) instead of asking for hours the profile then takes away.

    One setting covers Monday to Friday: where the profile's weekdays differ, the hours every weekday allows.
    """
    stored: dict[str, str] = {}
    default = parse_windows(REGISTRY["weekday_windows"].default)
    lawful = default
    for day in range(5):
        lawful = intersect(lawful, profile.weekly[day])
    if lawful != default and lawful:
        stored["weekday_windows"] = windows_text(lawful)
    return stored
