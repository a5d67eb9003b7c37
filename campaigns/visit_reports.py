"""The client's visit reports: what happened at each sales visit, with a reason from a list and a comment.

A report never overwrites another (a correction is a new report) and moves the appointment through the same
lifecycle as `rdv appointments set`: an honoured visit makes it `visited`; a cancellation, an absent prospect
("chute") or a non-conforming RDV makes it `cancelled_by_client`, which quality control then settles.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import CANCELLED_BY_CLIENT, CONFIRMED, SENT_TO_CLIENT, VISITED, check_transition
from campaigns.appointment_services import change_state, get_appointment
from campaigns.portal_models import VisitReport
from config.i18n import _

HONOURED_SALE = "honoured_sale"
HONOURED_NO_SALE = "honoured_no_sale"
CANCELLED_BY_PROSPECT = "cancelled_by_prospect"
ABSENT = "absent"
NOT_CONFORMING = "not_conforming"

OUTCOMES: dict[str, Callable[[], str]] = {
    HONOURED_SALE: lambda: _("honoured, with a sale"),
    HONOURED_NO_SALE: lambda: _("honoured, no sale"),
    CANCELLED_BY_PROSPECT: lambda: _("cancelled by the prospect"),
    ABSENT: lambda: _("prospect absent (chute)"),
    NOT_CONFORMING: lambda: _("not conforming"),
}
# The reasons a client picks from, by outcome; "other" always needs the comment.
REASONS: dict[str, dict[str, Callable[[], str]]] = {
    HONOURED_SALE: {"signed": lambda: _("contract signed"), "quote_accepted": lambda: _("quote accepted")},
    HONOURED_NO_SALE: {"price": lambda: _("price too high"), "thinking": lambda: _("prospect wants to think"),
                       "no_need": lambda: _("no real need"), "competitor": lambda: _("chose a competitor")},
    CANCELLED_BY_PROSPECT: {"changed_mind": lambda: _("prospect changed their mind"),
                            "postponed": lambda: _("visit postponed by the prospect"),
                            "unreachable": lambda: _("prospect unreachable to confirm")},
    ABSENT: {"nobody_home": lambda: _("nobody at home"), "wrong_address": lambda: _("wrong address"),
             "forgot": lambda: _("prospect forgot the visit")},
    NOT_CONFORMING: {"not_owner": lambda: _("prospect is not the owner"),
                     "decider_absent": lambda: _("a decision-maker was missing"),
                     "out_of_target": lambda: _("outside the target"),
                     "duplicate": lambda: _("duplicate of another RDV")},
}
OTHER = "other"
HONOURED = frozenset({HONOURED_SALE, HONOURED_NO_SALE})


class InvalidReport(ValueError):
    """A visit report whose outcome or reason is not in the lists, or whose "other" reason has no comment."""

    def __init__(self, field: str, value: str) -> None:
        what = {"outcome": _("the outcome"), "reason": _("the reason"),
                "comment": _("the comment (needed with the reason “other”)")}.get(field, field)
        super().__init__(_("Visit report: {what} is missing or not in the list ({value}).").format(
            what=what, value=value or "—"))
        self.field = field


def reason_label(outcome: str, reason: str) -> str:
    """A reason as the client reads it."""
    if reason == OTHER:
        return _("other")
    found = REASONS.get(outcome, {}).get(reason)
    return found() if found is not None else reason


def outcome_label(outcome: str) -> str:
    found = OUTCOMES.get(outcome)
    return found() if found is not None else outcome


def steps_for(outcome: str, state: str) -> list[str]:
    """The lifecycle moves a report of `outcome` makes from `state` (empty when it is already there)."""
    if outcome in HONOURED:
        path = {SENT_TO_CLIENT: [CONFIRMED, VISITED], CONFIRMED: [VISITED], VISITED: []}
        if state in path:
            return path[state]
        check_transition(state, VISITED)  # raises: the RDV was not sent yet, or is settled
        return [VISITED]
    if state == CANCELLED_BY_CLIENT:
        return []
    check_transition(state, CANCELLED_BY_CLIENT)
    return [CANCELLED_BY_CLIENT]


def check_report(outcome: str, reason: str, comment: str) -> None:
    if outcome not in OUTCOMES:
        raise InvalidReport("outcome", outcome)
    if reason != OTHER and reason not in REASONS[outcome]:
        raise InvalidReport("reason", reason)
    if reason == OTHER and not comment.strip():
        raise InvalidReport("comment", "")


def report_visit(session: Session, appointment_id: int, outcome: str, reason: str, *, comment: str = "",
                 by: str, now: datetime) -> VisitReport:
    """Store a report of the visit and move the appointment as the report says, in the caller's transaction."""
    check_report(outcome, reason, comment)
    appointment = get_appointment(session, appointment_id, lock=True)
    steps = steps_for(outcome, appointment.state)
    report = VisitReport(appointment_id=appointment_id, outcome=outcome, reason=reason, comment=comment.strip(),
                         by=by, at=now)  # fmt: skip
    session.add(report)
    session.flush()
    for target in steps:
        change_state(session, appointment_id, target, by=by, now=now,
                     note=_("visit report: {outcome}").format(outcome=outcome_label(outcome)))
    return report


def reports_of(session: Session, appointment_id: int) -> list[VisitReport]:
    """Every report of an appointment, oldest first."""
    query = select(VisitReport).where(VisitReport.appointment_id == appointment_id).order_by(VisitReport.id)
    return list(session.scalars(query))
