"""The monthly review's recommendations ("préconisations"), each derived from the figures with its reason. Pure.

Every rule compares a segment (an hour band, a weekday, a lead list, a département, an agent) with the month as
a whole, and speaks only when the segment has enough calls behind it to be more than chance: the thresholds
below are named so that the review, its tests and a supervisor reading this file agree on what triggers what.
Texts are worded for the client: what we propose, then the figures that justify it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from config.i18n import _, fmt_percent

# A segment is judged only with at least this many dials (hour bands, weekdays) ...
MIN_DIALS = 100
# ... or this many argued contacts (lists, départements, agents: conversion needs conversations).
MIN_ARGUED = 30
# An hour band or weekday is "best" when its answer rate beats the month's by this share, "weak" below it by this.
BEST_MARGIN = 0.15
WEAK_MARGIN = 0.25
# A list or département converts "well" at this multiple of the month's conversion, "poorly" at or below this one.
STRONG_FACTOR = 1.3
WEAK_FACTOR = 0.5
# A list whose leads ran out of attempts without a conversation for at least this share deserves a second pass.
RECYCLE_UNREACHED_SHARE = 0.25
# A list with at least this share of unusable numbers (invalid, wrong number) is better set aside.
UNUSABLE_SHARE = 0.3
# Conversations ended before the pitch (at the greeting) above this share of the conversations: rework the hook.
EARLY_END_SHARE = 0.35
# One refusal reason giving at least this share of refusals (and at least MIN_REASON of them) leads the others.
DOMINANT_REASON_SHARE = 0.4
MIN_REASON = 10
# Agents whose conversions differ by at least this many points call for shared practice.
AGENT_SPREAD = 0.08
MIN_AGENTS = 2
# A month whose answer rate or conversion fell by this share of the previous month's is worth a word.
TREND_DROP = 0.2
# The share of appointments meeting every agreed criterion the team aims at.
CONFORMITY_TARGET = 0.9
# At most this many segments named in one recommendation: the review stays readable.
MAX_NAMED = 3


@dataclass(frozen=True)
class Segment:
    """One slice of the month's calls: dials, human answers, argued contacts and RDVs (and, for lists, leads)."""

    label: str
    dials: int
    answered: int
    argued: int
    rdvs: int
    leads: int = 0
    unreached: int = 0  # leads out of attempts without any conversation
    unusable: int = 0  # leads whose numbers proved invalid or wrong

    @property
    def answer_rate(self) -> float:
        return self.answered / self.dials if self.dials else 0.0

    @property
    def conversion(self) -> float:
        return self.rdvs / self.argued if self.argued else 0.0


@dataclass(frozen=True)
class CallEnds:
    """Where the month's conversations ended: at the greeting, after the pitch (by refusal reason), or with an RDV."""

    conversations: int
    at_greeting: int
    refusals: dict[str, int]  # reason label → count
    callbacks: int
    rdvs: int


@dataclass(frozen=True)
class Recommendation:
    """What we propose to the client, and the figures that justify it."""

    topic: str  # hours, weekdays, lists, departements, script, agents, trend, quality
    text: str
    reason: str


def _names(segments: Sequence[Segment], rate: str) -> str:
    shown = [f"{s.label} ({fmt_percent(getattr(s, rate))})" for s in segments[:MAX_NAMED]]
    return ", ".join(shown)


def _timing(segments: Sequence[Segment], overall: Segment, topic: str) -> list[Recommendation]:
    """Best and weak hour bands or weekdays, by answer rate against the month's."""
    judged = [s for s in segments if s.dials >= MIN_DIALS]
    if len(judged) < 2 or not overall.dials:
        return []
    mean = overall.answer_rate
    best = sorted((s for s in judged if s.answer_rate >= mean * (1 + BEST_MARGIN)), key=lambda s: -s.answer_rate)
    weak = sorted((s for s in judged if s.answer_rate <= mean * (1 - WEAK_MARGIN)), key=lambda s: s.answer_rate)
    hours = topic == "hours"
    found = []
    if best:
        text = (_("We propose to give more room to the hours when your prospects answer best: {names}.") if hours
                else _("We propose to give more room to the days when your prospects answer best: {names}."))
        found.append(Recommendation(topic, text.format(names=", ".join(s.label for s in best[:MAX_NAMED])),
                                    _("Answer rate {names}, against {mean} over the month.").format(
                                        names=_names(best, "answer_rate"), mean=fmt_percent(mean))))
    if weak:
        text = (_("We suggest calling less during {names}, and moving those calls to the better hours.") if hours
                else _("We suggest calling less on {names}, and moving those calls to the better days."))
        found.append(Recommendation(topic, text.format(names=", ".join(s.label for s in weak[:MAX_NAMED])),
                                    _("Answer rate {names}, against {mean} over the month.").format(
                                        names=_names(weak, "answer_rate"), mean=fmt_percent(mean))))
    return found


def best_hours(bands: Sequence[Segment], overall: Segment) -> list[Recommendation]:
    """Hour bands to favour or lighten, from their answer rates."""
    return _timing(bands, overall, "hours")


def best_weekdays(days: Sequence[Segment], overall: Segment) -> list[Recommendation]:
    """Weekdays to favour or lighten, from their answer rates."""
    return _timing(days, overall, "weekdays")


def list_actions(lists: Sequence[Segment], overall: Segment) -> list[Recommendation]:
    """Lists to recycle (well converting, many leads never reached) or to set aside (poor conversion, bad numbers)."""
    found = []
    mean = overall.conversion
    for item in lists:
        if not item.leads:
            continue
        unusable, unreached = item.unusable / item.leads, item.unreached / item.leads
        if unusable >= UNUSABLE_SHARE:
            found.append(Recommendation("lists", _("We propose to set the list “{name}” aside, or to have its numbers "
                                                   "checked before it is called again.").format(name=item.label),
                                        _("{share} of its leads have a number that proved unusable.").format(
                                            share=fmt_percent(unusable))))
        elif item.argued >= MIN_ARGUED and mean and item.conversion <= mean * WEAK_FACTOR:
            found.append(Recommendation("lists", _("We propose to pause the list “{name}” and give its calls to the "
                                                   "lists that convert better.").format(name=item.label),
                                        _("Conversion {rate} on {argued} argued contacts, against {mean} over the "
                                          "month.").format(rate=fmt_percent(item.conversion), argued=item.argued,
                                                           mean=fmt_percent(mean))))
        elif unreached >= RECYCLE_UNREACHED_SHARE and (not mean or item.conversion >= mean):
            found.append(Recommendation("lists", _("We recommend recycling the list “{name}”: its leads not reached "
                                                   "yet can be called again at other hours and on other days.").format(
                                                       name=item.label),
                                        _("{share} of its leads were never reached, and the list converts at {rate} "
                                          "(month: {mean}).").format(share=fmt_percent(unreached),
                                                                     rate=fmt_percent(item.conversion),
                                                                     mean=fmt_percent(mean))))
    return found


def departement_actions(areas: Sequence[Segment], overall: Segment) -> list[Recommendation]:
    """Départements to prioritise or to de-prioritise, from their conversion against the month's."""
    judged = [a for a in areas if a.argued >= MIN_ARGUED]
    mean = overall.conversion
    if not judged or not mean:
        return []
    strong = sorted((a for a in judged if a.conversion >= mean * STRONG_FACTOR), key=lambda a: -a.conversion)
    weak = sorted((a for a in judged if a.conversion <= mean * WEAK_FACTOR), key=lambda a: a.conversion)
    found = []
    if strong:
        found.append(Recommendation(
            "departements", _("We propose to give priority to the leads of {names}, where your offer meets the "
                              "strongest interest.").format(names=", ".join(a.label for a in strong[:MAX_NAMED])),
            _("Conversion {names}, against {mean} over the month.").format(names=_names(strong, "conversion"),
                                                                           mean=fmt_percent(mean))))
    if weak:
        found.append(Recommendation(
            "departements", _("We suggest calling the leads of {names} later in the campaign, or to review the offer "
                              "there with you.").format(names=", ".join(a.label for a in weak[:MAX_NAMED])),
            _("Conversion {names}, against {mean} over the month.").format(names=_names(weak, "conversion"),
                                                                           mean=fmt_percent(mean))))
    return found


def script_actions(ends: CallEnds) -> list[Recommendation]:
    """Script steps to strengthen: the greeting when many calls end there, the answer to the leading refusal."""
    found = []
    if ends.conversations and ends.at_greeting / ends.conversations >= EARLY_END_SHARE:
        found.append(Recommendation(
            "script", _("We propose to rework the opening of the script with you, so that more prospects listen "
                        "to the offer."),
            _("{share} of the conversations ended before the pitch ({count} of {total}).").format(
                share=fmt_percent(ends.at_greeting / ends.conversations), count=ends.at_greeting,
                total=ends.conversations)))
    total = sum(ends.refusals.values())
    if total:
        reason, count = max(ends.refusals.items(), key=lambda item: (item[1], item[0]))
        if count >= MIN_REASON and count / total >= DOMINANT_REASON_SHARE:
            found.append(Recommendation(
                "script", _("We will strengthen the script's answer to “{reason}”, the reason prospects give "
                            "most often.").format(reason=reason),
                _("{share} of the refusals ({count} of {total}).").format(
                    share=fmt_percent(count / total), count=count, total=total)))
    return found


def agent_actions(agents: Sequence[Segment]) -> list[Recommendation]:
    """Shared practice when the teleoperators' conversions spread widely (no one is named to the client)."""
    judged = [a for a in agents if a.argued >= MIN_ARGUED]
    if len(judged) < MIN_AGENTS:
        return []
    low, high = min(a.conversion for a in judged), max(a.conversion for a in judged)
    if high - low < AGENT_SPREAD:
        return []
    return [Recommendation(
        "agents", _("We are organising shared listening sessions in which the teleoperators with the best results "
                    "pass on their approach to the whole team."),
        _("Conversion ranges from {low} to {high} among the {count} teleoperators with at least {minimum} argued "
          "contacts.").format(low=fmt_percent(low), high=fmt_percent(high), count=len(judged), minimum=MIN_ARGUED))]


def trend_actions(month: Segment, previous: Segment | None) -> list[Recommendation]:
    """A word on a marked fall of the answer rate (lists tiring) or of the conversion against the previous month."""
    if previous is None or not previous.dials:
        return []
    found = []
    if previous.answer_rate and month.answer_rate <= previous.answer_rate * (1 - TREND_DROP):
        found.append(Recommendation(
            "trend", _("We propose to add fresh leads to the campaign: the current lists are showing signs of "
                       "fatigue."),
            _("Answer rate {now} this month, against {before} the month before.").format(
                now=fmt_percent(month.answer_rate), before=fmt_percent(previous.answer_rate))))
    if previous.argued and previous.conversion and month.argued >= MIN_ARGUED and (
            month.conversion <= previous.conversion * (1 - TREND_DROP)):
        found.append(Recommendation(
            "trend", _("We would like to review with you the arguments and the offer, to regain last month's pace."),
            _("Conversion {now} this month, against {before} the month before.").format(
                now=fmt_percent(month.conversion), before=fmt_percent(previous.conversion))))
    return found


def quality_actions(rdvs: int, conform: int, unmet: Sequence[tuple[str, int]]) -> list[Recommendation]:
    """A briefing on the most frequent unmet criterion when too few appointments meet every criterion."""
    if not rdvs or conform / rdvs >= CONFORMITY_TARGET or not unmet:
        return []
    criterion, count = unmet[0]
    return [Recommendation(
        "quality", _("We are reminding the team of the criterion “{criterion}” before each appointment is "
                     "confirmed.").format(criterion=criterion),
        _("{share} of the appointments met every criterion (goal {goal}); “{criterion}” was missing {count} "
          "times.").format(share=fmt_percent(conform / rdvs), goal=fmt_percent(CONFORMITY_TARGET),
                           criterion=criterion, count=count))]


@dataclass(frozen=True)
class ReviewInputs:
    """Everything the rules read, for one month (or a whole contract, without `previous`)."""

    month: Segment
    previous: Segment | None
    hour_bands: Sequence[Segment]
    weekdays: Sequence[Segment]
    lists: Sequence[Segment]
    departements: Sequence[Segment]
    agents: Sequence[Segment]
    ends: CallEnds
    conform: int
    unmet: Sequence[tuple[str, int]]  # criterion → appointments missing it, most frequent first


def recommend(inputs: ReviewInputs) -> list[Recommendation]:
    """Every recommendation the month's figures support, in the order the review presents them."""
    return [
        *best_hours(inputs.hour_bands, inputs.month),
        *best_weekdays(inputs.weekdays, inputs.month),
        *list_actions(inputs.lists, inputs.month),
        *departement_actions(inputs.departements, inputs.month),
        *script_actions(inputs.ends),
        *agent_actions(inputs.agents),
        *quality_actions(inputs.month.rdvs, inputs.conform, inputs.unmet),
        *trend_actions(inputs.month, inputs.previous),
    ]
