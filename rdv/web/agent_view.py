"""What the agent screen shows of a call: the lead card, its history, the script, the sheet and the offers.

Built from the database in the request's session; the templates only lay it out. Phones other than the one
being called are masked: the agent dials nothing by hand, and a screen over a shoulder shows no full number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.calendar import zone_info
from campaigns.callback_offer import CallbackDay
from campaigns.callback_services import callback_offer
from campaigns.dispositions import LABELS, Disposition
from campaigns.models import Attempt, Callback, Campaign, Client
from campaigns.rdv_form import FormField, form_fields
from campaigns.rules import CampaignRules
from campaigns.script import CampaignScript, Criterion
from campaigns.script_render import Step, lead_fields, render_script
from campaigns.script_store import current_script
from campaigns.store import load_rules
from campaigns.visit_slots import DaySlots, offer_slots
from config.i18n import fmt_datetime, fmt_zone
from dialer.desk_models import AgentCommand
from leads.models import Lead, LeadPhone
from leads.phone import display, mask
from leads.places import place_of
from rdv.agent_desk import Pop
from reports.labels import outcome_label

# Dispositions on the screen's buttons, in this order, each with its key; others follow without a key.
SHORTCUTS = (("rdv", "1"), ("callback", "2"), ("refused", "3"), ("not_target", "4"), ("already_equipped", "5"),
             ("wrong_number", "6"), ("do_not_call", "7"), ("objection", "8"))
# Codes a person never picks: the dialer's own, and the wrap-up timer's.
NOT_PICKED = frozenset({"no_answer", "machine", "unqualified"})
CALL_CONTROLS = ("hangup", "hold", "unhold", "transfer")


@dataclass(frozen=True)
class PhoneLine:
    shown: str
    called: bool
    source: str


@dataclass(frozen=True)
class HistoryLine:
    at: str
    outcome: str
    disposition: str
    agent: str


@dataclass(frozen=True)
class DispositionButton:
    code: str
    label: str
    key: str
    effect: str


@dataclass(frozen=True)
class ControlLine:
    kind: str
    at: datetime
    done: bool
    ok: bool | None
    result: str


@dataclass(frozen=True)
class CallView:
    """Everything the pop shows; `script` is None when the campaign has no script loaded."""

    pop: Pop
    lead: Lead
    campaign: Campaign
    client_name: str
    zone: str
    zone_name: str
    departement: str
    phones: tuple[PhoneLine, ...]
    custom: tuple[tuple[str, str], ...]
    history: tuple[HistoryLine, ...]
    callback_note: str
    script: CampaignScript | None
    steps: tuple[Step, ...]
    fields: tuple[FormField, ...]
    criteria: tuple[Criterion, ...]
    dispositions: tuple[DispositionButton, ...]
    controls: tuple[ControlLine, ...]


def call_view(session: Session, pop: Pop, agent_name: str, now: datetime, centre_timezone: str) -> CallView:
    """The pop of one call, read in a handful of queries."""
    lead = session.get_one(Lead, pop.lead_id)
    campaign = session.get_one(Campaign, pop.campaign_id)
    client = session.get_one(Client, campaign.client_id)
    rules = load_rules(session, campaign.id, centre_timezone)
    zone = lead.timezone or campaign.timezone
    loaded = current_script(session, campaign.id)
    script = loaded[1] if loaded else None
    place = place_of(lead.postcode)
    return CallView(
        pop=pop, lead=lead, campaign=campaign, client_name=client.name, zone=zone, zone_name=fmt_zone(zone),
        departement=place.departement if place else "",
        phones=phone_lines(session, lead, pop.phone_e164),
        custom=tuple((str(k), str(v)) for k, v in (lead.custom or {}).items() if str(v).strip()),
        history=history(session, lead, zone),
        callback_note=_callback_note(session, lead.id),
        script=script,
        steps=render_script(script.script, lead_fields(lead, agent=agent_name, client=client.name),
                            recorded=rules.settings.record_calls) if script else (),
        fields=form_fields(script.questions) if script else (),
        criteria=script.criteria if script else (),
        dispositions=disposition_buttons(rules),
        controls=_controls(session, pop),
    )


@dataclass(frozen=True)
class Offers:
    """The visit slots the client accepts and the callback moments the calendar allows, for one call."""

    slots: tuple[DaySlots, ...]
    callbacks: tuple[CallbackDay, ...]


def offers(session: Session, pop: Pop, now: datetime, centre_timezone: str) -> Offers:
    """Fetched by the screen once the pop shows: the pop itself stays small and quick."""
    lead = session.get_one(Lead, pop.lead_id)
    campaign = session.get_one(Campaign, pop.campaign_id)
    zone = lead.timezone or campaign.timezone
    loaded = current_script(session, campaign.id)
    rules = load_rules(session, campaign.id, centre_timezone)
    slots = offer_slots(loaded[1].visit_rules(), zone, now, lead.country, lead.subdivision) if loaded else ()
    return Offers(slots, callback_offer(session, lead, rules, now))


def disposition_buttons(rules: CampaignRules) -> tuple[DispositionButton, ...]:
    """The campaign's dispositions an agent picks, the usual ones first with their one-key shortcut."""
    keys = dict(SHORTCUTS)
    known: dict[str, Disposition] = dict(rules.dispositions)
    ordered = [c for c, _k in SHORTCUTS if c in known] + sorted(c for c in known if c not in keys)
    return tuple(DispositionButton(c, known[c].label(), keys.get(c, ""), known[c].effect)
                 for c in ordered if c not in NOT_PICKED)


def phone_lines(session: Session, lead: Lead, called: str) -> tuple[PhoneLine, ...]:
    rows = session.execute(select(LeadPhone.e164, LeadPhone.source_column).where(LeadPhone.lead_id == lead.id)
                           .order_by(LeadPhone.rank)).all()
    numbers = [(r.e164, r.source_column) for r in rows] or [(lead.phone_e164, "")]
    if called and called not in {n for n, _s in numbers}:
        numbers.insert(0, (called, ""))
    return tuple(PhoneLine(display(n) if n == called else mask(n), n == called, s) for n, s in numbers)


def history(session: Session, lead: Lead, zone: str) -> tuple[HistoryLine, ...]:
    tz = zone_info(zone)
    rows = session.scalars(select(Attempt).where(Attempt.lead_id == lead.id)
                           .order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(20))
    return tuple(HistoryLine(fmt_datetime(_aware(a.created_at).astimezone(tz), "short"),
                             outcome_label(a.outcome), disposition_label(a.disposition), a.agent) for a in rows)


def disposition_label(code: str) -> str:
    """A stored disposition code as agents read it (the default labels; a campaign's own code as it is)."""
    return LABELS[code]() if code in LABELS else code


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _callback_note(session: Session, lead_id: int) -> str:
    note = session.scalar(select(Callback.note).where(Callback.lead_id == lead_id, Callback.note != "")
                          .order_by(Callback.created_at.desc()).limit(1))
    return note or ""


def _controls(session: Session, pop: Pop) -> tuple[ControlLine, ...]:
    rows = session.scalars(select(AgentCommand).where(
        AgentCommand.login == pop.login, AgentCommand.kind.in_(CALL_CONTROLS),
        AgentCommand.created_at >= pop.connected_at).order_by(AgentCommand.id))
    return tuple(ControlLine(r.kind, r.created_at, r.done_at is not None, r.ok, r.result) for r in rows)
