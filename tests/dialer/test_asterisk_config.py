"""The Asterisk include files as text: what each value becomes, and the values that would break Asterisk."""

from __future__ import annotations

import pytest

from dialer.asterisk_config import (
    IncludeInputs,
    InvalidAsteriskSetting,
    PhoneBinding,
    extensions_conf,
    include_files,
    queues_conf,
    sim_phones,
    trunk_parts,
)


def _inputs(**changes: object) -> IncludeInputs:
    values: dict[str, object] = {"campaigns": ((3, "Toitures"),), "phones": (), "drop_message": "/s/rdv-dropped-call",
                                 "silence": "/s/rdv-silence"}
    values.update(changes)
    return IncludeInputs(**values)  # type: ignore[arg-type]


def test_the_trunk_template_splits_around_the_number() -> None:
    assert trunk_parts("PJSIP/{number}@trunk") == ("PJSIP/", "@trunk")
    assert trunk_parts("Local/{number}@rdv-test-callees") == ("Local/", "@rdv-test-callees")
    assert "TRUNK_PREFIX = SIP/\nTRUNK_SUFFIX = \n" in include_files(_inputs(trunk="SIP/{number}"))["rdv-globals.conf"]


@pytest.mark.parametrize("trunk", ["PJSIP/trunk", "{number}@trunk", "PJSIP/{number}@a,b", "PJSIP/{number}{number}",
                                   "PJSIP/{number}@trunk)"])
def test_a_trunk_that_would_break_the_dial_is_refused(trunk: str) -> None:
    with pytest.raises(InvalidAsteriskSetting, match="Trunk"):
        _inputs(trunk=trunk)


def test_a_campaign_name_cannot_end_its_comment() -> None:
    text = queues_conf([(7, "Toitures\n[evil]\nstrategy = ringall")])
    assert "[rdv-7](rdv-campaign)" in text
    assert "\n[evil]" not in text


@pytest.mark.parametrize(("login", "dial"), [("alice bob", "PJSIP/a"), ("-x", "PJSIP/a"), ("alice", "PJSIP"),
                                             ("alice", "PJSIP/a,b"), ("alice", "PJSIP/a)")])
def test_a_login_or_phone_that_would_break_the_dialplan_is_refused(login: str, dial: str) -> None:
    with pytest.raises(InvalidAsteriskSetting):
        PhoneBinding(login, dial)


def test_simulated_phones_answer_in_the_shipped_context_and_pjsip_phones_are_asked_to_auto_answer() -> None:
    text = extensions_conf((*sim_phones(["agent1", "agent3-2"]), PhoneBinding("alice", "PJSIP/poste-12")))
    assert "exten => agent1,1,Dial(Local/agent1@rdv-sim-phones)\n" in text
    assert "exten => agent3-2,1,Dial(Local/agent3-2@rdv-sim-phones)\n" in text
    assert "exten => alice,1,Dial(PJSIP/poste-12,,b(rdv-auto-answer^s^1))\n" in text


def test_sound_paths_must_be_absolute_and_plain() -> None:
    with pytest.raises(InvalidAsteriskSetting, match="Fichier son"):
        _inputs(drop_message="relative/rdv-dropped-call")
    with pytest.raises(InvalidAsteriskSetting, match="Fichier son"):
        _inputs(silence="/with space/rdv-silence")
