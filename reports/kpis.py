"""Every figure of the campaign reports, defined once: plain frames in, numbers and frames out.

The weekly dashboard, the monthly review, the console and the CLI all read their figures here, so a rate means
the same thing wherever a client or a supervisor sees it. The frames come from `reports.kpi_frames` (or literal
frames in tests); their columns:

- attempts: `lead_id`, `day` (the campaign's local calendar day of the answer, else of the dial — the day pacing
  counts abandonment on; no call rings across midnight), `local_at` (naive wall-clock time in the callee's zone, for
  hour bands and weekdays), `outcome` (no_answer, busy, congestion, invalid, machine, dropped, connected, failed;
  empty while live), `talk_s`, `wrap_s` (seconds or NaN), `agent`, `disposition`.
- leads: `lead_id`, `status` (new, retry, callback, final, exhausted, dnc, no_consent), `attempts`, `departement`.
- appointments: `lead_id`, `day`, `local_at`, `agent`, `conform` (bool), `complete` (bool: every required field of
  the sheet filled), `departement`, `state`, `transmission_s` (taken → delivered to the client, seconds or NaN),
  `business_hours` (bool: taken while the centre is open).
- agent_states: `agent`, `day` (campaign day of `start`), `state` (available, on_call, wrap_up, paused,
  logged_out), `start`, `end` (naive UTC); every state but `logged_out` is time at work (`reports.agent_time`).

Days are `datetime64` at midnight (naive); a period is the days `first` … `last`, both included. Code columns may be
plain text or categories (the loader's, for speed): every function reads them the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, time, timedelta

import pandas as pd

# A human answered: the call reached an agent, or no agent was free in time and the dialer dropped it.
HUMAN_OUTCOMES = ("connected", "dropped")
# Dispositions that say the person reached was not the one sought (not a right-party contact).
NOT_RIGHT_PARTY = frozenset({"wrong_number", "no_answer", "machine", "unqualified", ""})
# Final statuses of a lead: fully worked for list penetration (final disposition, out of attempts, do-not-call).
WORKED_STATUSES = ("final", "exhausted", "dnc")
ROLLING_DAYS = 30  # the abandonment rule's window, as dialer.campaign_view.ROLLING_DAYS
RDV = "rdv"
BUSY_STATES = ("on_call", "wrap_up")  # an agent's time spent on calls, for occupancy


def ratio(numerator: float, denominator: float) -> float:
    """numerator ÷ denominator, 0 when there is nothing to divide by (a rate of nothing is shown as 0)."""
    return float(numerator) / float(denominator) if denominator else 0.0


def in_period(frame: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    """Rows whose `day` falls between `first` and `last`, both included."""
    days = frame["day"]
    return frame[(days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))]


def finished(attempts: pd.DataFrame) -> pd.DataFrame:
    """Attempts that have an outcome (live calls are not counted yet)."""
    return attempts[attempts["outcome"] != ""]


def dials(attempts: pd.DataFrame) -> int:
    """Dials ("appels passés"): attempts with an outcome, whatever it was (a failed originate included)."""
    return int((attempts["outcome"] != "").sum())


def answered(attempts: pd.DataFrame) -> int:
    """Human answers ("décrochés"): outcome connected or dropped; answering machines are not answers."""
    return int(attempts["outcome"].isin(HUMAN_OUTCOMES).sum())


def answer_rate(attempts: pd.DataFrame) -> float:
    """Answer rate ("taux de décroché") = human answers ÷ dials."""
    return ratio(answered(attempts), dials(attempts))


def leads_worked(attempts: pd.DataFrame) -> int:
    """Leads worked: distinct leads dialled at least once (with an outcome)."""
    return int(finished(attempts)["lead_id"].nunique())


def list_penetration(leads: pd.DataFrame) -> float:
    """List penetration ("taux d'exploitation du fichier") = leads with a final status, out of attempts or on the
    do-not-call list ÷ leads loaded."""
    return ratio(int(leads["status"].isin(WORKED_STATUSES).sum()), len(leads))


def _connected(attempts: pd.DataFrame) -> pd.DataFrame:
    return attempts[attempts["outcome"] == "connected"]


def right_party_contacts(attempts: pd.DataFrame) -> int:
    """Right-party contacts: connected calls qualified with a disposition other than wrong number, no answer,
    answering machine or unqualified."""
    return int((~_connected(attempts)["disposition"].isin(NOT_RIGHT_PARTY)).sum())


def argued_contacts(attempts: pd.DataFrame, argued: Collection[str]) -> int:
    """Argued contacts: connected calls whose disposition counts as argued in the campaign (the pitch was made)."""
    return int(_connected(attempts)["disposition"].isin(list(argued)).sum())


def rdvs(appointments: pd.DataFrame) -> int:
    """RDVs: appointments taken (every state, cancelled ones included: they were set)."""
    return len(appointments)


def conformity_rate(appointments: pd.DataFrame) -> float:
    """Conformity rate = RDVs meeting every agreed criterion ÷ RDVs."""
    return ratio(int(appointments["conform"].sum()), len(appointments))


def completeness_rate(appointments: pd.DataFrame) -> float:
    """Sheet completeness = RDV sheets with every required field filled ÷ RDVs."""
    return ratio(int(appointments["complete"].sum()), len(appointments))


def conversion(appointments: pd.DataFrame, attempts: pd.DataFrame, argued: Collection[str]) -> float:
    """Conversion = RDVs ÷ argued contacts."""
    return ratio(rdvs(appointments), argued_contacts(attempts, argued))


def agent_hours(agent_states: pd.DataFrame) -> float:
    """Agent-hours: time agents spent logged in (every state but logged_out), in hours."""
    working = agent_states[agent_states["state"] != "logged_out"]
    return float((working["end"] - working["start"]).dt.total_seconds().clip(lower=0).sum()) / 3600


def occupancy(agent_states: pd.DataFrame) -> float:
    """Occupancy = time on a call or in its wrap-up ÷ time logged in (every state but logged_out)."""
    working = agent_states[agent_states["state"] != "logged_out"]
    seconds = (working["end"] - working["start"]).dt.total_seconds().clip(lower=0)
    return ratio(float(seconds[working["state"].isin(BUSY_STATES)].sum()), float(seconds.sum()))


def rdvs_per_agent_hour(appointments: pd.DataFrame, agent_states: pd.DataFrame) -> float:
    """RDVs per agent-hour = RDVs ÷ agent-hours."""
    return ratio(rdvs(appointments), agent_hours(agent_states))


def handling_time(attempts: pd.DataFrame) -> float:
    """Average handling time ("DMT") = mean of talk + wrap-up over connected calls with a measured talk time,
    in seconds (a missing wrap-up counts as none)."""
    calls = _connected(attempts)
    calls = calls[calls["talk_s"].notna()]
    if calls.empty:
        return 0.0
    return float((calls["talk_s"] + calls["wrap_s"].fillna(0.0)).mean())


@dataclass(frozen=True)
class Abandonment:
    """Dropped calls ÷ human answers on one campaign day and over the 30 days ending on it."""

    day: float
    rolling: float
    dropped_day: int
    answered_day: int
    dropped_rolling: int
    answered_rolling: int


def abandonment(attempts: pd.DataFrame, day: date, rolling_days: int = ROLLING_DAYS) -> Abandonment:
    """Abandonment = dropped ÷ human answers (connected + dropped), on the campaign's local `day` and over the
    `rolling_days` days ending on it: the definition of dialer.pacing_stats.PacingStats, which the engine seeds
    from the same stored attempts (dialer.campaign_view.seed_stats)."""
    humans = attempts[attempts["outcome"].isin(HUMAN_OUTCOMES)]
    window = in_period(humans, day - timedelta(days=rolling_days - 1), day)
    today = window[window["day"] == pd.Timestamp(day)]
    dropped_day = int((today["outcome"] == "dropped").sum())
    dropped_rolling = int((window["outcome"] == "dropped").sum())
    return Abandonment(ratio(dropped_day, len(today)), ratio(dropped_rolling, len(window)), dropped_day,
                       len(today), dropped_rolling, len(window))  # fmt: skip


def attempts_per_lead(attempts: pd.DataFrame) -> pd.DataFrame:
    """How many leads were dialled n times: index `attempts` (n), columns `leads` and `share` (÷ leads dialled)."""
    per_lead = finished(attempts).groupby("lead_id").size()
    counts = per_lead.value_counts().sort_index()
    frame = pd.DataFrame({"leads": counts.astype("int64")})
    frame.index = frame.index.astype("int64")
    frame.index.name = "attempts"
    frame["share"] = frame["leads"] / frame["leads"].sum() if len(frame) else 0.0
    return frame


def breakdown(attempts: pd.DataFrame, appointments: pd.DataFrame, argued: Collection[str], attempt_key: pd.Series,
              appointment_key: pd.Series, order: Sequence[object] | None = None) -> pd.DataFrame:
    """Dials, answered, argued contacts, RDVs, answer rate and conversion per segment: each attempt in the segment
    of its `attempt_key`, each RDV in that of its `appointment_key` (index: the keys, in `order` when given).
    Every breakdown of every report goes through here, so a segment means the same in each."""
    done = finished(attempts)
    keys = attempt_key.loc[done.index]
    frame = pd.DataFrame({
        "dials": done.groupby(keys).size(),
        "answered": done["outcome"].isin(HUMAN_OUTCOMES).groupby(keys).sum(),
        "argued": ((done["outcome"] == "connected") & done["disposition"].isin(list(argued))).groupby(keys).sum(),
        "rdvs": appointments.groupby(appointment_key).size(),
    })
    if order is not None:
        frame = frame.reindex(list(order))
    frame = frame.fillna(0).astype("int64")
    frame["answer_rate"] = (frame["answered"] / frame["dials"].where(frame["dials"] > 0)).fillna(0.0)
    frame["conversion"] = (frame["rdvs"] / frame["argued"].where(frame["argued"] > 0)).fillna(0.0)
    return frame


def hour_band_labels(boundaries: Sequence[time]) -> list[str]:
    """Names of the bands cut by `boundaries`: `avant 12:00` style keys are left to the reports; here `-12:00`,
    `12:00-14:00`, …, `17:00-`."""
    marks = [b.strftime("%H:%M") for b in boundaries]
    return [f"-{marks[0]}", *(f"{a}-{b}" for a, b in zip(marks, marks[1:], strict=False)), f"{marks[-1]}-"]


def _band_of(local_at: pd.Series, boundaries: Sequence[time] | None) -> pd.Series:
    if boundaries is None:
        return local_at.dt.hour
    minutes = local_at.dt.hour * 60 + local_at.dt.minute
    cuts = [b.hour * 60 + b.minute for b in boundaries]
    labels = hour_band_labels(boundaries)
    index = pd.Series(0, index=local_at.index)
    for cut in cuts:
        index += (minutes >= cut).astype("int64")
    return index.map(dict(enumerate(labels)))


def by_hour_band(attempts: pd.DataFrame, appointments: pd.DataFrame, argued: Collection[str],
                 boundaries: Sequence[time] | None = None) -> pd.DataFrame:
    """Dials, answers, argued contacts, RDVs, answer rate and conversion per hour band of the callee's local time:
    one band per hour (index: the hour, 10 for 10:00-10:59) or the bands cut by `boundaries`."""
    order = hour_band_labels(boundaries) if boundaries else None
    frame = breakdown(attempts, appointments, argued, _band_of(attempts["local_at"], boundaries),
                       _band_of(appointments["local_at"], boundaries), order)  # fmt: skip
    frame.index.name = "band"
    return frame.sort_index() if order is None else frame


def by_weekday(attempts: pd.DataFrame, appointments: pd.DataFrame, argued: Collection[str]) -> pd.DataFrame:
    """The same figures per weekday of the callee's local time (index 0 = Monday … 6 = Sunday, days called only)."""
    frame = breakdown(attempts, appointments, argued, attempts["local_at"].dt.day_of_week,
                       appointments["local_at"].dt.day_of_week, None)  # fmt: skip
    frame.index.name = "weekday"
    return frame.sort_index()


def by_day(attempts: pd.DataFrame, appointments: pd.DataFrame, argued: Collection[str]) -> pd.DataFrame:
    """The same figures per campaign day (index: the day)."""
    frame = breakdown(attempts, appointments, argued, attempts["day"], appointments["day"], None)
    frame.index.name = "day"
    return frame.sort_index()


def by_departement(attempts: pd.DataFrame, appointments: pd.DataFrame, leads: pd.DataFrame,
                   argued: Collection[str]) -> pd.DataFrame:
    """The same figures per département of the lead's postcode (index: `01` … `95`, `2A`, `971`; `` unknown),
    most RDVs first, then most dials, then by code."""
    # Grouped on integer codes of the départements (a million strings would be hashed otherwise).
    codes = pd.Categorical(leads["departement"].astype(str))
    by_lead = pd.Series(codes.codes, index=leads["lead_id"].to_numpy())
    attempt_codes = attempts["lead_id"].map(by_lead).fillna(-1).astype("int64")
    sheet_codes = pd.Series(pd.Categorical(appointments["departement"].astype(str), categories=codes.categories)
                            .codes, index=appointments.index).astype("int64")  # fmt: skip
    frame = breakdown(attempts, appointments, argued, attempt_codes, sheet_codes, None)
    names = dict(enumerate(str(c) for c in codes.categories))
    frame.index = pd.Index([names.get(int(c), "") for c in frame.index], name="departement")
    frame = frame.groupby(level=0).sum()  # an unknown code and an empty département are the same ""
    frame["answer_rate"] = (frame["answered"] / frame["dials"].where(frame["dials"] > 0)).fillna(0.0)
    frame["conversion"] = (frame["rdvs"] / frame["argued"].where(frame["argued"] > 0)).fillna(0.0)
    return _most_first(frame, ["rdvs", "dials"])


def dispositions_heard(attempts: pd.DataFrame, codes: Collection[str]) -> pd.DataFrame:
    """How often each of `codes` closed a connected call: index `disposition`, columns `calls` and `share`
    (÷ those calls), most frequent first, ties by code."""
    calls = _connected(attempts)
    counts = calls.loc[calls["disposition"].isin(list(codes)), "disposition"].value_counts()
    counts = counts[counts > 0]  # a categorical column counts every category, heard or not
    counts.index = counts.index.astype(str)
    frame = pd.DataFrame({"calls": counts.astype("int64")})
    frame.index.name = "disposition"
    frame["share"] = frame["calls"] / frame["calls"].sum() if len(frame) else 0.0
    return _most_first(frame, ["calls"])


def _most_first(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Largest `columns` first, ties by index: the same order on every run."""
    return frame.sort_index(kind="stable").sort_values(columns, ascending=False, kind="stable")


def refusal_reasons(attempts: pd.DataFrame, final: Collection[str], argued: Collection[str]) -> pd.DataFrame:
    """Why argued prospects said no: the final, argued dispositions other than RDV (refused, not in target,
    already equipped, and the campaign's own), plus the objections to any call; see `dispositions_heard`."""
    codes = {c for c in final if c in set(argued) and c != RDV} | {"objection", "do_not_call"}
    return dispositions_heard(attempts, codes)


@dataclass(frozen=True)
class Figures:
    """The headline figures of a period (the dashboard's first table and the review's trend lines)."""

    dials: int
    leads_worked: int
    list_penetration: float
    answered: int
    answer_rate: float
    right_party_contacts: int
    argued_contacts: int
    rdvs: int
    conformity_rate: float
    conversion: float
    agent_hours: float
    occupancy: float
    rdvs_per_agent_hour: float
    handling_time_s: float
    abandonment_day: float  # on the last day of the period
    abandonment_rolling: float  # over the 30 days ending on the last day of the period
    abandonment_period: float  # dropped ÷ human answers over the whole period

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def figures(frames: KpiFrames, first: date, last: date, argued: Collection[str]) -> Figures:
    """Every headline figure of the days `first` … `last`; list penetration is as of the frames' date (all leads),
    abandonment also looks back 30 days before `last`."""
    attempts = in_period(frames.attempts, first, last)
    appointments = in_period(frames.appointments, first, last)
    states = in_period(frames.agent_states, first, last)
    abandon = abandonment(frames.attempts, last)
    humans = answered(attempts)
    return Figures(
        dials=dials(attempts), leads_worked=leads_worked(attempts), list_penetration=list_penetration(frames.leads),
        answered=humans, answer_rate=answer_rate(attempts), right_party_contacts=right_party_contacts(attempts),
        argued_contacts=argued_contacts(attempts, argued), rdvs=rdvs(appointments),
        conformity_rate=conformity_rate(appointments), conversion=conversion(appointments, attempts, argued),
        agent_hours=agent_hours(states), occupancy=occupancy(states),
        rdvs_per_agent_hour=rdvs_per_agent_hour(appointments, states),
        handling_time_s=handling_time(attempts), abandonment_day=abandon.day, abandonment_rolling=abandon.rolling,
        abandonment_period=ratio(int((attempts["outcome"] == "dropped").sum()), humans),
    )  # fmt: skip


@dataclass(frozen=True)
class KpiFrames:
    """The four frames every figure is computed from (see the module docstring for their columns)."""

    attempts: pd.DataFrame
    leads: pd.DataFrame
    appointments: pd.DataFrame
    agent_states: pd.DataFrame
