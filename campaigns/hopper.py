"""The hopper: which leads the dialer dials next, claimed so that no two dialers get the same lead.

A claim sets `Lead.claimed_by`/`claimed_at` (the lead keeps its status) and notes the lead in the claim journal
(`campaigns.journal`); it lasts until the attempt finishes (`campaigns.outcomes.finish_attempt`),
`campaigns.journal.release_lead`, or `release_stale_claims` after a dialer crash.
PostgreSQL claims in one statement (`campaigns.hopper_pg`): candidates read `FOR UPDATE SKIP LOCKED`, the
frequency cap, the claim, the journal and the dial data together. SQLite claims bucket by bucket
(`campaigns.hopper_sqlite`), each as an UPDATE over its candidate query, which SQLite's single writer serialises.
On both, the claim is conditional (`claimed_by = ''`), so a lead is never claimed twice. The claim is part of the
caller's transaction: commit it before dialling. Which of the two claims is chosen once, where the application
is wired (`hopper_for`): the hopper itself only sees the `campaigns.claimer.Claimer` protocol.

The dialer claims one to three leads every two seconds, so a claim's fixed cost is what counts: its statements
are built once per campaign shape and kept (everything that changes from one claim to the next, the moment and
the open subdivisions included, is a bound parameter), they run on the session's connection, and which zones are
open is checked once per group of zones sharing a calendar (`campaigns.zones.open_zones`).

A lead whose proven consent lifts the legal days and hours (`leads.consent.hours_rule_lifted`) is called within
the campaign's own windows even when the profile's are closed: where the campaign asks for such hours, a claim
also considers the zones open only to those leads (`campaigns.zones.exempt_only_zones`), for them alone, and
hands each such lead with its calendar without the profile's hours, which the dialer checks again at Originate.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ClauseElement, Connection, Engine, and_, delete, exists, select, update
from sqlalchemy.orm import Session

from campaigns.candidates import claim_params
from campaigns.claimer import Claimer, DialTarget
from campaigns.errors import CampaignNotFound
from campaigns.hopper_pg import PgClaimer
from campaigns.hopper_sqlite import SqliteClaimer
from campaigns.models import Attempt, LeadClaim
from campaigns.outcomes import finish_attempt
from campaigns.profiles import consent_required
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE, CampaignRules, campaign_rules
from campaigns.store import load_rules
from campaigns.zones import Zone, campaign_zones, exempt_only_zones, open_zones
from leads.models import Lead

DIALABLE = ("new", "retry", "callback")
# Fresh leads the campaign's profile may not call for want of consent (campaigns.services sets them aside).
NO_CONSENT = "no_consent"


class Hopper:
    """Claims leads to dial through one database's claimer."""

    def __init__(self, claimer: Claimer) -> None:
        self.claimer = claimer

    def claim(self, session: Session, campaign_id: int, now: datetime, n: int, dialer_id: str, *,
              centre_timezone: str = DEFAULT_CENTRE_TIMEZONE, zones: Sequence[Zone] | None = None,
              ring: timedelta = timedelta(0), ready_agents: Collection[str] | None = None) -> list[DialTarget]:
        """Claim up to `n` leads to dial now: due callbacks first, then the campaign's mix of fresh leads and
        retries; with `ring`, only in zones still open when a call placed now has rung that long.

        `zones`: the callee zones to consider instead of the campaign's scanned ones; pass the same sequence again
        (never modified) to reuse what was worked out for it. `ready_agents`: the logins ready for a call now; a
        callback in its grace period is then claimed only when the agent who booked it is one of them (None:
        whoever booked it, as for a caller that routes no call).
        """
        if session.autoflush:
            session.flush()  # as the ORM's execute would: the claim's statements run on the connection, without it
        conn = session.connection()
        rules, zones, callbacks_due = self._rules_and_zones(conn, session, campaign_id, now, centre_timezone, zones)
        opened = open_zones(rules, zones, now, ring)
        exempt_only = exempt_only_zones(rules, zones, opened, now, ring)
        if not (opened.zones or exempt_only.zones) or n <= 0:
            return []  # every candidate query filters on an open zone: none can match
        statements = self.claimer.statements(rules, opened.shape, consent_required(rules.profile, now),
                                             exempt_only.shape)
        params = claim_params(rules, now, opened, arrays=self.claimer.arrays, ready_agents=ready_agents,
                              exempt_only=exempt_only)
        callbacks: dict[int, tuple[int, str]] = {}
        chosen: list[Any] = []
        # A lead held back by the frequency cap leaves a gap: up to two more rounds fill it.
        for _round in range(3):
            wanted = n - len(chosen)
            if wanted <= 0:
                break
            batch, agents, capped = statements.round(conn, rules, params, wanted, dialer_id, callbacks_due)
            callbacks.update(agents)
            chosen += batch
            if not capped:
                break
        exempt = set(exempt_only.zones)
        return [_target(rules, row, callbacks.get(row.id), exempt) for row in chosen]

    def queries(self, session: Session, campaign_id: int, now: datetime, n: int, dialer_id: str,
                centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> dict[str, ClauseElement]:
        """What a claim of `n` runs first, for EXPLAIN in bench/hopper.py: PostgreSQL's whole claim statement, or
        SQLite's two candidate queries; with their parameters bound."""
        rules = load_rules(session, campaign_id, centre_timezone)
        zones = campaign_zones(session, campaign_id)
        opened = open_zones(rules, zones, now)
        exempt_only = exempt_only_zones(rules, zones, opened, now)
        statements = self.claimer.statements(rules, opened.shape, consent_required(rules.profile, now),
                                             exempt_only.shape)
        params = claim_params(rules, now, opened, arrays=self.claimer.arrays, exempt_only=exempt_only)
        return statements.queries(params, n, dialer_id)

    def _rules_and_zones(self, conn: Connection, session: Session, campaign_id: int, now: datetime,
                         centre_timezone: str, zones: Sequence[Zone] | None
                         ) -> tuple[CampaignRules, Sequence[Zone], bool]:
        """A campaign's rules, callee zones and whether a callback may be due, in one query."""
        row = self.claimer.campaign_row(conn, campaign_id, now)
        if row is None:
            raise CampaignNotFound(str(campaign_id))
        values: tuple[Any, ...] = tuple(row)
        client_id, profile, settings, timezone, highest, callbacks_due = values
        rules = campaign_rules(campaign_id, client_id, profile, settings or {}, timezone, centre_timezone)
        zones = campaign_zones(session, campaign_id, highest or 0) if zones is None else zones
        return rules, zones, bool(callbacks_due)


_HOPPERS = {"postgresql": Hopper(PgClaimer()), "sqlite": Hopper(SqliteClaimer())}


def hopper_for(bind: Engine | Connection | Session) -> Hopper:
    """The hopper for this database (chosen once, where the application is wired)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return _HOPPERS[engine.dialect.name]


def claim_leads(session: Session, campaign_id: int, now: datetime, n: int, dialer_id: str, *,
                centre_timezone: str = DEFAULT_CENTRE_TIMEZONE, zones: Sequence[Zone] | None = None,
                ring: timedelta = timedelta(0), ready_agents: Collection[str] | None = None) -> list[DialTarget]:
    """`Hopper.claim` with the session's database's hopper, for callers that claim now and then (tests, benches)."""
    return hopper_for(session).claim(session, campaign_id, now, n, dialer_id, centre_timezone=centre_timezone,
                                     zones=zones, ring=ring, ready_agents=ready_agents)


def _target(rules: CampaignRules, row: Any, callback: tuple[int, str] | None, exempt: set[Zone]) -> DialTarget:
    # A lead of a zone open only to the exempt was claimed because its consent lifts the profile's hours.
    hours_exempt = (row.timezone, row.country, row.subdivision) in exempt
    return DialTarget(
        lead_id=row.id,
        campaign_id=rules.campaign_id,
        attempt_no=row.attempts + 1,
        phone_e164=row.phone_e164,
        callee_tz=row.timezone or rules.fallback_zone,
        calendar=rules.calendar(row.timezone, row.country, row.subdivision, hours_exempt),
        callback_id=callback[0] if callback else None,
        preferred_agent=callback[1] if callback else "",
    )


def release_stale_claims(session: Session, older_than: datetime, now: datetime,
                         centre_timezone: str = DEFAULT_CENTRE_TIMEZONE, dialer_id: str | None = None) -> int:
    """Free the leads claimed before `older_than` (a dialer that crashed), only those of `dialer_id` if given;
    returns how many.

    Their attempts left without an outcome end as `failed` (a late hangup event then changes nothing) and the
    lead is rescheduled by the retry policy, so it is neither lost nor redialled at once. The journal rows
    before the cutoff go too, but for leads still held by a live transaction (skipped here, seen next time).
    """
    held_before = and_(Lead.claimed_by != "" if dialer_id is None else Lead.claimed_by == dialer_id,
                       Lead.claimed_at < older_than)
    stale = list(session.execute(
        select(Lead.id, Lead.claimed_by).join(LeadClaim, LeadClaim.lead_id == Lead.id)
        .where(LeadClaim.claimed_at < older_than, held_before)
        .with_for_update(skip_locked=True, of=Lead)
    ))
    for lead_id, dialer_id in stale:
        open_attempts = session.scalars(select(Attempt.id).where(
            Attempt.lead_id == lead_id, Attempt.dialer_id == dialer_id, Attempt.outcome == ""))
        for attempt_id in list(open_attempts):
            finish_attempt(session, attempt_id, "failed", now, centre_timezone=centre_timezone)
        session.execute(
            update(Lead).where(Lead.id == lead_id, Lead.claimed_by == dialer_id)
            .values(claimed_by="", claimed_at=None).execution_options(synchronize_session=False)
        )
    session.execute(
        delete(LeadClaim).where(
            LeadClaim.claimed_at < older_than, ~exists().where(Lead.id == LeadClaim.lead_id, held_before),
            *([] if dialer_id is None else [LeadClaim.dialer_id == dialer_id]),
        ).execution_options(synchronize_session=False)
    )
    return len(stale)
