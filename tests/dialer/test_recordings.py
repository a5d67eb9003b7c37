"""Recordings: a recording campaign's connected calls leave a WAV under the data folder, stored with its
duration and checksum (PBX simulator over TCP); retention deletes file and row once their time is up."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from campaigns.models import Attempt, Campaign
from config.orm import transaction
from dialer.call_models import CallControlEvent, Recording
from dialer.recordings import Recorder, purge_expired, recording_path, wav_seconds
from dialer.simulator.control import write_recording
from tests.dialer.engine_harness import running_dialer


async def test_each_connected_call_of_a_recording_campaign_is_stored_with_its_file(database_url: str,
                                                                                  tmp_path: Path) -> None:
    async with running_dialer(database_url, 60) as dialer:
        with transaction(dialer.sessions) as session:
            campaign = session.get(Campaign, dialer.campaign_id)
            assert campaign is not None
            campaign.settings = {**(campaign.settings or {}), "record_calls": "yes",
                                 "recording_retention_days": "30"}
        engine = await dialer.start_engine(agents=2)
        recorder = Recorder(dialer.sessions, dialer.clock, tmp_path, write_grace_s=20).attach(engine)
        await dialer.until(lambda: recorder.stored >= 3, clock_s=4 * 3600)
        await engine.stop(drain_timeout=600)
        for task in list(recorder.tasks):
            await task
    with dialer.sessions() as session:
        rows = list(session.scalars(select(Recording)))
        connected = {a.id: a for a in session.scalars(select(Attempt).where(Attempt.outcome == "connected"))}
        recorded = list(session.scalars(select(CallControlEvent).where(CallControlEvent.kind == "recorded")))
    assert len(rows) == len(connected) and len(recorded) == len(rows)
    assert recorder.missing == 0
    for row in rows:
        attempt = connected[row.attempt_id]
        path = tmp_path / row.path
        assert path == recording_path(tmp_path, dialer.campaign_id, attempt.action_id, attempt.created_at)
        assert row.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and row.size_bytes == path.stat().st_size
        assert 0.5 <= row.duration_s <= 3.0 and abs(row.duration_s - wav_seconds(path)) < 0.01
        assert attempt.ended_at is not None and row.delete_after == attempt.ended_at + timedelta(days=30)
    # A call that was not connected has no file: nothing under the day's folder but the recordings stored.
    assert len(list((tmp_path / "recordings").rglob("*.wav"))) == len(rows)


async def test_a_campaign_that_does_not_record_asks_for_no_file(database_url: str, tmp_path: Path) -> None:
    async with running_dialer(database_url, 30) as dialer:
        engine = await dialer.start_engine(agents=2)
        recorder = Recorder(dialer.sessions, dialer.clock, tmp_path).attach(engine)
        await dialer.until(lambda: engine.counters["outcome_connected"] >= 2, clock_s=4 * 3600)
        await engine.stop(drain_timeout=600)
    assert recorder.stored == 0 and not (tmp_path / "recordings").exists()


def test_retention_deletes_expired_files_and_rows_and_counts_what_was_already_gone(database_url: str,
                                                                                  tmp_path: Path) -> None:
    from rdv import db
    from tests.campaigns.factories import MONDAY_3PM, campaign, leads

    sessions = db.session_factory(db.make_engine(database_url))
    with transaction(sessions) as session:
        made = campaign(session)
        lead = leads(session, made.id, 1)[0]
        ids = []
        for n in range(3):
            attempt = Attempt(campaign_id=made.id, lead_id=lead.id, attempt_no=n + 1, phone_e164=lead.phone_e164,
                              callee_tz="Europe/Paris", created_at=MONDAY_3PM, action_id=f"rdv-{n}")
            session.add(attempt)
            session.flush()
            ids.append(attempt.id)
    paths = [recording_path(tmp_path, made.id, f"rdv-{n}", MONDAY_3PM) for n in range(3)]
    for path in paths[:2]:
        write_recording(str(path), 1.0)
    with transaction(sessions) as session:
        for n, (attempt_id, path) in enumerate(zip(ids, paths, strict=True)):
            session.add(Recording(attempt_id=attempt_id, campaign_id=made.id, path=str(path.relative_to(tmp_path)),
                                  duration_s=1.0, size_bytes=1, sha256="0" * 64, recorded_at=MONDAY_3PM,
                                  delete_after=MONDAY_3PM + timedelta(days=1 if n != 1 else 40)))
    report = purge_expired(sessions, tmp_path, MONDAY_3PM + timedelta(days=2))
    # Rows 0 (file there) and 2 (file already gone) expire; row 1 is kept for 40 days.
    assert (report.files_deleted, report.rows_deleted, report.files_missing) == (1, 2, 1)
    assert not paths[0].exists() and paths[1].exists()
    with sessions() as session:
        assert [r.attempt_id for r in session.scalars(select(Recording))] == [ids[1]]
