"""What a claim gives the dialer (`DialTarget`) and the protocol the SQLite and PostgreSQL claimers implement.

The two databases claim differently (`campaigns.hopper_sqlite`, `campaigns.hopper_pg`); the hopper sees only
this protocol, and which one it gets is chosen once, where the application is wired (`campaigns.hopper.hopper_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ClauseElement, Connection, Row

from campaigns.calendar import Calendar
from campaigns.rules import CampaignRules
from campaigns.zones import Shape


@dataclass(frozen=True)
class DialTarget:
    """One lead to dial now, as the dialer needs it."""

    lead_id: int
    campaign_id: int
    attempt_no: int
    phone_e164: str
    callee_tz: str
    # The callee's calendar, for the dialer's check at the moment it originates (`calendar.may_ring`): without the
    # profile's days and hours when the lead was claimed in a zone open only to callees whose consent lifts them.
    calendar: Calendar
    callback_id: int | None = None
    preferred_agent: str = ""


# A claim round: the claimed lead rows in dialling order, lead id → (callback id, agent waited for), and
# whether the frequency cap held some candidates back (another round then fills the gap).
Round = tuple[list[Any], dict[int, tuple[int, str]], bool]


class ClaimStatements(Protocol):
    """One campaign shape's claim, built once and kept."""

    def round(self, conn: Connection, rules: CampaignRules, params: dict[str, Any], wanted: int,
              dialer_id: str, callbacks_due: bool) -> Round:
        """Claim up to `wanted` leads: due callbacks, the campaign's mix of retries and fresh leads, the cap."""
        ...

    def queries(self, params: dict[str, Any], n: int, dialer_id: str) -> dict[str, ClauseElement]:
        """What a claim of `n` runs first, with its parameters bound (for EXPLAIN)."""
        ...


class Claimer(Protocol):
    """How one database claims leads."""

    # How the open subdivisions are bound (`campaigns.candidates.zone_filter`): PostgreSQL arrays or JSON lists.
    arrays: bool

    def campaign_row(self, conn: Connection, campaign_id: int, now: datetime) -> Row[Any] | None:
        """The campaign's client, profile, settings, zone, highest lead id and whether a callback may be due."""
        ...

    def statements(self, rules: CampaignRules, shape: Shape, consent: bool, exempt_shape: Shape = ()
                   ) -> ClaimStatements:
        """The claim of this campaign, open (time zone, country) groups, consent rule and groups open only to
        callees whose consent lifts the profile's days and hours."""
        ...
