"""The personal callback moments offered for one lead, from its calendar, its refusals and its dials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from campaigns.callback_offer import CallbackDay, callback_moments
from campaigns.outcomes import dials_of_number, lead_calendar, on_do_not_call
from campaigns.profiles import cap_allows_from, cooloff_until
from campaigns.rules import CampaignRules
from leads.models import Lead


def callback_offer(session: Session, lead: Lead, rules: CampaignRules, now: datetime,
                   days: int = 7) -> tuple[CallbackDay, ...]:
    """Moments the calendar allows for this callee, from the end of any cool-off or frequency-cap wait.

    `campaigns.outcomes.check_callback` still judges the moment chosen (consent, and dials made meanwhile).
    """
    if on_do_not_call(session, lead, rules.client_id):
        return ()
    earliest = [now]
    cooloff = cooloff_until(lead.refused_at, rules.profile)
    if cooloff is not None:
        earliest.append(cooloff)
    if rules.profile.callbacks_count:
        capped = cap_allows_from(dials_of_number(session, lead.phone_e164, rules, now), rules.profile)
        if capped is not None:
            earliest.append(capped)
    return callback_moments(lead_calendar(lead, rules), now, days=days, earliest=max(earliest))
