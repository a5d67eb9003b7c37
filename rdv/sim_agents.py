"""What simulated agents record after a conversation: refusals, callbacks and RDV sheets filled from the script.

Simulation is the composition root's business, never the dialer's: `SimulatedQualification` listens to the
engine's finished calls (`Engine.on_call_finished`) and qualifies the connected ones its own agents took, as
a teleoperator would on the agent screen. An appointment is booked and the `rdv` disposition recorded in one
transaction, so the RDV sheet and the lead's final status never part.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_rules import TimeSlot
from campaigns.appointment_services import book_appointment
from campaigns.callback_services import callback_offer
from campaigns.models import Campaign
from campaigns.outcomes import record_disposition
from campaigns.script import CampaignScript, Criterion, Question
from campaigns.script_store import current_script
from campaigns.store import load_rules
from campaigns.visit_slots import offer_slots
from config.orm import transaction
from dialer.live import CallFinished
from leads.models import Lead

log = logging.getLogger(__name__)

# Shares of dispositions after a real conversation, plausible for a consented B2C carpentry list.
CONVERSATION = (("refused", 50), ("not_target", 13), ("already_equipped", 8), ("callback", 12), ("rdv", 12),
                ("wrong_number", 3), ("do_not_call", 2))  # fmt: skip
# Under this many seconds there was no pitch: no appointment or callback can come out of it.
SHORT_CALL_S = 40.0
SHORT = (("refused", 70), ("wrong_number", 15), ("do_not_call", 5), ("not_target", 10))
CONFORM_SHARE = 0.85


@dataclass(frozen=True)
class CallSummary:
    """What a simulated agent remembers of a finished conversation."""

    attempt_id: int
    lead_id: int
    campaign_id: int
    agent: str
    talk_s: float
    ended_at: datetime


class SimulatedQualification:
    """Seeded dispositions for the connected calls of simulated agents; a listener of the engine's finished calls."""

    def __init__(self, sessions: sessionmaker[Session], seed: int, centre_timezone: str = "Europe/Paris",
                 logins: Iterable[str] = ()) -> None:  # fmt: skip
        self.sessions = sessions
        self.rng = random.Random(seed)
        self.centre_timezone = centre_timezone
        # Only these agents' calls are qualified here: a real teleoperator qualifies on the agent screen.
        self.logins = set(logins)
        self.refused_by_rules = 0
        self.recorded: Counter[str] = Counter()

    def __call__(self, finished: CallFinished) -> None:
        """Qualify a finished call if one of our simulated agents had the conversation."""
        ended = finished.ended
        if ended.outcome != "connected" or ended.agent not in self.logins:
            return
        summary = CallSummary(finished.attempt_id, finished.lead_id, finished.campaign_id, ended.agent,
                              ended.talk_s or 0.0, ended.at)  # fmt: skip
        code, _callback = self.qualify(summary)
        self.recorded[code] += 1

    def qualify(self, summary: CallSummary) -> tuple[str, datetime | None]:
        """Choose and store a disposition (with its RDV sheet or callback); returns it."""
        mix = SHORT if summary.talk_s < SHORT_CALL_S else CONVERSATION
        code = self.rng.choices([c for c, _w in mix], weights=[w for _c, w in mix])[0]
        try:
            with transaction(self.sessions) as session:
                callback_at = self._record(session, summary, code)
            return code, callback_at
        except (ValueError, LookupError) as error:
            # A callback the cap or calendar refuses, a campaign without script: the prospect declined instead.
            self.refused_by_rules += 1
            log.info("simulated %s on attempt %s not possible (%s): recorded as refused",
                     code, summary.attempt_id, type(error).__name__)  # fmt: skip
            with transaction(self.sessions) as session:
                record_disposition(session, summary.attempt_id, "refused", summary.ended_at, summary.agent,
                                   centre_timezone=self.centre_timezone)  # fmt: skip
            return "refused", None

    def _record(self, session: Session, summary: CallSummary, code: str) -> datetime | None:
        callback_at = self._callback_time(session, summary) if code == "callback" else None
        if code == "rdv":
            loaded = current_script(session, summary.campaign_id)
            if loaded is None:
                raise LookupError("no script loaded")
            script = loaded[1]
            book_appointment(session, slot=self._slot(session, summary, script),
                             answers=self.answers(script), agent=summary.agent, now=summary.ended_at,
                             attempt_id=summary.attempt_id)  # fmt: skip
        record_disposition(session, summary.attempt_id, code, summary.ended_at, summary.agent, callback_at,
                           centre_timezone=self.centre_timezone)  # fmt: skip
        return callback_at

    def _callback_time(self, session: Session, summary: CallSummary) -> datetime:
        """A moment the agent screen would offer: the callee's calendar, one to three open days ahead."""
        lead = session.get_one(Lead, summary.lead_id)
        rules = load_rules(session, summary.campaign_id, self.centre_timezone)
        offered = callback_offer(session, lead, rules, summary.ended_at)
        later = [d for d in offered if d.day > summary.ended_at.astimezone(d.moments[0].tzinfo).date()]
        if not later:
            raise LookupError("no callback moment offered")
        day = later[min(len(later) - 1, self.rng.choice((0, 0, 1, 2)))]
        return self.rng.choice(day.moments)

    def _slot(self, session: Session, summary: CallSummary, script: CampaignScript) -> TimeSlot:
        """One of the slots the agent screen would offer this prospect, mostly within the coming week."""
        lead = session.get_one(Lead, summary.lead_id)
        zone = lead.timezone or session.get_one(Campaign, summary.campaign_id).timezone
        offered = offer_slots(script.visit_rules(), zone, summary.ended_at, lead.country, lead.subdivision)
        if not offered:
            raise LookupError("the client accepts no visit slot")
        day = self.rng.choice(offered[:6])
        return self.rng.choice(day.slots)

    def answers(self, script: CampaignScript) -> dict[str, Any]:
        """Answers to every question: most meet the client's criteria, some miss one."""
        conform = self.rng.random() < CONFORM_SHARE
        criteria = {c.question: c for c in script.criteria}
        missed = None if conform or not criteria else self.rng.choice(sorted(criteria))
        return {q.key: self._answer(q, criteria.get(q.key), q.key != missed) for q in script.questions
                if q.required or self.rng.random() < 0.5}  # fmt: skip

    def _answer(self, question: Question, criterion: Criterion | None, meet: bool) -> Any:
        rng = self.rng
        values = [c.value for c in question.choices]
        if question.type == "yes_no":
            if criterion is not None and criterion.test == "equals":
                return bool(criterion.expected) if meet else not criterion.expected
            return rng.random() < 0.5
        if question.type in ("choice", "multi_choice"):
            allowed = _allowed(values, criterion, meet) or values
            picked = rng.choice(allowed)
            return [picked] if question.type == "multi_choice" else picked
        if question.type == "integer":
            low, high = question.minimum or 0, question.maximum or 1000
            if criterion is not None and criterion.test == "min":
                low, high = (max(low, int(criterion.expected)), min(high, int(criterion.expected) * 4)) if meet else (
                    low, max(low, int(criterion.expected) - 1))
            return rng.randint(low, max(low, high))
        return "-" if question.required else ""


def _allowed(values: list[str], criterion: Criterion | None, meet: bool) -> list[str]:
    """The choices that meet (or, when `meet` is false, miss) a criterion."""
    if criterion is None:
        return values
    expected: Mapping[str, Any] | list[Any] | Any = criterion.expected
    inside = [v for v in values if v in expected] if isinstance(expected, list | tuple | set) else values
    if criterion.test == "in":
        return inside if meet else [v for v in values if v not in inside]
    if criterion.test == "not_in":
        return [v for v in values if v not in inside] if meet else inside
    return values
