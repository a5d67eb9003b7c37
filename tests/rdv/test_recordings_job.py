"""The nightly retention job of recordings: when it fires, and what one run deletes and says."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from campaigns.models import Attempt
from config.clock import ScaledClock
from config.orm import transaction
from dialer.call_models import Recording
from dialer.recordings import recording_path
from dialer.simulator.control import write_recording
from rdv import db
from rdv.jobs import recordings_retention_job
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

PARIS = ZoneInfo("Europe/Paris")


def test_the_job_fires_at_night_and_deletes_what_is_past_its_retention(database_url: str, tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    sessions = db.session_factory(db.make_engine(database_url))
    with transaction(sessions) as session:
        made = campaign(session)
        lead = leads(session, made.id, 1)[0]
        attempt = Attempt(campaign_id=made.id, lead_id=lead.id, attempt_no=1, phone_e164=lead.phone_e164,
                          callee_tz="Europe/Paris", created_at=MONDAY_3PM, action_id="rdv-old")
        session.add(attempt)
        session.flush()
        path = recording_path(tmp_path, made.id, "rdv-old", MONDAY_3PM)
        write_recording(str(path), 1.0)
        session.add(Recording(attempt_id=attempt.id, campaign_id=made.id, path=str(path.relative_to(tmp_path)),
                              duration_s=1.0, size_bytes=path.stat().st_size, sha256="0" * 64,
                              recorded_at=MONDAY_3PM, delete_after=MONDAY_3PM + timedelta(days=30)))
    clock = ScaledClock(MONDAY_3PM + timedelta(days=31), scale=1.0)
    job = recordings_retention_job(sessions, clock, tmp_path, "Europe/Paris")
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 12, 24, 12, 0, tzinfo=PARIS))
    assert fire == datetime(2026, 12, 25, 3, 30, tzinfo=PARIS)  # every night at 03:30, holidays included
    with caplog.at_level(logging.INFO, logger="rdv.jobs"):
        job.run(fire)
    assert not path.exists()
    with sessions() as session:
        assert session.scalars(select(Recording)).first() is None
    assert "1 files and 1 records deleted" in caplog.text
