"""Figures the monthly review needs beyond `reports.kpis`, in the same style: plain frames in, figures out.

The extra frames come from `reports.review_frames` (or literal frames in tests):

- lists: `lead_id`, `list` (the name of the lead file the lead came from), `last_outcome` (the lead's).
- appointment_details: `appointment_id`, `lead_id`, `day`, `unmet` (list of the criteria it missed, in words).
- appointment_events: `appointment_id`, `day` (campaign day of the change), `to_state`, `note` (what the client
  or quality control wrote), `reference` (the appointment's `RDV-…` reference).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd

from campaigns.appointment_rules import (
    CANCELLED,
    CANCELLED_BY_CLIENT,
    FALSE_CANCELLATION,
    SENT_TO_CLIENT,
    TAKEN,
    VALIDATED,
    VISITED,
)
from reports import kpis
from reports.recommendations import CallEnds

# Outcomes and dispositions that say a lead's number cannot be used ("numéro inexploitable").
UNUSABLE = ("invalid", "wrong_number")
# The default disposition that books a personal callback (campaigns.dispositions).
CALLBACK = "callback"


def by_agent(attempts: pd.DataFrame, appointments: pd.DataFrame, argued: Collection[str]) -> pd.DataFrame:
    """Dials, answers, argued contacts, RDVs, answer rate and conversion per agent (index: login; calls that
    reached no agent are left out)."""
    worked = attempts[attempts["agent"] != ""]
    frame = kpis.breakdown(worked, appointments[appointments["agent"] != ""], argued, worked["agent"],
                           appointments.loc[appointments["agent"] != "", "agent"])  # fmt: skip
    frame.index.name = "agent"
    return frame.sort_index()


def by_list(attempts: pd.DataFrame, appointments: pd.DataFrame, leads: pd.DataFrame, lists: pd.DataFrame,
            argued: Collection[str]) -> pd.DataFrame:
    """The breakdown per lead file, with `leads` (loaded), `unreached` (out of attempts without any human
    answer) and `unusable` (last outcome invalid number or wrong number); index: the list name."""
    names = lists.set_index("lead_id")["list"]
    frame = kpis.breakdown(attempts, appointments, argued, attempts["lead_id"].map(names).fillna(""),
                           appointments["lead_id"].map(names).fillna(""))  # fmt: skip
    reached = set(attempts.loc[attempts["outcome"].isin(kpis.HUMAN_OUTCOMES), "lead_id"])
    facts = leads[["lead_id", "status"]].merge(lists, on="lead_id", how="left").fillna({"list": ""})
    facts["unreached"] = (facts["status"] == "exhausted") & ~facts["lead_id"].isin(reached)
    facts["unusable"] = facts["last_outcome"].isin(UNUSABLE)
    per_list = facts.groupby("list").agg(leads=("lead_id", "size"), unreached=("unreached", "sum"),
                                         unusable=("unusable", "sum"))  # fmt: skip
    frame = frame.join(per_list, how="outer").fillna(0)
    for column in ("dials", "answered", "argued", "rdvs", "leads", "unreached", "unusable"):
        frame[column] = frame[column].astype("int64")
    frame.index.name = "list"
    return frame.sort_index()


def call_ends(attempts: pd.DataFrame, argued: Collection[str], labels: Mapping[str, str],
              refusal_codes: Collection[str]) -> CallEnds:
    """Where the connected calls ended: at the greeting (a non-argued disposition other than a wrong number,
    objections to any call included), after the pitch by refusal reason (labelled), on a callback, or an RDV."""
    connected = attempts[attempts["outcome"] == "connected"]
    codes = connected["disposition"]
    argued_set, refusals = set(argued), set(refusal_codes)
    at_greeting = int((~codes.isin(list(argued_set)) & ~codes.isin(["wrong_number", ""])).sum())
    heard = Counter(labels.get(code, code) for code in codes if code in refusals and code in argued_set)
    return CallEnds(conversations=int((codes != "").sum()), at_greeting=at_greeting, refusals=dict(heard),
                    callbacks=int((codes == CALLBACK).sum()), rdvs=int((codes == kpis.RDV).sum()))


def unmet_criteria(details: pd.DataFrame) -> list[tuple[str, int]]:
    """How many appointments missed each agreed criterion, most frequent first (ties in alphabetical order)."""
    counts = Counter(criterion for unmet in details["unmet"] for criterion in unmet)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class QualityControl:
    """What happened to appointments after they were sent, in the period: the client's reports and the
    verdicts of quality control ("chutes", "fausses chutes")."""

    visited: int  # visits the client reported
    reported_cancelled: int  # cancellations ("chutes") the client reported
    validated: int  # confirmed by quality control
    cancelled: int  # chutes upheld by quality control
    false_cancellations: int  # fausses chutes: the visit had in fact been valid, proof in hand

    @property
    def ruled(self) -> int:
        return self.validated + self.cancelled + self.false_cancellations


def quality_control(events: pd.DataFrame) -> QualityControl:
    """Counts of the lifecycle moves of the period (each appointment once per state reached)."""
    reached = events.drop_duplicates(["appointment_id", "to_state"])["to_state"].value_counts()

    def count(state: str) -> int:
        return int(reached.get(state, 0))

    return QualityControl(visited=count(VISITED), reported_cancelled=count(CANCELLED_BY_CLIENT),
                          validated=count(VALIDATED), cancelled=count(CANCELLED),
                          false_cancellations=count(FALSE_CANCELLATION))  # fmt: skip


@dataclass(frozen=True)
class VisitComment:
    """A note the client or quality control left on an appointment after it was sent."""

    reference: str
    day: pd.Timestamp
    state: str
    note: str


def visit_comments(events: pd.DataFrame, limit: int = 6) -> list[VisitComment]:
    """The latest notes left on visits and cancellations (not the mail system's own notes), newest first."""
    told = events[~events["to_state"].isin([TAKEN, SENT_TO_CLIENT]) & (events["note"].str.strip() != "")]
    told = told.sort_values(["day", "appointment_id"], ascending=False, kind="stable").head(limit)
    return [VisitComment(str(row.reference), row.day, str(row.to_state), str(row.note).strip())
            for row in told.itertuples()]  # fmt: skip
