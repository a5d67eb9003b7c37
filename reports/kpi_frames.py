"""The frames `reports.kpis` computes on, read from the database in a few column-only queries.

Times are read without the ORM's per-row conversion (SQLite hands back text, PostgreSQL aware datetimes) and
converted by pandas in bulk, which is what lets a week of a million attempts load in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Select, String, select, type_coerce
from sqlalchemy.orm import Session

from campaigns.appointments import Appointment
from campaigns.calendar import END_OF_DAY, Weekly
from campaigns.dispositions import dispositions_for
from campaigns.effective import centre_weekly
from campaigns.models import Campaign
from campaigns.script_store import script_version
from campaigns.settings import CampaignSettings, campaign_settings
from leads.models import Lead
from reports.agent_time import agent_states, load_presence
from reports.answered import load_answered
from reports.frame_io import category_index, codes, local_day, moments_ms, raw_columns
from reports.kpis import ROLLING_DAYS, KpiFrames
from reports.outbox import OutboxMessage
from reports.packing import NULL, Layout, category, fetch_words, packed, unpack, unpackable, widths
from reports.unanswered import lead_zones, load_unanswered

DEFAULT_CENTRE_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class CampaignFacts:
    """What the figures need to know of the campaign besides its frames."""

    campaign_id: int
    name: str
    timezone: str
    settings: CampaignSettings
    argued: frozenset[str]
    final: frozenset[str]
    labels: dict[str, str]


def campaign_facts(session: Session, campaign_id: int) -> CampaignFacts:
    """The campaign's zone, typed settings, and which dispositions are argued or final (with their labels)."""
    campaign = session.get_one(Campaign, campaign_id)
    stored = campaign.settings or {}
    known = dispositions_for(stored)
    return CampaignFacts(campaign.id, campaign.name, campaign.timezone, campaign_settings(stored),
                         frozenset(c for c, d in known.items() if d.argued),
                         frozenset(c for c, d in known.items() if d.final),
                         {c: d.label() for c, d in known.items()})  # fmt: skip


def _utc(values: pd.Series) -> pd.Series:
    """Text or datetimes from the driver as aware UTC timestamps (NaT where empty)."""
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _wall_clock(moments: pd.Series, zones: pd.Series) -> pd.Series:
    """Each aware moment as the naive wall-clock time of its own zone (a handful of zones: one pass each)."""
    result = pd.Series(pd.NaT, index=moments.index, dtype="datetime64[ns]")
    for zone, index in zones.groupby(zones).groups.items():
        result.loc[index] = moments.loc[index].dt.tz_convert(str(zone)).dt.tz_localize(None).astype("datetime64[ns]")
    return result


def _frame(session: Session, query: Select[Any] | Any, columns: Sequence[str]) -> pd.DataFrame:
    rows = session.execute(query).all()
    return pd.DataFrame.from_records(rows, columns=list(columns))


def _text(column: Any) -> Any:
    # No result conversion: the column comes back as the driver gives it, pandas converts it in bulk.
    return type_coerce(column, String)


def _joined(first: pd.Categorical, second: pd.Categorical) -> pd.Categorical:
    # An empty part has categories of no text type: union_categoricals refuses to mix them.
    parts = [part for part in (first, second) if len(part)]
    return union_categoricals(parts) if len(parts) == 2 else (parts or [first])[0]


def load_attempts(session: Session, campaign_id: int, zone: str, since: datetime, until: datetime,
                  humans_since: datetime | None = None) -> pd.DataFrame:
    """The campaign's attempts created in [since, until), in the shape of `reports.kpis` (plus `created_at`,
    `answered_at` (human answers) and `ended_at` (connected calls) aware UTC, for the agent-state estimate);
    with `humans_since`, also the human answers from then on (what the rolling abandonment reads, a third of
    the calls).

    The human answers come with every column (`reports.answered`); the others (`reports.unanswered`) with the
    five the figures read (no talk, wrap-up or disposition: theirs are never read). Codes come as categories.
    """
    zones = lead_zones(session, campaign_id)
    humans = load_answered(session, campaign_id, humans_since or since, until, zones)
    others = load_unanswered(session, campaign_id, since, until, zones)
    count, none = len(others.lead_id), np.full(len(others.lead_id), np.nan)
    created = np.concatenate([humans.created_ms.astype("float64"), others.created_ms.astype("float64")])
    frame = pd.DataFrame({
        "lead_id": np.concatenate([humans.lead_id, others.lead_id]),
        "callee_tz": _joined(humans.callee_tz, others.callee_tz),
        "outcome": _joined(humans.outcome, others.outcome),
        "agent": _joined(humans.agent, others.agent),
        "disposition": _joined(humans.disposition, pd.Categorical.from_codes(np.zeros(count, "int8"), [""])),
        "talk_s": np.concatenate([humans.talk_s, none]), "wrap_s": np.concatenate([humans.wrap_s, none]),
        "created_at": moments_ms(created),
        "answered_at": moments_ms(np.concatenate([humans.answered_ms, none])),
        "ended_at": moments_ms(np.concatenate([humans.ended_ms, none])),
    })  # fmt: skip
    # The day pacing counts a call on: its answer's, else its dial's (the same day: no call rings at midnight).
    frame["day"] = local_day(frame["answered_at"].fillna(frame["created_at"]), zone)
    frame["local_at"] = _wall_clock(frame["created_at"], frame["callee_tz"])
    return frame


LEAD_WORDS: Layout = ((("attempts", 24), ("status_code", 8), ("departement_code", 16)),)


def _distinct(session: Session, column: Any, campaign_id: int) -> list[str]:
    # Both columns lead an index after the campaign: a few index pages, not the table.
    return sorted(session.scalars(select(column).where(Lead.campaign_id == campaign_id).distinct()))


def _leads_plainly(session: Session, campaign_id: int) -> pd.DataFrame:
    query = select(Lead.id, Lead.status, Lead.attempts, Lead.subdivision).where(Lead.campaign_id == campaign_id)
    raw = raw_columns(session, query, ["lead_id", "status", "attempts", "departement"])
    return pd.DataFrame({
        "lead_id": np.fromiter(raw["lead_id"], dtype="int64", count=len(raw["lead_id"])),
        "status": codes(raw["status"]),
        "attempts": np.fromiter(raw["attempts"], dtype="int64", count=len(raw["attempts"])),
        "departement": codes(raw["departement"]),
    })


def load_leads(session: Session, campaign_id: int) -> pd.DataFrame:
    """Every lead of the campaign: `lead_id`, `status`, `attempts`, `departement` (the stored subdivision).

    Status, attempts and département come packed into one integer (`reports.packing`), the codes indexing the
    campaign's distinct statuses and subdivisions read first; a value the packing cannot hold (a lead added
    between the two reads, say) sends the whole read to the plain columns."""
    statuses, departements = (_distinct(session, column, campaign_id) for column in (Lead.status, Lead.subdivision))
    bits = widths(LEAD_WORDS)
    codable = all(0 < len(known) <= 2 ** bits[field] - 2
                  for known, field in ((statuses, "status_code"), (departements, "departement_code")))  # fmt: skip
    if not codable:  # no lead (an empty CASE is no SQL), or more codes than the packing holds
        return _leads_plainly(session, campaign_id)
    values = (select(Lead.id.label("lead_id"), Lead.attempts.label("attempts"),
                     category_index(Lead.status, statuses).label("status_code"),
                     category_index(Lead.subdivision, departements).label("departement_code"))
              .where(Lead.campaign_id == campaign_id).offset(0).subquery())  # fmt: skip
    words = fetch_words(session, select(values.c.lead_id, *packed(values.c, LEAD_WORDS, {})), 1 + len(LEAD_WORDS))
    fields = unpack(words[:, 1:], LEAD_WORDS)
    if unpackable(fields).any() or (fields["attempts"] == NULL).any():
        return _leads_plainly(session, campaign_id)
    return pd.DataFrame({"lead_id": words[:, 0], "status": category(fields["status_code"], statuses),
                         "attempts": fields["attempts"] - 2,
                         "departement": category(fields["departement_code"], departements)})  # fmt: skip


def _in_hours(local: pd.Series, weekly: Weekly) -> pd.Series:
    """Whether each naive wall-clock time falls inside the weekly windows of its weekday."""
    inside = pd.Series(False, index=local.index)
    clock = local.dt.hour * 60 + local.dt.minute
    for weekday, windows in enumerate(weekly):
        on_day = local.dt.day_of_week == weekday
        for window in windows:
            end = 24 * 60 if window.end == END_OF_DAY else window.end.hour * 60 + window.end.minute
            inside |= on_day & (clock >= window.start.hour * 60 + window.start.minute) & (clock < end)
    return inside


def _complete(session: Session, campaign_id: int, rows: pd.DataFrame) -> pd.Series:
    """Every required field of each sheet filled: where, when, and each required question of its script."""
    required: dict[int | None, list[str]] = {}
    flags = []
    for row in rows.itertuples():
        version = None if pd.isna(row.script_version) else int(row.script_version)
        if version not in required:
            script = script_version(session, campaign_id, version) if version is not None else None
            required[version] = [q.key for q in script.questions if q.required] if script else []
        answers = row.answers or {}
        flags.append(all(str(v).strip() for v in (row.address, row.postcode, row.city))
                     and all(answers.get(k) not in (None, "", []) for k in required[version]))  # fmt: skip
    return pd.Series(flags, index=rows.index, dtype=bool)


def load_appointments(session: Session, facts: CampaignFacts, since: datetime, until: datetime,
                      centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> pd.DataFrame:
    """The campaign's appointments taken in [since, until), in the shape of `reports.kpis`."""
    p, o = Appointment, OutboxMessage
    names = ["appointment_id", "lead_id", "agent", "conform", "state", "timezone", "address", "postcode", "city",
             "answers", "script_version", "departement", "taken_at", "delivered_at"]  # fmt: skip
    query = (select(p.id, p.lead_id, p.agent, p.conform, p.state, p.timezone, p.address, p.postcode, p.city,
                    p.answers, p.script_version, Lead.subdivision, _text(p.taken_at), _text(o.sent_at))
             .join(Lead, Lead.id == p.lead_id).outerjoin(o, o.id == p.sent_message_id)
             .where(p.campaign_id == facts.campaign_id, p.taken_at >= since, p.taken_at < until)
             .order_by(p.id))  # fmt: skip
    frame = _frame(session, query, names)
    frame["taken_at"] = _utc(frame["taken_at"])
    frame["delivered_at"] = _utc(frame["delivered_at"])
    frame["conform"] = frame["conform"].astype(bool)
    frame["day"] = local_day(frame["taken_at"], facts.timezone)
    frame["local_at"] = _wall_clock(frame["taken_at"], frame["timezone"])
    frame["complete"] = _complete(session, facts.campaign_id, frame)
    frame["transmission_s"] = (frame["delivered_at"] - frame["taken_at"]).dt.total_seconds()
    centre = facts.settings.centre_timezone or centre_timezone
    centre_local = frame["taken_at"].dt.tz_convert(centre).dt.tz_localize(None)
    frame["business_hours"] = _in_hours(centre_local, centre_weekly(facts.settings))
    return frame.drop(columns=["address", "postcode", "city", "answers"])


def load_frames(session: Session, facts: CampaignFacts, since: datetime, until: datetime,
                centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> KpiFrames:
    """Every frame for the period [since, until), and the human answers of the 30 days before (rolling
    abandonment); leads as they stand now."""
    attempts = load_attempts(session, facts.campaign_id, facts.timezone, since, until,
                             humans_since=since - timedelta(days=ROLLING_DAYS + 1))  # fmt: skip
    presence = load_presence(session, facts.campaign_id, facts.timezone, since, until)
    return KpiFrames(attempts, load_leads(session, facts.campaign_id),
                     load_appointments(session, facts, since, until, centre_timezone),
                     agent_states(presence, attempts))  # fmt: skip
