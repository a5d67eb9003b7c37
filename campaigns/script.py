"""A campaign's call script and qualifying questions, as data; the conformity verdict as a pure function.

The script follows the call "du décroché au raccroché" (greeting, pitch, objections with answers,
closing); the questions are what the agent fills in on the RDV sheet; the criteria are the answers
agreed with the client that make an appointment conform (and billable later).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaigns.visit_slots import DEFAULT_VISITS, VisitRules
from config.i18n import _
from config.toml_errors import toml_error_text

QUESTION_TYPES = ("yes_no", "choice", "multi_choice", "integer", "text")
CRITERION_TESTS = ("equals", "in", "not_in", "min", "max")


class InvalidScript(ValueError):
    """A campaign script file that cannot be used; the message names the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(_("{source}: {key}: {problem}").format(source=source, key=key, problem=problem))
        self.source = source
        self.key = key


class InvalidTomlFile(ValueError):
    """A script file that is not TOML at all; the message names the file, line and column."""


class InvalidAnswer(ValueError):
    """An answer that does not fit its qualifying question."""

    def __init__(self, key: str, value: object, problem: str) -> None:
        super().__init__(
            _("Answer to {key} cannot be {value!r}: {problem}").format(key=key, value=value, problem=problem)
        )
        self.key = key


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One qualifying question of the RDV sheet."""

    key: str
    label: str
    type: str
    choices: tuple[Choice, ...] = ()
    required: bool = True
    unit: str = ""
    minimum: int | None = None
    maximum: int | None = None

    def choice_label(self, value: str) -> str:
        return next((c.label for c in self.choices if c.value == value), value)


@dataclass(frozen=True)
class Criterion:
    """One condition agreed with the client; `label` says it in plain words for the unmet list."""

    question: str
    test: str
    expected: Any
    label: str


@dataclass(frozen=True)
class Objection:
    objection: str
    answer: str


@dataclass(frozen=True)
class CallScript:
    greeting: str
    pitch: str
    objections: tuple[Objection, ...]
    closing: str
    # Read to the prospect when the campaign records its calls (script key `recording_notice`).
    recording_notice: str = ""


def default_recording_notice() -> str:
    """What the agent says when a recorded campaign's script names no notice of its own."""
    return _("This call may be recorded for quality and training purposes; you may object to it.")


@dataclass(frozen=True)
class CampaignScript:
    """Everything a campaign file defines for the agent's screen and the RDV sheet."""

    name: str
    script: CallScript
    questions: tuple[Question, ...]
    criteria: tuple[Criterion, ...]
    slot_minutes: int = 120
    # When the client visits (the `[visits]` table); None: the file says nothing, the defaults are offered.
    visits: VisitRules | None = None

    def question(self, key: str) -> Question:
        return next(q for q in self.questions if q.key == key)

    def visit_rules(self) -> VisitRules:
        """The slots the client accepts, with this campaign's slot length."""
        return (self.visits or DEFAULT_VISITS).with_slot(self.slot_minutes)


@dataclass(frozen=True)
class Verdict:
    """Whether the answers meet every criterion, and the unmet ones in plain words."""

    conform: bool
    unmet: tuple[str, ...]


def load_script(path: Path) -> CampaignScript:
    """Read and validate a campaign script file (TOML)."""
    return parse_script(read_script_data(path), path.name)


def read_script_data(path: Path) -> dict[str, Any]:
    """The raw content of a TOML script file, with a clear error when it is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidTomlFile(toml_error_text(path.name, exc)) from None


def parse_script(data: Mapping[str, Any], source: str) -> CampaignScript:
    """Validate the content of a script file; every error names `source` and the key at fault."""
    from campaigns.script_parsing import Parser

    return Parser(source).campaign(data)


def check_answers(answers: Mapping[str, Any], questions: Sequence[Question]) -> dict[str, Any]:
    """The answers, checked against their questions; unknown keys, wrong types and missing required ones refused."""
    by_key = {q.key: q for q in questions}
    for key in answers:
        if key not in by_key:
            raise InvalidAnswer(key, answers[key], _("no such question in the campaign script"))
    checked: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.key)
        if value is None or value == "" or value == []:
            if question.required:
                raise InvalidAnswer(question.key, value, _("this question must be answered"))
            continue
        checked[question.key] = _check_one(question, value)
    return checked


def _check_one(question: Question, value: Any) -> Any:
    values = {c.value for c in question.choices}
    if question.type == "yes_no":
        if not isinstance(value, bool):
            raise InvalidAnswer(question.key, value, _("expected yes or no"))
    elif question.type == "choice":
        if value not in values:
            raise InvalidAnswer(question.key, value, _("not one of the choices"))
    elif question.type == "multi_choice":
        if not isinstance(value, list | tuple) or not set(value) <= values:
            raise InvalidAnswer(question.key, value, _("not a list of the choices"))
        return list(value)
    elif question.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidAnswer(question.key, value, _("expected a whole number"))
        if (question.minimum is not None and value < question.minimum) or (
            question.maximum is not None and value > question.maximum
        ):
            raise InvalidAnswer(question.key, value, _("out of the allowed range"))
    elif not isinstance(value, str):
        raise InvalidAnswer(question.key, value, _("expected text"))
    return value


def conformity(answers: Mapping[str, Any], criteria: Sequence[Criterion]) -> Verdict:
    """Which agreed criteria the answers meet; a missing answer never meets a criterion."""
    unmet = tuple(c.label for c in criteria if not _meets(answers.get(c.question), c))
    return Verdict(conform=not unmet, unmet=unmet)


def _meets(answer: Any, criterion: Criterion) -> bool:
    if answer is None:
        return False
    expected = criterion.expected
    if criterion.test == "equals":
        return bool(answer == expected)
    given = set(answer) if isinstance(answer, list) else {answer}
    if criterion.test == "in":
        return bool(given) and given <= set(expected)
    if criterion.test == "not_in":
        return not (given & set(expected))
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        return False
    return bool(answer >= expected) if criterion.test == "min" else bool(answer <= expected)


def answer_text(question: Question, value: Any) -> str:
    """An answer as the client reads it on the RDV sheet."""
    if value is None:
        return ""
    if question.type == "yes_no":
        return _("Yes") if value else _("No")
    if question.type == "choice":
        return question.choice_label(value)
    if question.type == "multi_choice":
        return ", ".join(question.choice_label(v) for v in value)
    if question.type == "integer" and question.unit:
        return f"{value} {question.unit}"
    return str(value)
