"""How the console words and formats its figures: state and mode labels, durations, rates against targets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request
from markupsafe import Markup, escape

from campaigns.settings import PACING_MODES, REGISTRY
from config.i18n import _, fmt_percent, ngettext
from rdv.agent_desk import pause_label
from rdv.web.csrf import FIELD, csrf_token
from rdv.web.templating import environment

STATE_LABELS: dict[str, Callable[[], str]] = {
    "available": lambda: _("Ready"),
    "on_call": lambda: _("On a call"),
    "wrap_up": lambda: _("After-call work"),
    "paused": lambda: _("Paused"),
    "logged_out": lambda: _("Logged out"),
}
DIALING_LABELS: dict[str, Callable[[], str]] = {
    "running": lambda: _("dialling"),
    "held": lambda: _("waiting (outside calling hours or nothing to call)"),
    "paused": lambda: _("paused"),
    "stopped": lambda: _("stopped"),
    "no_queue": lambda: _("stopped: the PBX has no queue for it"),
    "trunk_full": lambda: _("dialling, held back: every channel of the trunk is in use"),
    "": lambda: _("no dialler is running it"),
}
# How many agents are in a state, as the wallboard words it: "3 disponibles".
STATE_COUNTS: dict[str, Callable[[int], str]] = {
    "available": lambda n: ngettext("agent ready", "agents ready", n),
    "on_call": lambda n: ngettext("agent on a call", "agents on a call", n),
    "wrap_up": lambda n: ngettext("agent in after-call work", "agents in after-call work", n),
    "paused": lambda n: ngettext("agent paused", "agents paused", n),
    "logged_out": lambda n: ngettext("agent logged out", "agents logged out", n),
}
MODE_LABELS: dict[str, Callable[[], str]] = {
    "predictive": lambda: _("predictive"),
    "progressive": lambda: _("progressive"),
    "preview": lambda: _("preview"),
    "ratio": lambda: _("fixed ratio"),
}


def state_label(state: str, reason: str = "") -> str:
    if state == "paused" and reason:
        return _("Paused: {reason}").format(reason=pause_label(reason))
    factory = STATE_LABELS.get(state)
    return factory() if factory else state


def state_count(state: str, n: int) -> str:
    factory = STATE_COUNTS.get(state)
    return factory(n) if factory else state


def dialing_label(dialing: str) -> str:
    factory = DIALING_LABELS.get(dialing)
    return factory() if factory else dialing


def mode_label(mode: str) -> str:
    factory = MODE_LABELS.get(mode)
    return factory() if factory else mode


def duration(seconds: float) -> str:
    """A duration as a wallboard shows it: 4:07, 1:02:09 (no unit: the column says what it is)."""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def rate(value: float | None) -> str:
    return "—" if value is None else fmt_percent(value, 1)


def epoch_ms(moment: datetime | None) -> int:
    """A moment for console.js, which counts the time in state up from it."""
    return int(moment.timestamp() * 1000) if moment else 0


def setting_help(key: str) -> str:
    return REGISTRY[key].help()


def mode_choices() -> list[tuple[str, str]]:
    return [(mode, mode_label(mode)) for mode in PACING_MODES]


HELPERS: dict[str, Any] = {
    "state_label": state_label, "state_count": state_count, "dialing_label": dialing_label,
    "mode_label": mode_label, "duration": duration, "rate": rate, "epoch_ms": epoch_ms, "pause_label": pause_label,
    "setting_help": setting_help, "mode_choices": mode_choices,
}


def fragment(name: str, context: dict[str, Any], request: Request | None = None) -> str:
    """A piece of a console page (for the live stream): the template alone, without the page around it; with
    `request`, its forms carry the session's CSRF token."""
    values = {**HELPERS, **context}
    if request is not None:
        token = csrf_token(request)
        values["csrf_field"] = lambda: Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token)}">')
    return environment().get_template(name).render(values)
