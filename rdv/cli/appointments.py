"""`rdv appointments …`: the supervisor's view of the RDV sheets after they are taken, and their lifecycle.

The lifecycle itself (which moves exist, the proof a "fausse chute" needs) lives in `campaigns.appointment_rules`;
this module reads people's words for states and ids and shows the sheets as the daily e-mail labels them.
"""

from __future__ import annotations

import getpass
import os
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from campaigns import store
from campaigns.appointment_rules import (
    CANCELLED,
    CANCELLED_BY_CLIENT,
    CONFIRMED,
    FALSE_CANCELLATION,
    RETURNED_TO_AGENT,
    SENT_TO_CLIENT,
    STATES,
    TAKEN,
    TRANSITIONS,
    VALIDATED,
    VISITED,
    IllegalTransition,
    Proof,
    ProofRequired,
    state_label,
)
from campaigns.appointment_services import change_state, day_bounds, get_appointment, list_appointments
from campaigns.appointments import Appointment
from campaigns.models import Campaign
from campaigns.script_store import script_version
from config.i18n import _, fmt_date, fmt_datetime, fmt_time, ngettext
from leads.models import Lead
from rdv.cli.common import UserError, console, wired
from reports.appointment_sheet import AppointmentSheet
from reports.daily_appointments import appointment_sheet

app = typer.Typer(no_args_is_help=True, help="Appointments (RDV sheets): list, show, and move through their lifecycle.")

# The words supervisors type, accents, case and separators aside. "annulé" alone is resolved against
# the appointment's current state, because people say it both for the client's cancellation and a chute.
STATE_WORDS: dict[str, tuple[str, ...]] = {
    **{code: (code,) for code in STATES},
    "pris": (TAKEN,), "sent": (SENT_TO_CLIENT,), "envoye": (SENT_TO_CLIENT,), "envoye_au_client": (SENT_TO_CLIENT,),
    "confirme": (CONFIRMED,),
    "annule": (CANCELLED_BY_CLIENT, CANCELLED), "annule_par_le_client": (CANCELLED_BY_CLIENT,),
    "annule_client": (CANCELLED_BY_CLIENT,), "cancelled_by_the_client": (CANCELLED_BY_CLIENT,),
    "visite": (VISITED,), "valide": (VALIDATED,),
    "chute": (CANCELLED,), "annule_chute": (CANCELLED,), "cancelled_chute": (CANCELLED,),
    "fausse_chute": (FALSE_CANCELLATION,), "false_cancellation_fausse_chute": (FALSE_CANCELLATION,),
    "renvoye": (RETURNED_TO_AGENT,), "renvoye_au_teleacteur": (RETURNED_TO_AGENT,),
    "sent_back_to_the_agent": (RETURNED_TO_AGENT,),
}
# What to type instead of an ambiguous word.
SAY = {CANCELLED_BY_CLIENT: "annulé-client", CANCELLED: "chute"}
REFERENCE = re.compile(r"^\s*(?:rdv[-\s]*)?#?0*(\d+)\s*$", re.IGNORECASE)


class UnknownAppointmentReference(ValueError):
    """Text that is neither an appointment number nor a reference such as RDV-000042."""

    def __init__(self, text: str) -> None:
        super().__init__(_("Not an appointment reference: {text} (expected RDV-000042 or 42)").format(text=text))
        self.text = text


class UnknownStateWord(ValueError):
    """A state name that is neither a lifecycle code nor a French word for one."""

    def __init__(self, text: str) -> None:
        super().__init__(_("Unknown appointment state: {text} (for example: {examples})").format(
            text=text, examples="confirmé, annulé, visité, validé, chute, fausse-chute"))
        self.text = text


class AmbiguousState(ValueError):
    """A word such as "annulé" that could mean more than one move from the appointment's state."""

    def __init__(self, text: str, choices: tuple[str, ...]) -> None:
        super().__init__(_("{text} could mean {choices}: say which").format(
            text=text, choices=" / ".join(f"{SAY.get(c, c)} = {state_label(c)}" for c in choices)))


def _normalised(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def parse_reference(text: str) -> int:
    """The appointment id in `RDV-000042`, `rdv 42`, `#42` or `42`."""
    found = REFERENCE.match(text)
    if found is None or int(found.group(1)) == 0:
        raise UnknownAppointmentReference(text)
    return int(found.group(1))


def state_candidates(text: str) -> tuple[str, ...]:
    """The lifecycle codes a state word may mean (one, except for "annulé")."""
    candidates = STATE_WORDS.get(_normalised(text))
    if candidates is None:
        raise UnknownStateWord(text)
    return candidates


def resolve_state(text: str, current: str) -> str:
    """The code meant by `text` for an appointment now in `current`."""
    candidates = state_candidates(text)
    if len(candidates) == 1:
        return candidates[0]
    possible = tuple(c for c in candidates if c in TRANSITIONS.get(current, ()))
    if len(possible) > 1:
        raise AmbiguousState(text, possible)
    # None possible: keep the first meaning, so the refusal names the lifecycle rule that applies.
    return possible[0] if possible else candidates[0]


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(_("expected a date such as 2026-11-23"), param_hint=option) from None


def _visit_short(sheet: AppointmentSheet) -> str:
    return _("{day}, {start} – {end}").format(
        day=fmt_date(sheet.visit_start.date(), "EEE d MMM y"), start=fmt_time(sheet.visit_start),
        end=fmt_time(sheet.visit_end))


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _range(campaign: Campaign, day: str, start: str, end: str) -> tuple[datetime | None, datetime | None]:
    if day and (start or end):
        raise UserError(_("Give either --day or --from/--to, not both."))
    if day:
        return day_bounds(_day(day, "--day"), campaign.timezone)
    low = day_bounds(_day(start, "--from"), campaign.timezone)[0] if start else None
    high = day_bounds(_day(end, "--to"), campaign.timezone)[1] if end else None
    return low, high


@app.command("list")
def list_(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    state: list[str] = typer.Option([], "--state", help="Only these states (repeatable): code or French word."),
    day: str = typer.Option("", "--day", help="Taken on this calling day (YYYY-MM-DD, campaign's zone)."),
    start: str = typer.Option("", "--from", help="Taken on or after this day (YYYY-MM-DD)."),
    end: str = typer.Option("", "--to", help="Taken on or before this day (YYYY-MM-DD)."),
    visits: bool = typer.Option(False, "--visits", help="The days filter the visit dates instead."),
) -> None:
    """List a campaign's appointments with their state, and how many are in each state."""
    with wired() as application, application.sessions() as session:
        states = [code for word in state for code in state_candidates(word)]
        found = store.get_campaign(session, campaign)
        low, high = _range(found, day, start, end)
        rows = list_appointments(session, found.id, states=states, start=low, end=high, by_visit=visits)
        table = Table(_("Reference"), _("Visit"), _("Prospect"), _("Town"), _("Agent"), _("Conform"), _("State"))
        counts: Counter[str] = Counter()
        for appointment, lead in rows:
            sheet = appointment_sheet(appointment, lead, None, found.timezone)
            counts[appointment.state] += 1
            table.add_row(sheet.reference, _visit_short(sheet), escape(sheet.prospect), escape(sheet.town),
                          escape(sheet.agent), _yes_no(sheet.conform), state_label(appointment.state))
        console.print(table)
        console.print(ngettext("{count} appointment", "{count} appointments", len(rows)).format(count=len(rows)))
        for code in STATES:
            if counts[code]:
                console.print("  " + _("{state}: {count}").format(state=state_label(code), count=counts[code]))


def _history(appointment: Appointment, zone: str) -> Table:
    table = Table(_("When"), _("By"), _("From"), _("To"), _("Note"), title=_("History"))
    tz = ZoneInfo(zone)
    for event in appointment.events:
        table.add_row(fmt_datetime(event.at.astimezone(tz), "short"), escape(event.by),
                      state_label(event.from_state) if event.from_state else "—", state_label(event.to_state),
                      escape(event.note))
    return table


def _fields(appointment: Appointment, sheet: AppointmentSheet, campaign: Campaign) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = [
        (_("Reference"), sheet.reference), (_("State"), state_label(appointment.state)),
        (_("Campaign"), campaign.name), (_("Prospect"), sheet.prospect), (_("Phone"), sheet.phone),
        (_("E-mail"), sheet.email), (_("Address"), sheet.address), (_("Town"), sheet.town),
        (_("Visit"), sheet.visit_text), (_("Time zone"), appointment.timezone),
        (_("Taken"), fmt_datetime(sheet.taken_at, "short")), (_("Agent"), sheet.agent),
        (_("Call"), str(sheet.call_id or "—")), (_("Script version"), str(appointment.script_version or "—")),
        (_("Conform"), _yes_no(sheet.conform)), (_("Comments"), sheet.comments),
    ]
    if appointment.sent_at is not None:
        fields.append((_("Sent to client"), _("{when}, e-mail no. {id}").format(
            when=fmt_datetime(appointment.sent_at.astimezone(ZoneInfo(campaign.timezone)), "short"),
            id=appointment.sent_message_id)))
    if appointment.proof_reference:
        fields.append((_("Proof"), f"{appointment.proof_reference} · {appointment.proof_file_name}"))
        fields.append((_("Proof note"), appointment.proof_note))
    return fields


def _details(session: Session, appointment: Appointment) -> None:
    campaign = session.get_one(Campaign, appointment.campaign_id)
    lead = session.get_one(Lead, appointment.lead_id)
    script = script_version(session, campaign.id, appointment.script_version) if appointment.script_version else None
    sheet = appointment_sheet(appointment, lead, script, campaign.timezone)
    summary = Table.grid(padding=(0, 2))
    for label, value in _fields(appointment, sheet, campaign):
        summary.add_row(f"[bold]{escape(label)}[/]", escape(value))
    console.print(summary)
    answers = Table(_("Question"), _("Answer"), title=_("Qualifying answers"))
    for answer in sheet.answers:
        answers.add_row(escape(answer.label), escape(answer.text))
    console.print(answers)
    if sheet.unmet:
        console.print(_("Unmet criteria:"))
        for label in sheet.unmet:
            console.print(f"  • {escape(label)}")
    console.print(_history(appointment, campaign.timezone))


@app.command("show")
def show(reference: str = typer.Argument(..., help="RDV-000042 or 42.")) -> None:
    """Show an appointment: every field, the qualifying answers, the unmet criteria and its history."""
    with wired() as application, application.sessions() as session:
        _details(session, get_appointment(session, parse_reference(reference)))


def _default_user() -> str:
    try:
        return getpass.getuser()
    except OSError:
        return os.environ.get("USER", "") or "supervisor"


def _proof(reference: str, note: str, file_name: str) -> Proof | None:
    return Proof(reference, note, file_name) if reference or note or file_name else None


PROOF_OPTIONS = {"reference": "--proof-ref / --proof-file", "note": "--proof-note", "file_name": "--proof-file"}


@app.command("set")
def set_state(
    reference: str = typer.Argument(..., help="RDV-000042 or 42."),
    state: str = typer.Argument(..., help="New state: confirmé, annulé, visité, validé, chute, fausse-chute …"),
    note: str = typer.Option("", "--note", help="Why, as it should read in the history."),
    proof_ref: str = typer.Option("", "--proof-ref", help="Fausse chute: the proof's reference."),
    proof_note: str = typer.Option("", "--proof-note", help="Fausse chute: what the proof shows."),
    proof_file: str = typer.Option("", "--proof-file", help="Fausse chute: the proof's file name."),
    by: str = typer.Option("", "--by", help="Who decides; default the system user name."),
) -> None:
    """Move an appointment to another state of its lifecycle; refused, nothing stored, if the move is not allowed."""
    who = by.strip() or _default_user()
    with wired() as application, application.sessions.begin() as session:
        appointment_id = parse_reference(reference)
        current = get_appointment(session, appointment_id, lock=True)
        before = current.state
        target = resolve_state(state, before)
        proof = _proof(proof_ref, proof_note, proof_file)
        if proof is not None and target != FALSE_CANCELLATION:
            raise UserError(_("A proof is kept only with a false cancellation (fausse chute)."))
        try:
            changed = change_state(session, appointment_id, target, by=who, now=application.clock.now(),
                                   note=note.strip(), proof=proof)
        except IllegalTransition as exc:
            allowed = ", ".join(state_label(s) for s in STATES if s in TRANSITIONS[before]) or _(
                "none, this state is final")
            raise UserError(_("{reference} is {current}: it cannot become {target} (possible: {allowed})").format(
                reference=f"RDV-{appointment_id:06d}", current=state_label(before), target=state_label(target),
                allowed=allowed)) from exc
        except ProofRequired as exc:
            raise UserError(_("A false cancellation needs its proof: give {option}").format(
                option=PROOF_OPTIONS.get(exc.missing, exc.missing))) from exc
        console.print(_("{reference}: {before} → {after} (by {by})").format(
            reference=f"RDV-{changed.id:06d}", before=state_label(before), after=state_label(changed.state),
            by=escape(who)))
