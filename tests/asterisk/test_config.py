"""The shipped configs and the generated includes load cleanly in a real Asterisk and say what rdv needs."""

from __future__ import annotations

import re

import pytest

from tests.asterisk.harness import Asterisk
from tests.asterisk.scenario import prepare

pytestmark = pytest.mark.asterisk
# Boot messages about configs a dialer does not use (the test instance has no file for them).
HARMLESS = re.compile(r"indications\.conf|ccss\.conf|Unable to load config file '(udptl|features|cel|acl)\.conf'"
                      r"|minimum_size")  # fmt: skip


def test_the_configs_load_without_a_warning_and_give_each_campaign_its_queue(sqlite_url: str,
                                                                             asterisk: Asterisk) -> None:
    first = prepare(sqlite_url, ["+33101005001"], name="Toitures")
    second = prepare(sqlite_url, ["+33101005002"], name="Fenêtres")
    asterisk.configure(sqlite_url, ["--sim-agents", "2", "--campaign", "Toitures"])
    asterisk.start()

    complaints = [line for line in asterisk.messages().splitlines()
                  if re.search(r"\] (WARNING|ERROR)\[", line) and not HARMLESS.search(line)]  # fmt: skip
    assert complaints == []
    for campaign_id in (first, second):
        shown = asterisk.rx(f"queue show rdv-{campaign_id}")
        assert f"rdv-{campaign_id} has 0 calls" in shown and "'leastrecent' strategy" in shown, shown
    assert "Class: rdv-silence" in asterisk.rx("moh show classes")
    # A simulated agent's queue interface rings a phone that answers; any other login its PJSIP endpoint.
    assert "Dial(Local/agent2@rdv-sim-phones)" in asterisk.rx("dialplan show agent2@agents")
    assert "Dial(PJSIP/${EXTEN},,b(rdv-auto-answer^s^1))" in asterisk.rx("dialplan show alice@agents")
    assert "TRUNK_PREFIX=Local/" in asterisk.rx("dialplan show globals")
