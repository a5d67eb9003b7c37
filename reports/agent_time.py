"""Agents' time at work, in the `agent_states` shape of `reports.kpis` (agent, day, state, start, end, naive UTC).

Read from the presence history (`agent_events`: one row each time an agent's state changes): a state lasts from
its event to the agent's next one. Where an agent has no event on a campaign day (a dialer that does not write the
history, or days before it existed), the day is estimated from the agent's calls instead, and the `source` column
says which rows are which.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from dialer.desk_models import AgentEvent
from reports.frame_io import epoch, local_day, moments, raw_columns

STATE_COLUMNS = ["agent", "day", "state", "start", "end", "source"]
PRESENCE, ESTIMATE = "presence", "estimate"
# How far before the period the history is read, for the state an agent was already in when it began.
LOOK_BACK = timedelta(days=1)


def _naive(values: pd.Series) -> pd.Series:
    return values.dt.tz_convert("UTC").dt.tz_localize(None)


def load_presence(session: Session, campaign_id: int, zone: str, since: datetime, until: datetime) -> pd.DataFrame:
    """The campaign's presence spans in [since, until): each event's state until the agent's next event (in any
    campaign), clipped to the period; the state of an agent's last event lasts until `until`."""
    e = AgentEvent
    dialect = session.get_bind().dialect.name
    logins = select(e.login).where(e.campaign_id == campaign_id, e.at >= since - LOOK_BACK, e.at < until)
    query = (select(e.login, e.campaign_id, e.state, epoch(e.at, dialect))
             .where(e.login.in_(logins.distinct()), e.at >= since - LOOK_BACK, e.at < until)
             .order_by(e.login, e.at, e.id))  # fmt: skip
    raw = raw_columns(session, query, ["agent", "campaign_id", "state", "at"])
    events = pd.DataFrame({"agent": pd.Series(raw["agent"], dtype=object), "campaign_id": pd.Series(
        raw["campaign_id"], dtype=object), "state": pd.Series(raw["state"], dtype=object),
        "start": moments(raw["at"])})  # fmt: skip
    first, last = pd.Timestamp(since).tz_convert("UTC"), pd.Timestamp(until).tz_convert("UTC")
    nxt = events.groupby("agent", sort=False)["start"].shift(-1)
    events["end"] = nxt.fillna(last).clip(upper=last)
    events["start"] = events["start"].clip(lower=first)
    spans = events[(events["campaign_id"] == campaign_id) & (events["end"] > events["start"])].copy()
    spans["day"] = local_day(spans["start"], zone)
    spans["start"], spans["end"] = _naive(spans["start"]), _naive(spans["end"])
    spans["source"] = PRESENCE
    return spans[STATE_COLUMNS].reset_index(drop=True)


def estimate_agent_states(attempts: pd.DataFrame) -> pd.DataFrame:
    """Agents' time estimated from their calls, per agent and campaign day: `on_call` from each answer to the
    hang-up, `wrap_up` for its wrap-up, `available` between one call's wrap-up and the next call.

    It misses the wait before the first call and after the last, so RDVs per agent-hour read slightly high and
    occupancy too: only for days without presence history.
    """
    calls = attempts[(attempts["outcome"] == "connected") & (attempts["agent"] != "")]
    start = _naive(calls["answered_at"].fillna(calls["created_at"]))
    hung_up = _naive(calls["ended_at"]).fillna(start)
    done = hung_up + pd.to_timedelta(calls["wrap_s"].fillna(0.0), unit="s")
    busy = pd.DataFrame({"agent": calls["agent"].astype(str), "day": calls["day"], "start": start,
                         "hung_up": hung_up, "done": done}).sort_values(["agent", "day", "start"])  # fmt: skip
    following = busy.groupby(["agent", "day"], sort=False)["start"].shift(-1)
    rows = [
        busy.assign(state="on_call", end=busy["hung_up"]),
        busy.assign(state="wrap_up", start=busy["hung_up"], end=busy["done"]),
        busy.assign(state="available", start=busy["done"], end=following),
    ]
    spans = pd.concat(rows, ignore_index=True)
    spans = spans[spans["end"].notna() & (spans["end"] > spans["start"])].copy()
    spans["source"] = ESTIMATE
    return spans[STATE_COLUMNS].sort_values(["agent", "start"]).reset_index(drop=True)


def agent_states(presence: pd.DataFrame, attempts: pd.DataFrame) -> pd.DataFrame:
    """Presence where the history has the agent's day, the estimate from calls for the other agent-days."""
    estimate = estimate_agent_states(attempts)
    if presence.empty:
        return estimate
    known = pd.MultiIndex.from_frame(presence[["agent", "day"]].drop_duplicates())
    missing = ~pd.MultiIndex.from_frame(estimate[["agent", "day"]]).isin(known)
    frames = [presence, estimate[np.asarray(missing)]]
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)
