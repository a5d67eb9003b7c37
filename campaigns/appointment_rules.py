"""Pure rules of an appointment ("fiche RDV"): its time slot and its lifecycle.

taken → sent_to_client → confirmed / cancelled_by_client → visited → after quality control:
validated, cancelled ("chute") or false_cancellation ("fausse chute", only with a proof).
Billing reads these states, so the table below is the single place that says which moves exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from config.i18n import _

TAKEN = "taken"
SENT_TO_CLIENT = "sent_to_client"
CONFIRMED = "confirmed"
CANCELLED_BY_CLIENT = "cancelled_by_client"
VISITED = "visited"
VALIDATED = "validated"
CANCELLED = "cancelled"
FALSE_CANCELLATION = "false_cancellation"
# Quality control sent the sheet back to its agent before the client got it (campaigns/quality_control.py).
RETURNED_TO_AGENT = "returned_to_agent"

STATES = (TAKEN, SENT_TO_CLIENT, CONFIRMED, CANCELLED_BY_CLIENT, VISITED, VALIDATED, CANCELLED, FALSE_CANCELLATION,
          RETURNED_TO_AGENT)
FINAL_STATES = frozenset({VALIDATED, CANCELLED, FALSE_CANCELLATION})

# A client may cancel before the visit or report a failed visit afterwards ("chute"); quality control
# then rules on it, and only a proven false cancellation ("fausse chute") turns it billable again.
TRANSITIONS: dict[str, frozenset[str]] = {
    # A sheet sent back leaves the daily e-mail (which takes `taken` ones) until the agent's correction puts it
    # back, or it is dropped.
    TAKEN: frozenset({SENT_TO_CLIENT, RETURNED_TO_AGENT}),
    RETURNED_TO_AGENT: frozenset({TAKEN, CANCELLED}),
    SENT_TO_CLIENT: frozenset({CONFIRMED, CANCELLED_BY_CLIENT}),
    CONFIRMED: frozenset({VISITED, CANCELLED_BY_CLIENT}),
    CANCELLED_BY_CLIENT: frozenset({CANCELLED, FALSE_CANCELLATION}),
    VISITED: frozenset({VALIDATED, CANCELLED, FALSE_CANCELLATION, CANCELLED_BY_CLIENT}),
    VALIDATED: frozenset(),
    CANCELLED: frozenset(),
    FALSE_CANCELLATION: frozenset(),
}


class UnknownState(ValueError):
    """A state name that the appointment lifecycle does not have."""

    def __init__(self, state: str) -> None:
        super().__init__(_("Unknown appointment state: {state} (known: {known})").format(
            state=state, known=", ".join(STATES)))
        self.state = state


class IllegalTransition(ValueError):
    """A move the appointment lifecycle does not allow from its current state."""

    def __init__(self, current: str, target: str) -> None:
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or _("none, this state is final")
        super().__init__(_("An appointment cannot go from {current} to {target} (allowed: {allowed})").format(
            current=current, target=target, allowed=allowed))
        self.current = current
        self.target = target


class ProofRequired(ValueError):
    """A false cancellation ("fausse chute") recorded without its proof."""

    def __init__(self, missing: str) -> None:
        super().__init__(_("A false cancellation needs its proof: {missing} is missing").format(missing=missing))
        self.missing = missing


class InvalidSlot(ValueError):
    """A visit slot that cannot be booked."""

    def __init__(self, slot: object, problem: str) -> None:
        super().__init__(_("Visit slot {slot}: {problem}").format(slot=slot, problem=problem))


@dataclass(frozen=True)
class Proof:
    """What quality control holds to show a cancellation was false: a reference or a file name (one is enough),
    and a note saying why."""

    reference: str
    note: str
    file_name: str


@dataclass(frozen=True)
class TimeSlot:
    """The visit's date and time slot, aware, in the prospect's zone."""

    start: datetime
    end: datetime

    @property
    def zone(self) -> str:
        tz = self.start.tzinfo
        return tz.key if isinstance(tz, ZoneInfo) else str(tz)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def check_slot(slot: TimeSlot, now: datetime) -> None:
    """Refuse a slot that is naive, not in a named zone, empty, or already started."""
    if slot.start.tzinfo is None or slot.end.tzinfo is None:
        raise InvalidSlot(slot, _("give the time with the prospect's time zone"))
    if not isinstance(slot.start.tzinfo, ZoneInfo):
        raise InvalidSlot(slot, _("give the time in the prospect's named time zone, e.g. Europe/Paris"))
    if slot.end <= slot.start:
        raise InvalidSlot(slot, _("the end must come after the start"))
    if slot.start <= now:
        raise InvalidSlot(slot, _("the visit must be in the future"))


def check_transition(current: str, target: str, proof: Proof | None = None) -> None:
    """Raise unless an appointment in `current` may move to `target` (with its proof for a false cancellation)."""
    for state in (current, target):
        if state not in TRANSITIONS:
            raise UnknownState(state)
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    if target == FALSE_CANCELLATION:  # a proof is a reference or a stored file, with the reason in words
        if proof is None or not (proof.reference.strip() or proof.file_name.strip()):
            raise ProofRequired("reference")
        if not proof.note.strip():
            raise ProofRequired("note")


def state_label(state: str) -> str:
    """The state as a supervisor or client reads it."""
    labels = {
        TAKEN: _("taken"),
        SENT_TO_CLIENT: _("sent to client"),
        CONFIRMED: _("confirmed"),
        CANCELLED_BY_CLIENT: _("cancelled by the client"),
        VISITED: _("visited"),
        VALIDATED: _("validated"),
        CANCELLED: _("cancelled (chute)"),
        FALSE_CANCELLATION: _("false cancellation (fausse chute)"),
        RETURNED_TO_AGENT: _("sent back to the agent"),
    }
    return labels.get(state, state)
