"""The RDV sheet as a form: fields from the campaign's qualifying questions, answers read from what the agent
typed with one plain message per field, and the conformity verdict as it stands while the form is filled.

Pure. `read_answers` turns the strings of an HTML form into the typed answers `check_answers` accepts;
`live_verdict` tells apart criteria met, criteria an answer misses, and criteria not answered yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from campaigns.script import Criterion, Question, conformity
from config.i18n import _

TEXT_MAX = 1000


@dataclass(frozen=True)
class FormField:
    """One question as the form shows it: the input's kind and name, and the hint under its label."""

    question: Question
    name: str
    widget: str  # radio_yes_no, select, checkboxes, number, text
    hint: str


@dataclass(frozen=True)
class FormAnswers:
    """The answers read so far, and a message for each field that is wrong or missing."""

    values: dict[str, Any]
    errors: dict[str, str]

    @property
    def complete(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class LiveVerdict:
    """Where the sheet stands against the client's criteria, each criterion in plain words."""

    conform: bool
    met: tuple[str, ...]
    unmet: tuple[str, ...]
    pending: tuple[str, ...]


_WIDGETS = {"yes_no": "radio_yes_no", "choice": "select", "multi_choice": "checkboxes",
            "integer": "number", "text": "text"}


def input_name(question: Question) -> str:
    """The form input's name for a question (kept apart from the form's other inputs)."""
    return f"answer_{question.key}"


def form_fields(questions: Sequence[Question]) -> tuple[FormField, ...]:
    """The sheet's fields in the script's order."""
    return tuple(FormField(q, input_name(q), _WIDGETS[q.type], _hint(q)) for q in questions)


def _hint(question: Question) -> str:
    parts = [] if question.required else [_("optional")]
    unit = f"\u00a0{question.unit}" if question.unit else ""
    if question.minimum is not None and question.maximum is not None:
        parts.append(_("from {low} to {high}").format(low=question.minimum, high=f"{question.maximum}{unit}"))
    elif question.minimum is not None:
        parts.append(_("at least {low}").format(low=f"{question.minimum}{unit}"))
    elif question.maximum is not None:
        parts.append(_("at most {high}").format(high=f"{question.maximum}{unit}"))
    elif unit:
        parts.append(_("in {unit}").format(unit=question.unit))
    if question.type == "multi_choice":
        parts.append(_("several answers possible"))
    return ", ".join(parts)


def read_answers(questions: Sequence[Question], form: Mapping[str, Sequence[str]]) -> FormAnswers:
    """The typed answers in `form` (input name → the strings sent) and a French message per bad field."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        raw = [s.strip() for s in form.get(input_name(question), ()) if s.strip()]
        if not raw:
            if question.required:
                errors[question.key] = _("An answer is required.")
            continue
        value, problem = _read_one(question, raw)
        if problem:
            errors[question.key] = problem
        else:
            values[question.key] = value
    return FormAnswers(values, errors)


def _read_one(question: Question, raw: list[str]) -> tuple[Any, str]:
    known = {c.value for c in question.choices}
    if question.type == "yes_no":
        if raw[0] not in {"yes", "no"}:
            return None, _("Answer yes or no.")
        return raw[0] == "yes", ""
    if question.type == "choice":
        return (raw[0], "") if raw[0] in known else (None, _("Choose one of the options offered."))
    if question.type == "multi_choice":
        chosen = list(dict.fromkeys(raw))
        return (chosen, "") if set(chosen) <= known else (None, _("Choose among the options offered."))
    if question.type == "integer":
        return _read_number(question, raw[0])
    if len(raw[0]) > TEXT_MAX:
        return None, _("At most {count} characters.").format(count=TEXT_MAX)
    return raw[0], ""


def _read_number(question: Question, text: str) -> tuple[int | None, str]:
    compact = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if question.unit and compact.endswith(question.unit.replace(" ", "")):
        compact = compact[: -len(question.unit.replace(" ", ""))]
    if not compact.lstrip("-").isdigit():
        return None, _("Type a whole number, for example 120.")
    value = int(compact)
    unit = f"\u00a0{question.unit}" if question.unit else ""
    if question.minimum is not None and value < question.minimum:
        return None, _("At least {low}.").format(low=f"{question.minimum}{unit}")
    if question.maximum is not None and value > question.maximum:
        return None, _("At most {high}.").format(high=f"{question.maximum}{unit}")
    return value, ""


def live_verdict(values: Mapping[str, Any], criteria: Sequence[Criterion]) -> LiveVerdict:
    """The verdict on the answers read so far: a criterion whose question is unanswered is pending, not unmet."""
    verdict = conformity(values, criteria)
    unmet = set(verdict.unmet)
    met = tuple(c.label for c in criteria if c.label not in unmet)
    pending = tuple(c.label for c in criteria if c.label in unmet and values.get(c.question) is None)
    failed = tuple(c.label for c in criteria if c.label in unmet and values.get(c.question) is not None)
    return LiveVerdict(conform=verdict.conform, met=met, unmet=failed, pending=pending)
