"""The per-campaign settings registry, dispositions and `check_campaign`'s plain-words conflicts."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.check import check_campaign
from campaigns.dispositions import dispositions_for, set_disposition
from campaigns.errors import InvalidSetting, UnknownSetting
from campaigns.profiles import get_profile
from campaigns.settings import REGISTRY, CampaignSettings, campaign_settings, describe, set_value

MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_every_setting_has_a_default_that_parses_and_prints_back_the_same() -> None:
    defaults = campaign_settings({})
    assert [f.name for f in fields(CampaignSettings)] == list(REGISTRY)
    for key, spec in REGISTRY.items():
        assert spec.format(spec.parse(spec.format(getattr(defaults, key)))) == spec.format(getattr(defaults, key))
    assert defaults.max_attempts == 20 and defaults.abandonment_target == 0.03
    assert defaults.daily_mail_time.strftime("%H:%M") == "19:15" and not defaults.saturday


def test_defaults_follow_the_client_contract() -> None:
    defaults = campaign_settings({})
    # Seeds 001: up to 20 attempts; a day without appointments still gets a short note unless turned off.
    assert defaults.max_attempts == 20
    assert defaults.send_empty_daily_mail is True


def test_set_value_stores_only_changes_in_canonical_form() -> None:
    stored = set_value({}, "retry_no_answer", "90m")
    assert stored == {"retry_no_answer": "1h30m"}
    assert campaign_settings(stored).retry_no_answer == timedelta(minutes=90)
    assert set_value(stored, "retry_no_answer", "3h") == {}
    assert set_value({}, "abandonment_target", "2,5 %") == {"abandonment_target": "2.5%"}
    changed = {key for key, _value, is_changed, _help in describe(set_value({}, "saturday", "oui")) if is_changed}
    assert changed == {"saturday"}


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [("max_attempts", "0", "max_attempts"), ("weekday_windows", "19:00-10:00", "19:00"),
     ("centre_timezone", "Mars/Olympus", "Mars/Olympus"), ("pacing_mode", "turbo", "predictive"),
     ("closures", "2026-13-01", "2026-13-01")],
)
def test_invalid_values_are_refused_naming_the_setting_and_the_value(key: str, value: str, named: str) -> None:
    with pytest.raises(InvalidSetting) as caught:
        set_value({}, key, value)
    assert key in str(caught.value) and named in str(caught.value)


def test_an_unknown_setting_lists_the_known_ones() -> None:
    with pytest.raises(UnknownSetting, match="max_attempts"):
        set_value({}, "max_attempt", "3")


def test_dispositions_default_to_appointment_setting_and_can_be_changed() -> None:
    defaults = dispositions_for({})
    assert {code for code, d in defaults.items() if not d.final} == {"callback", "no_answer", "machine",
                                                                      "unqualified"}
    assert defaults["unqualified"].label() == "Non qualifié" and not defaults["unqualified"].argued
    assert defaults["rdv"].argued and not defaults["wrong_number"].argued
    assert defaults["rdv"].label() == "RDV pris"
    changed = dispositions_for(set_disposition({}, "refused", "final=no, retry=90d"))
    assert not changed["refused"].final and changed["refused"].retry == timedelta(days=90)
    with pytest.raises(InvalidSetting, match="disposition.refused"):
        set_disposition({}, "refused", "final=maybe")


def conflicts(profile: str, **stored: str) -> list[str]:
    settings_ = campaign_settings(stored)
    found = check_campaign(settings_, get_profile(profile), dispositions_for({}), MONDAY, "Europe/Paris",
                           "Europe/Paris")
    return [c.message for c in found]


def test_check_says_in_plain_words_what_fr_consumer_takes_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    messages = conflicts("fr-consumer", saturday="yes")
    assert "Saturday window 10:00–13:00 is not allowed by fr-consumer" in messages
    assert ("Monday to Friday window 10:00–19:00 goes beyond fr-consumer (10:00–13:00, 14:00–20:00): "
            "no calls 13:00–14:00") in messages
    assert "20 attempts cannot fit in 4 per 30 days: the last attempt would be on Wednesday, 24 March 2027" in messages
    assert conflicts("fr-consumer", weekday_windows="10:00-13:00, 14:00-19:00", max_attempts="4") == []


def test_check_reports_the_centre_hours_and_an_abandonment_target_above_the_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    messages = conflicts("us-tsr", centre_weekday_hours="09:00-17:00", abandonment_target="5%")
    assert "Abandonment target 5.0% is above the 3.0% that us-tsr allows" in messages
    centre = "The centre's opening hours (Europe/Paris) leave 35 of the 45 weekly calling hours in Europe/Paris"
    assert centre in messages
    assert conflicts("fr-business") == []
