"""Validation of a campaign script file's content: every error names the file and the key path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Any

from campaigns.calendar import parse_windows
from campaigns.script import (
    CRITERION_TESTS,
    QUESTION_TYPES,
    CallScript,
    CampaignScript,
    Choice,
    Criterion,
    InvalidScript,
    Objection,
    Question,
    answer_text,
    default_recording_notice,
)
from campaigns.setting_values import parse_duration
from campaigns.visit_slots import DEFAULT_VISITS, VisitRules, parse_weekdays
from config.i18n import _


class Parser:
    """Reads the plain data of a script file into a CampaignScript, or raises InvalidScript."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> InvalidScript:
        return InvalidScript(self.source, key, problem)

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key.rsplit(".", 1)[-1])
        if not isinstance(value, Mapping):
            raise self.fail(key, _("missing table"))
        return value

    def text(self, data: Mapping[str, Any], name: str, where: str, required: bool = True) -> str:
        value = data.get(name, "")
        if not isinstance(value, str):
            raise self.fail(f"{where}{name}", _("expected text"))
        if required and not value.strip():
            raise self.fail(f"{where}{name}", _("missing or empty"))
        return value.strip()

    def items(self, data: Mapping[str, Any], name: str, where: str = "") -> list[Mapping[str, Any]]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(f"{where}{name}", _("expected a list of tables"))
        return value

    def campaign(self, data: Mapping[str, Any]) -> CampaignScript:
        campaign = self.table(data, "campaign")
        slot = campaign.get("slot_minutes", 120)
        if isinstance(slot, bool) or not isinstance(slot, int) or not 15 <= slot <= 480:
            raise self.fail("campaign.slot_minutes", _("expected a number of minutes between 15 and 480"))
        questions = tuple(self.question(q, i) for i, q in enumerate(self.items(data, "questions")))
        if not questions:
            raise self.fail("questions", _("a campaign needs at least one qualifying question"))
        seen: set[str] = set()
        for index, question in enumerate(questions):
            if question.key in seen:
                raise self.fail(f"questions[{index}].key", _("duplicate key {key}").format(key=question.key))
            seen.add(question.key)
        by_key = {q.key: q for q in questions}
        criteria = tuple(self.criterion(c, i, by_key) for i, c in enumerate(self.items(data, "criteria")))
        return CampaignScript(
            name=self.text(campaign, "name", "campaign."),
            script=self.call_script(self.table(data, "script")),
            questions=questions,
            criteria=criteria,
            slot_minutes=slot,
            visits=self.visits(data["visits"], slot) if "visits" in data else None,
        )

    def visits(self, raw: Any, slot_minutes: int) -> VisitRules:
        """The `[visits]` table: days, hours, notice (a duration), horizon in days, step between starts."""
        if not isinstance(raw, Mapping):
            raise self.fail("visits", _("missing table"))
        base = DEFAULT_VISITS
        try:
            days = parse_weekdays(raw["days"]) if "days" in raw else base.weekdays
            if "days" in raw and (not isinstance(raw["days"], list) or not days):
                raise ValueError(_("give at least one day, e.g. monday"))
        except (ValueError, TypeError) as exc:
            raise self.fail("visits.days", str(exc)) from None
        try:
            hours = parse_windows(str(raw["hours"])) if "hours" in raw else base.hours
        except ValueError as exc:
            raise self.fail("visits.hours", str(exc)) from None
        if not hours or all(_minutes(w.end) - _minutes(w.start) < slot_minutes for w in hours):
            raise self.fail("visits.hours", _("no window is long enough for a {minutes}-minute slot").format(
                minutes=slot_minutes))
        try:
            notice = parse_duration(str(raw["notice"])) if "notice" in raw else base.notice
        except ValueError as exc:
            raise self.fail("visits.notice", str(exc)) from None
        horizon = self.whole(raw, "horizon_days", base.horizon_days, 1, 365)
        step = self.whole(raw, "step_minutes", base.step_minutes, 5, 480)
        return VisitRules(days, hours, notice, horizon, slot_minutes, step)

    def whole(self, raw: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(f"visits.{name}", _("expected a whole number from {low} to {high}").format(
                low=low, high=high))
        return value

    def call_script(self, data: Mapping[str, Any]) -> CallScript:
        objections = []
        for i, item in enumerate(self.items(data, "objections", "script.")):
            where = f"script.objections[{i}]."
            objections.append(Objection(self.text(item, "objection", where), self.text(item, "answer", where)))
        return CallScript(
            greeting=_paragraphs(self.text(data, "greeting", "script.")),
            pitch=_paragraphs(self.text(data, "pitch", "script.")),
            objections=tuple(Objection(o.objection, _paragraphs(o.answer)) for o in objections),
            closing=_paragraphs(self.text(data, "closing", "script.")),
            recording_notice=_paragraphs(self.text(data, "recording_notice", "script.", required=False))
            or default_recording_notice(),
        )

    def question(self, data: Mapping[str, Any], index: int) -> Question:
        where = f"questions[{index}]."
        key = self.text(data, "key", where)
        if not key.isidentifier():
            raise self.fail(f"{where}key", _("use letters, digits and underscores only"))
        kind = self.text(data, "type", where)
        if kind not in QUESTION_TYPES:
            raise self.fail(f"{where}type", _("unknown type {type} (known: {known})").format(
                type=kind, known=", ".join(QUESTION_TYPES)))
        choices = self.choices(data.get("choices", []), f"{where}choices")
        if kind in {"choice", "multi_choice"} and len(choices) < 2:
            raise self.fail(f"{where}choices", _("a choice question needs at least two choices"))
        bounds = {name: data.get(name) for name in ("min", "max")}
        for name, value in bounds.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise self.fail(f"{where}{name}", _("expected a whole number"))
        required = data.get("required", True)
        if not isinstance(required, bool):
            raise self.fail(f"{where}required", _("expected true or false"))
        return Question(key=key, label=self.text(data, "label", where), type=kind, choices=choices,
                        required=required, unit=self.text(data, "unit", where, required=False),
                        minimum=bounds["min"], maximum=bounds["max"])

    def choices(self, raw: Any, where: str) -> tuple[Choice, ...]:
        if not isinstance(raw, list):
            raise self.fail(where, _("expected a list of tables"))
        choices = []
        for i, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise self.fail(f"{where}[{i}]", _("expected a table with value and label"))
            at = f"{where}[{i}]."
            choices.append(Choice(self.text(item, "value", at), self.text(item, "label", at)))
        if len({c.value for c in choices}) != len(choices):
            raise self.fail(where, _("two choices have the same value"))
        return tuple(choices)

    def criterion(self, data: Mapping[str, Any], index: int, questions: Mapping[str, Question]) -> Criterion:
        where = f"criteria[{index}]."
        key = self.text(data, "question", where)
        if key not in questions:
            raise self.fail(f"{where}question", _("no question has the key {key}").format(key=key))
        question = questions[key]
        tests = [t for t in CRITERION_TESTS if t in data]
        if len(tests) != 1:
            problem = _("give exactly one of {tests}").format(tests=", ".join(CRITERION_TESTS))
            raise self.fail(where.rstrip("."), problem)
        test = tests[0]
        expected = data[test]
        self.check_expected(question, test, expected, f"{where}{test}")
        label = self.text(data, "label", where, required=False) or _describe(question, test, expected)
        return Criterion(question=key, test=test, expected=expected, label=label)

    def check_expected(self, question: Question, test: str, expected: Any, where: str) -> None:
        values = {c.value for c in question.choices}
        if test in {"min", "max"}:
            if question.type != "integer" or isinstance(expected, bool) or not isinstance(expected, int | float):
                raise self.fail(where, _("min and max apply to number questions only"))
        elif test in {"in", "not_in"}:
            if not isinstance(expected, list) or not expected or (values and not set(expected) <= values):
                raise self.fail(where, _("expected a list of the question's choice values"))
        elif question.type == "yes_no" and not isinstance(expected, bool):
            raise self.fail(where, _("expected true or false"))
        elif values and expected not in values:
            raise self.fail(where, _("not one of the question's choice values"))


def _minutes(moment: time) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60 + moment.microsecond / 60e6


def _paragraphs(text: str) -> str:
    """Lines wrapped in the file joined again; a blank line still separates paragraphs on the agent's screen."""
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip())


def _describe(question: Question, test: str, expected: Any) -> str:
    """A plain-words criterion when the file gives no label."""
    if test == "min":
        wanted = _("at least {value}").format(value=answer_text(question, expected))
    elif test == "max":
        wanted = _("at most {value}").format(value=answer_text(question, expected))
    elif test == "in":
        wanted = " / ".join(question.choice_label(v) for v in expected)
    elif test == "not_in":
        wanted = _("not {values}").format(values=" / ".join(question.choice_label(v) for v in expected))
    else:
        wanted = answer_text(question, expected)
    return _("{question}: {wanted}").format(question=question.label, wanted=wanted)
