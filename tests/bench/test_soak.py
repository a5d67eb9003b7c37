"""The soak, tiny: 45 simulated minutes at 120x around the close and the daily e-mail, each fault once, and
every count reconciles. The soak starts its own PostgreSQL, since it restarts it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bench.soak import run
from tests.rdv.service_harness import PARIS

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]
BEFORE_THE_CLOSE = datetime(2026, 11, 23, 16, 35, tzinfo=PARIS)  # closes at 17:00, e-mail at 17:15
FAULTS = ["AMI connections of PBX a cut", "PBX b restarted", "PostgreSQL restarted", "kill -9 of the scheduler leader",
          "the killed dialer started again", "SMTP server down", "SMTP server up"]  # fmt: skip


def test_a_short_soak_with_every_fault_reconciles_every_dial_rdv_mail_and_job_run(tmp_path: Path) -> None:
    soak, checks = run(0.75, 120.0, tmp_path, start=BEFORE_THE_CLOSE, leads=400)
    problems = {check.name: check.problems for check in checks if check.problems}
    assert problems == {}, f"{problems}\nlogs in {tmp_path}"
    happened = "\n".join(soak.log)
    assert all(fault in happened for fault in FAULTS), happened
    counts = {name: value for check in checks for name, value in check.counts.items()}
    assert counts["attempts"] > 0 and counts["originated"] > 0, "nothing was dialled: the checks prove nothing"
    assert counts["received"] >= 1 and counts["received"] == counts["outbox"], "the daily e-mail never went"
    # The faults reached the dialers: PBX a's cut and PBX b's restart were seen, and so was the database's
    # (whether b is back before the end depends on its reconnect backoff, in wall seconds: not asserted).
    assert all("PBX connection lost" in soak.dialers[name].log() for name in ("a", "b"))
    assert any("LOST the" in dialer.log() for dialer in soak.dialers.values()), "no dialer saw PostgreSQL restart"
