"""AMI and SMTP credentials never reach a log line, an error message or a printed settings object."""

from __future__ import annotations

import logging

import pytest

from config.clock import ScaledClock
from config.settings import load_settings
from dialer.ami import AmiPbx
from dialer.ports import PbxAuthFailed
from dialer.simulator import PbxSimulator
from tests.dialer.test_ami_adapter import FAST, START

SECRET = "Zq8-secret-never-shown"


async def test_the_ami_secret_is_in_no_log_line_and_no_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    simulator = PbxSimulator(ScaledClock(START, scale=200.0), username="rdv", secret=SECRET)
    await simulator.start()
    try:
        good = AmiPbx("127.0.0.1", simulator.port, "rdv", SECRET, simulator.pbx.clock, FAST)
        await good.connect()
        await good.close()
        bad = AmiPbx("127.0.0.1", simulator.port, "rdv", SECRET + "x", simulator.pbx.clock, FAST)
        with pytest.raises(PbxAuthFailed) as refused:
            await bad.connect()
        await bad.close()
    finally:
        await simulator.stop()
    assert caplog.records, "the test must see the adapter's log"
    assert SECRET not in caplog.text and SECRET not in str(refused.value)


def test_printed_settings_hold_no_credential() -> None:
    settings = load_settings({"RDV_AMI_SECRET": SECRET, "RDV_SMTP_PASSWORD": SECRET + "2"})
    assert settings.ami_secret == SECRET and SECRET not in repr(settings)
