"""Visit slots as campaign data: only the days, hours and notice the client accepts are offered or booked."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from campaigns.appointment_rules import InvalidSlot, TimeSlot
from campaigns.script import InvalidScript, load_script, parse_script
from campaigns.visit_slots import DEFAULT_VISITS, check_visit, offer_slots, parse_slot_value, slot_value
from tests.campaigns.appointment_helpers import PARIS, SAMPLE

RULES = load_script(SAMPLE).visit_rules()
# Friday 27 November 2026, 16:30 in Paris.
NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def test_the_sample_offers_two_hour_slots_monday_to_saturday_from_the_next_day() -> None:
    offer = offer_slots(RULES, "Europe/Paris", NOW)
    first = offer[0]
    assert first.day.isoformat() == "2026-11-28"  # Saturday: the client visits; Friday's slots are too soon
    assert [s.start.astimezone(PARIS).time() for s in first.slots] == [time(17)]  # 24 h notice from 16:30
    monday = offer[1]
    assert monday.day.isoformat() == "2026-11-30"  # no Sunday
    assert [(s.start.hour, s.end.hour) for s in monday.slots] == [(9, 11), (10, 12), (14, 16), (15, 17),
                                                                  (16, 18), (17, 19)]
    assert all(d.day.weekday() != 6 for d in offer)
    assert offer[-1].day <= NOW.date() + timedelta(days=21)


def test_public_holidays_are_never_offered() -> None:
    offer = offer_slots(RULES, "Europe/Paris", datetime(2026, 12, 20, 9, tzinfo=UTC))
    days = {d.day.isoformat() for d in offer}
    assert "2026-12-25" not in days and "2027-01-01" not in days and "2026-12-24" in days


def test_a_slot_outside_what_the_client_accepts_is_refused_in_plain_words() -> None:
    def at(day: int, hour: int, minutes: int = 120) -> TimeSlot:
        start = datetime(2026, 12, day, hour, tzinfo=PARIS)
        return TimeSlot(start, start + timedelta(minutes=minutes))

    check_visit(at(1, 14), RULES, "Europe/Paris", NOW)
    for slot, problem in [(at(6, 14), "ne se déplace pas ce jour-là"), (at(1, 11), "pas un des créneaux"),
                          (at(1, 14, 90), "pas un des créneaux"), (at(30, 14), "au plus 21 jours")]:
        with pytest.raises(InvalidSlot, match=problem):
            check_visit(slot, RULES, "Europe/Paris", NOW)
    with pytest.raises(InvalidSlot, match="prévenance"):
        check_visit(at(1, 14), RULES, "Europe/Paris", datetime(2026, 12, 1, 8, tzinfo=UTC))


def test_a_slot_comes_back_from_the_form_in_the_prospects_zone() -> None:
    slot = offer_slots(RULES, "Indian/Reunion", NOW)[0].slots[0]
    assert parse_slot_value(slot_value(slot), "Indian/Reunion") == slot
    for bad in ("2026-12-01T14:00", "demain", "2026-12-01T14:00/2026-12-01T16:00"):
        with pytest.raises(InvalidSlot):
            parse_slot_value(bad, "Europe/Paris")


def _sample() -> dict[str, Any]:
    return tomllib.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("visits", "key"), [
    ({"days": ["lundi"]}, "visits.days"), ({"days": []}, "visits.days"), ({"hours": "9h-midi"}, "visits.hours"),
    ({"hours": "09:00-10:00"}, "visits.hours"), ({"notice": "bientôt"}, "visits.notice"),
    ({"horizon_days": 0}, "visits.horizon_days"), ({"step_minutes": True}, "visits.step_minutes"),
])
def test_a_bad_visits_table_is_refused_naming_the_key(visits: dict[str, Any], key: str) -> None:
    data = _sample()
    data["visits"] = visits
    with pytest.raises(InvalidScript) as caught:
        parse_script(data, "charpente.toml")
    assert caught.value.key == key


def test_a_script_without_visits_table_offers_the_defaults() -> None:
    data = _sample()
    del data["visits"]
    assert parse_script(data, "x.toml").visit_rules() == DEFAULT_VISITS.with_slot(120)
