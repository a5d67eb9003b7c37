"""The campaign form, generated from the settings registry (campaigns/settings.py): one field per setting,
grouped, each with its label (the help text), the default of the campaign's legal profile, the kind of input
its values call for, and the error of the value just refused, in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from campaigns.legal_checks import SECTORS
from campaigns.profiles import get_profile, starting_settings
from campaigns.settings import PACING_MODES, SPECS, Spec, display
from config.i18n import _
from config.profiles import profile_names
from rdv.web.console_view import mode_label

GROUP_TITLES: dict[str, Callable[[], str]] = {
    "calendar": lambda: _("Calling days and hours"),
    "centre": lambda: _("Call centre"),
    "retry": lambda: _("Retries"),
    "hopper": lambda: _("Lead order"),
    "dialer": lambda: _("Dialler"),
    "mail": lambda: _("E-mails to the client"),
    "legal": lambda: _("Legal"),
    "recording": lambda: _("Call recording"),
    "targets": lambda: _("Service-level targets agreed with the client"),
}
# Settings whose values are a closed list: offered as a drop-down, worded as the console words them.
CHOICES: dict[str, Callable[[], list[tuple[str, str]]]] = {
    "pacing_mode": lambda: [(m, mode_label(m)) for m in PACING_MODES],
    "sector": lambda: [(s, s) for s in SECTORS],
}


@dataclass(frozen=True)
class Field:
    """One setting as the form shows it."""

    key: str
    label: str
    value: str
    default: str
    choices: tuple[tuple[str, str], ...]
    error: str


@dataclass(frozen=True)
class Group:
    title: str
    fields: tuple[Field, ...]


def _is_bool(spec: Spec) -> bool:
    return isinstance(spec.parse(spec.default), bool)


def _choices(spec: Spec) -> tuple[tuple[str, str], ...]:
    if _is_bool(spec):
        return (("yes", _("yes")), ("no", _("no")))
    factory = CHOICES.get(spec.key)
    return tuple(factory()) if factory else ()


def _as_input(spec: Spec, text: str) -> str:
    """A stored value in its canonical text (what the input holds); an invalid one as stored, to be repaired."""
    try:
        return str(spec.format(spec.parse(text)))
    except ValueError:
        return text


def profile_defaults(profile: str) -> dict[str, str]:
    """Every setting's default for a campaign under this legal profile (what `rdv campaign create` stores)."""
    known = profile if profile in profile_names() else "fr-consumer"
    return {**{s.key: s.default for s in SPECS}, **starting_settings(get_profile(known))}


def form_groups(profile: str, stored: Mapping[str, Any], submitted: Mapping[str, str] | None = None,
                errors: Mapping[str, str] | None = None) -> list[Group]:
    """The form's groups in registry order; `submitted` values (a refused form) are shown back as typed."""
    defaults = profile_defaults(profile)
    groups: dict[str, list[Field]] = {}
    for spec in SPECS:
        base = str(stored.get(spec.key, spec.default))  # as campaign_settings() reads it
        value = submitted[spec.key] if submitted and spec.key in submitted else _as_input(spec, base)
        choices = _choices(spec)
        default = display(spec.key, spec.parse(defaults[spec.key]))
        default = dict(choices).get(default, default)  # a closed list's default as the list words it
        groups.setdefault(spec.group, []).append(Field(
            spec.key, spec.help(), value, default, choices, (errors or {}).get(spec.key, "")))
    return [Group(GROUP_TITLES[name](), tuple(fields)) for name, fields in groups.items()]


def changed_settings(stored: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, str]:
    """The settings of a submitted form whose value differs from what the campaign has now (as canonical text)."""
    changed = {}
    for spec in SPECS:
        if spec.key not in form:
            continue
        now = _as_input(spec, str(stored.get(spec.key, spec.default)))
        if form[spec.key].strip() != now:
            changed[spec.key] = form[spec.key]
    return changed
