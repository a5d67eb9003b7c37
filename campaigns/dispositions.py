"""Dispositions ("qualifications"): what the agent records after a conversation, and what it does to the lead.

Defaults suit appointment setting; a campaign overrides any of them in `Campaign.settings["dispositions"]`
as `{code: {"final": bool, "argued": bool, "retry": "2d", "label": "…"}}`. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from campaigns.errors import InvalidSetting, UnknownDisposition
from campaigns.setting_values import format_duration, parse_duration
from config.i18n import _


@dataclass(frozen=True)
class Disposition:
    """One result an agent can record: whether it ends the lead, counts as an argued contact, and when to retry."""

    code: str
    final: bool
    argued: bool
    retry: timedelta | None = None
    # What else it does: "callback" books a personal callback, "refusal" starts the cool-off,
    # "do_not_call" lists the number for the client, "objection" lists it and never calls again (L. 221-16).
    effect: str = ""
    custom_label: str = ""

    def label(self) -> str:
        """The localised label shown to agents and in reports."""
        if self.custom_label:
            return self.custom_label
        factory = LABELS.get(self.code)
        return factory() if factory else self.code


LABELS: dict[str, Callable[[], str]] = {
    "rdv": lambda: _("Appointment taken"),
    "callback": lambda: _("Callback"),
    "refused": lambda: _("Refused"),
    "not_target": lambda: _("Not in target"),
    "already_equipped": lambda: _("Already equipped"),
    "wrong_number": lambda: _("Wrong number"),
    "do_not_call": lambda: _("Do not call"),
    "objection": lambda: _("Objects to any call"),
    "no_answer": lambda: _("No answer"),
    "machine": lambda: _("Answering machine"),
    "unqualified": lambda: _("Not qualified"),
}

DEFAULTS: tuple[Disposition, ...] = (
    Disposition("rdv", final=True, argued=True),
    Disposition("callback", final=False, argued=True, effect="callback"),
    Disposition("refused", final=True, argued=True, effect="refusal"),
    Disposition("not_target", final=True, argued=True),
    Disposition("already_equipped", final=True, argued=True),
    Disposition("wrong_number", final=True, argued=False),
    Disposition("do_not_call", final=True, argued=False, effect="do_not_call"),
    Disposition("objection", final=True, argued=False, effect="objection"),
    Disposition("no_answer", final=False, argued=False, retry=timedelta(hours=3)),
    Disposition("machine", final=False, argued=False, retry=timedelta(hours=4)),
    # A conversation the agent did not qualify before the wrap-up timer ran out: retried like a connected call.
    Disposition("unqualified", final=False, argued=False),
)


def dispositions_for(stored: Mapping[str, Any]) -> dict[str, Disposition]:
    """The campaign's dispositions by code: the defaults with its overrides (and additions) applied."""
    result = {d.code: d for d in DEFAULTS}
    for code, override in (stored.get("dispositions") or {}).items():
        base = result.get(code, Disposition(code, final=True, argued=False))
        result[code] = replace(
            base,
            final=bool(override.get("final", base.final)),
            argued=bool(override.get("argued", base.argued)),
            retry=parse_duration(override["retry"]) if override.get("retry") else base.retry,
            custom_label=str(override.get("label", base.custom_label)),
        )
    return result


def get_disposition(stored: Mapping[str, Any], code: str) -> Disposition:
    """One disposition of the campaign; raises UnknownDisposition with the known codes."""
    known = dispositions_for(stored)
    if code not in known:
        raise UnknownDisposition(code, sorted(known))
    return known[code]


def set_disposition(stored: Mapping[str, Any], code: str, text: str) -> dict[str, Any]:
    """New stored settings with a disposition changed from `final=no,argued=yes,retry=2d,label=…`."""
    key = f"disposition.{code}"
    override: dict[str, Any] = dict((stored.get("dispositions") or {}).get(code, {}))
    for part in (p for p in text.split(",") if p.strip()):
        name, sep, value = (s.strip() for s in part.partition("="))
        if not sep or name not in {"final", "argued", "retry", "label"}:
            raise InvalidSetting(key, text, _("expected final=yes|no, argued=yes|no, retry=2d or label=…"))
        if name in {"final", "argued"}:
            if value.lower() not in {"yes", "no", "true", "false"}:
                raise InvalidSetting(key, text, _("expected yes or no"))
            override[name] = value.lower() in {"yes", "true"}
        elif name == "retry":
            try:
                override[name] = format_duration(parse_duration(value))
            except ValueError as exc:
                raise InvalidSetting(key, text, str(exc)) from None
        else:
            override[name] = value
    updated = dict(stored)
    updated["dispositions"] = {**(stored.get("dispositions") or {}), code: override}
    return updated
