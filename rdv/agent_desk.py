"""What the web asks of the dialer for an agent, and what it reads back: the agent desk's side of the bus.

Every function works in the caller's session (the web's request transaction); wake-ups are sent when it
commits. Commands are applied by the dialer that runs the agent's campaign (`rdv.agent_bus`), in order per
agent; `command_result` tells the screen what came of one. Dispositions are stored here, through the same
services as the CLI and the simulated agents (`campaigns.outcomes.record_disposition`,
`campaigns.appointment_services.book_appointment`), then the dialer is told the wrap-up may end.

The screen proves it is there with `heartbeat` (every `HEARTBEAT_EVERY_S` while its live stream is open);
an agent whose screen has been silent for `SEAT_TIMEOUT_S` is handed no new call (paused "disconnected"
after the current one), and their call stays theirs to qualify when they are back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import TimeSlot
from campaigns.appointment_services import book_appointment
from campaigns.models import Attempt
from campaigns.outcomes import record_disposition
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE
from config.i18n import _
from config.orm import utcnow
from dialer.desk_models import AgentCommand, AgentSeat, CallPop, PauseReason
from dialer.models import AgentRecord
from rdv.wakeup import Notifier, agent_topic, dialer_topic

HEARTBEAT_EVERY_S = 10.0
SEAT_TIMEOUT_S = 30.0
DISCONNECTED = "disconnected"  # the pause reason of an agent whose screen is gone (not one agents pick)

# Each kind and the arguments it needs. `wrapped` is sent by `save_disposition`, not by a button.
KINDS: dict[str, tuple[str, ...]] = {
    "login": ("campaign_id",), "ready": (), "pause": ("reason",), "logout": (), "hangup": (), "hold": (),
    "unhold": (), "transfer": ("to_login",), "listen": ("agent_login",), "whisper": ("agent_login",),
    "wrapped": ("attempt_id",),
}
# Commands a supervisor sends about another agent's call: the command belongs to that agent.
ABOUT_AGENT = ("listen", "whisper")


class DeskError(ValueError):
    """A request the desk refuses, with the sentence the screen shows."""


class UnknownCommand(DeskError):
    def __init__(self, kind: str) -> None:
        super().__init__(_("Unknown agent command: {kind}").format(kind=kind))


class MissingArgument(DeskError):
    def __init__(self, kind: str, name: str) -> None:
        super().__init__(_("The command {kind} needs {name}").format(kind=kind, name=name))


class NoCampaign(DeskError):
    def __init__(self, login: str) -> None:
        super().__init__(_("{login} is not logged in to a campaign").format(login=login))


class NotYourCall(LookupError):
    """The attempt is not a call this agent had (the web answers 404)."""

    def __init__(self, login: str, attempt_id: int) -> None:
        super().__init__(_("Call {attempt} is not one of {login}'s calls").format(attempt=attempt_id, login=login))


@dataclass(frozen=True)
class Presence:
    """An agent's presence as the dialer last stored it."""

    login: str
    campaign_id: int | None
    state: str  # logged_out, available, on_call, wrap_up, paused
    since: datetime | None
    reason: str
    call_id: str


@dataclass(frozen=True)
class Pop:
    """A call connected to an agent, what the screen shows until it is qualified."""

    login: str
    attempt_id: int
    lead_id: int
    campaign_id: int
    call_id: str
    phone_e164: str
    connected_at: datetime
    ended_at: datetime | None
    wrap_until: datetime | None
    qualified_at: datetime | None
    disposition: str

    @property
    def live(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class CommandResult:
    id: int
    kind: str
    done_at: datetime | None
    ok: bool | None
    result: str


@dataclass(frozen=True)
class PauseCode:
    code: str
    label: str
    max_minutes: int


PAUSE_LABELS: dict[str, Callable[[], str]] = {
    "break": lambda: _("Break"), "lunch": lambda: _("Lunch"), "training": lambda: _("Training"),
    "meeting": lambda: _("Meeting"), "briefing": lambda: _("Briefing"), "technical": lambda: _("Technical issue"),
    DISCONNECTED: lambda: _("Screen disconnected"), "wrap-up": lambda: _("Wrap-up"),
}


def pause_label(code: str, stored: str = "") -> str:
    """The label of a pause code: the stored one, else the catalogue's, else the code."""
    if stored:
        return stored
    factory = PAUSE_LABELS.get(code)
    return factory() if factory else code


def send(session: Session, notifier: Notifier | None, login: str, kind: str, *, sent_by: str = "",
         now: datetime | None = None, **args: Any) -> int:
    """Queue a command for the dialer of the agent's campaign; its id (see `command_result`)."""
    if kind not in KINDS:
        raise UnknownCommand(kind)
    for name in KINDS[kind]:
        if args.get(name) in (None, ""):
            raise MissingArgument(kind, name)
    about = str(args["agent_login"]) if kind in ABOUT_AGENT else login
    if kind == "login":
        campaign_id = int(args["campaign_id"])
    else:
        known = session.scalar(select(AgentRecord.campaign_id).where(AgentRecord.login == about))
        if known is None:
            raise NoCampaign(about)
        campaign_id = known
    moment = now or utcnow()
    command = AgentCommand(login=about, sent_by=sent_by or login, campaign_id=campaign_id, kind=kind,
                           args=dict(args), created_at=moment)
    session.add(command)
    if sent_by in ("", login):  # the agent's own screen sent it: it is there
        heartbeat(session, login, moment)
    session.flush()
    if notifier is not None:
        notifier.notify(dialer_topic(campaign_id), str(command.id), session=session)
    return command.id


def sign_off(session: Session, notifier: Notifier | None, login: str, *, by: str, now: datetime) -> int | None:
    """Log a teleoperator out of the dialer (their account was just disabled): the queue stops handing them calls
    at once, a call in progress goes on at the phone. The command's id, or None when they were not logged in."""
    if presence(session, login).state == "logged_out":
        return None
    return send(session, notifier, login, "logout", sent_by=by, now=now)


def command_result(session: Session, command_id: int) -> CommandResult:
    """What came of a command (`done_at` None while the dialer has not applied it)."""
    row = session.get_one(AgentCommand, command_id)
    return CommandResult(row.id, row.kind, row.done_at, row.ok, row.result)


def presence(session: Session, login: str) -> Presence:
    """The agent's presence (logged out when the dialer never saw them)."""
    row = session.scalar(select(AgentRecord).where(AgentRecord.login == login))
    if row is None:
        return Presence(login, None, "logged_out", None, "", "")
    return Presence(login, row.campaign_id, row.state, row.since, row.pause_reason, row.call_id)


def current_call(session: Session, login: str) -> Pop | None:
    """The agent's call on screen: live, or ended and not yet qualified; None otherwise."""
    row = session.execute(
        select(CallPop, Attempt.disposition).join(Attempt, Attempt.id == CallPop.attempt_id)
        .where(CallPop.login == login).order_by(CallPop.id.desc()).limit(1)
    ).one_or_none()
    if row is None:
        return None
    pop, disposition = row
    if pop.ended_at is not None and (pop.qualified_at is not None or disposition):
        return None
    return _pop(pop, disposition)


def pop_of(session: Session, login: str, attempt_id: int) -> Pop:
    """One of the agent's calls; NotYourCall when the agent never had it."""
    row = session.execute(select(CallPop, Attempt.disposition).join(Attempt, Attempt.id == CallPop.attempt_id)
                          .where(CallPop.login == login, CallPop.attempt_id == attempt_id)).one_or_none()
    if row is None:
        raise NotYourCall(login, attempt_id)
    return _pop(row[0], row[1])


def _pop(pop: CallPop, disposition: str) -> Pop:
    return Pop(pop.login, pop.attempt_id, pop.lead_id, pop.campaign_id, pop.call_id, pop.phone_e164,
               pop.connected_at, pop.ended_at, pop.wrap_until, pop.qualified_at, disposition)


def save_disposition(
    session: Session, notifier: Notifier | None, login: str, attempt_id: int, code: str,
    answers: Mapping[str, Any] | None = None, slot: TimeSlot | None = None, callback_at: datetime | None = None,
    note: str = "", dnc: bool = False, *, now: datetime, centre_timezone: str = DEFAULT_CENTRE_TIMEZONE,
) -> Pop:
    """Qualify the agent's call (booking the RDV sheet for `rdv`), then let the dialer end the wrap-up.

    `dnc` is "ne plus appeler": the call is qualified do-not-call (the number is listed for the client).
    Raises NotYourCall, the services' own errors (UnknownDisposition, CallbackRefused, InvalidSlot, …), or
    DeskError.
    """
    pop = session.scalar(select(CallPop).where(CallPop.login == login, CallPop.attempt_id == attempt_id))
    if pop is None:
        raise NotYourCall(login, attempt_id)
    if dnc and code not in ("do_not_call", "objection"):
        if code in ("rdv", "callback"):
            raise DeskError(_("An appointment or a callback cannot also be 'do not call'"))
        code = "do_not_call"
    if code == "rdv":
        if slot is None:
            raise DeskError(_("An appointment needs a visit slot"))
        book_appointment(session, slot=slot, answers=dict(answers or {}), agent=login, now=now,
                         attempt_id=attempt_id, comments=note)
    record_disposition(session, attempt_id, code, now, login, callback_at, note, centre_timezone=centre_timezone)
    pop.qualified_at = now
    send(session, notifier, login, "wrapped", now=now, attempt_id=attempt_id)
    if notifier is not None:
        notifier.notify(agent_topic(login), "qualified", session=session)
    session.flush()
    return pop_of(session, login, attempt_id)


def pause_reasons(session: Session) -> list[PauseCode]:
    """The pause codes agents choose from, in their order."""
    rows = session.scalars(select(PauseReason).where(PauseReason.active.is_(True))
                           .order_by(PauseReason.position, PauseReason.code))
    return [PauseCode(r.code, pause_label(r.code, r.label), r.max_minutes) for r in rows]


def heartbeat(session: Session, login: str, now: datetime) -> None:
    """The agent's screen is there (its live stream calls this every HEARTBEAT_EVERY_S)."""
    seat = session.get(AgentSeat, login)
    if seat is None:
        session.add(AgentSeat(login=login, seen_at=now))
    elif seat.seen_at < now:  # never back: a command stamped by a slower clock says nothing new
        seat.seen_at = now


def seat_present(seen_at: datetime | None, now: datetime, timeout_s: float = SEAT_TIMEOUT_S) -> bool:
    """Whether a screen last seen at `seen_at` still counts as there at `now`. Pure."""
    return seen_at is not None and (now - seen_at).total_seconds() <= timeout_s
