"""Call recordings: which calls are recorded, where the file goes, storing it once the PBX has written it,
and deleting it when the campaign's retention has run out.

A campaign with `record_calls` gets, on each Originate, the variable `RDV_RECORD`: the file's absolute path,
`<data folder>/recordings/<campaign id>/<YYYY-MM-DD>/<call id>.wav`. When an agent is connected the
dialplan (extensions.conf, `rdv-record`) starts MixMonitor on the agent's leg with that path, so the file
holds the conversation from the agent's connection to the end; the PBX simulator writes a short generated
WAV there instead. The PBX must be able to write into the data folder (the same machine, or a shared
folder mounted at the same path).

When the engine tells of a finished connected call, the recorder waits (off the event loop's critical
path) until the file is complete, then stores a `recordings` row (path relative to the data folder,
duration read from the WAV header, size, SHA-256, `delete_after` = end + retention days) and a `recorded`
call event. `purge_expired()` is the daily retention job's work.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Campaign
from campaigns.settings import campaign_settings
from config.clock import Clock
from config.orm import transaction
from dialer.call_models import CallControlEvent, Recording
from dialer.live import CallFinished, LiveCall

log = logging.getLogger(__name__)
RECORDINGS_DIR = "recordings"
# Campaign settings are read again this often (clock seconds): a change applies to the next calls.
SETTINGS_TTL_S = 60.0
# How long (wall seconds) the PBX may take to close a recording after the call's end.
WRITE_GRACE_S = 30.0


@dataclass(frozen=True)
class RecordingPolicy:
    record: bool
    retention_days: int


def recording_path(data_dir: Path, campaign_id: int, call_id: str, moment: datetime) -> Path:
    """Where a call's recording goes: per campaign and day, named by the call id (no personal data)."""
    return data_dir / RECORDINGS_DIR / str(campaign_id) / moment.strftime("%Y-%m-%d") / f"{call_id}.wav"


def wav_seconds(path: Path) -> float:
    """The duration of a WAV file from its header; ValueError if it is not a complete WAV file."""
    try:
        with wave.open(str(path), "rb") as audio:
            rate = audio.getframerate()
            return audio.getnframes() / rate if rate else 0.0
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path.name}: not a complete WAV file ({exc})") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class Recorder:
    """Asks the PBX to record the calls of recording campaigns and stores what it wrote."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, data_dir: Path,
                 write_grace_s: float = WRITE_GRACE_S) -> None:
        self.sessions, self.clock, self.data_dir = sessions, clock, data_dir.resolve()
        self.write_grace_s = write_grace_s
        self._policies: dict[int, tuple[float, RecordingPolicy]] = {}
        self._asked: dict[str, Path] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.stored = 0
        self.missing = 0

    def attach(self, engine: Any) -> Recorder:
        """Hook into an engine: a variable on each Originate, and the finished calls."""
        engine.variable_hooks.append(self.variables_for)
        engine.on_call_finished(self.finished)
        return self

    def policy(self, campaign_id: int) -> RecordingPolicy:
        now = self.clock.now().timestamp()
        cached = self._policies.get(campaign_id)
        if cached is not None and now - cached[0] < SETTINGS_TTL_S:
            return cached[1]
        with self.sessions() as session:
            campaign = session.get(Campaign, campaign_id)
            stored = campaign_settings(campaign.settings or {}) if campaign is not None else None
        policy = RecordingPolicy(bool(stored and stored.record_calls), stored.recording_retention_days if stored else 1)
        self._policies[campaign_id] = (now, policy)
        return policy

    def variables_for(self, live: LiveCall) -> dict[str, str]:
        """The Originate's variables for this call: the recording's path, if its campaign records."""
        try:
            if not self.policy(live.campaign_id).record:
                return {}
        except Exception:  # a database hiccup must not cost the dial: this call goes unrecorded
            log.exception("recording policy of campaign %s unreadable; call not recorded", live.campaign_id)
            return {}
        path = recording_path(self.data_dir, live.campaign_id, live.call_id, self.clock.now())
        if any(c in str(path) for c in ",;|\r\n\t ()"):  # would end the variable or MixMonitor's argument
            log.error("recordings folder %s has a character Asterisk cannot take in a file name; "
                      "call not recorded", self.data_dir)
            return {}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._asked[live.call_id] = path
        return {"RDV_RECORD": str(path)}

    def finished(self, finished: CallFinished) -> None:
        """A call's end is stored: store its recording once the PBX has closed the file."""
        path = self._asked.pop(finished.ended.call_id, None)
        if path is None or finished.ended.outcome != "connected":
            return
        task = asyncio.get_running_loop().create_task(self.store_when_written(finished, path))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def store_when_written(self, finished: CallFinished, path: Path) -> Recording | None:
        """Wait until the file is a complete WAV whose size has stopped changing, then store it."""
        loop = asyncio.get_running_loop()
        deadline, last_size = loop.time() + self.write_grace_s, -1
        while loop.time() < deadline:
            size = path.stat().st_size if path.exists() else -1
            if size > 44 and size == last_size:
                try:
                    return self.store(finished, path)
                except ValueError:
                    pass  # still being written
            last_size = size
            await asyncio.sleep(0.5)
        self.missing += 1
        log.warning("no recording of attempt %s after %.0f s: the PBX wrote no file (%s)",
                    finished.attempt_id, self.write_grace_s, path.name)
        return None

    def store(self, finished: CallFinished, path: Path) -> Recording:
        """Measure and store one recording file (idempotent per attempt)."""
        ended = finished.ended
        seconds = wav_seconds(path)
        retention = self.policy(finished.campaign_id).retention_days
        with transaction(self.sessions) as session:
            existing = session.scalars(select(Recording).where(Recording.attempt_id == finished.attempt_id)).first()
            if existing is not None:
                return existing
            row = Recording(attempt_id=finished.attempt_id, campaign_id=finished.campaign_id,
                            path=str(path.relative_to(self.data_dir)), duration_s=round(seconds, 2),
                            size_bytes=path.stat().st_size, sha256=sha256_of(path), recorded_at=ended.at,
                            delete_after=ended.at + timedelta(days=retention))
            session.add(row)
            session.add(CallControlEvent(attempt_id=finished.attempt_id, call_id=ended.call_id, at=self.clock.now(),
                                         kind="recorded", login=ended.agent, detail=path.name))
        self.stored += 1
        return row


@dataclass(frozen=True)
class PurgeReport:
    files_deleted: int
    rows_deleted: int
    files_missing: int


def purge_expired(sessions: sessionmaker[Session], data_dir: Path, now: datetime) -> PurgeReport:
    """Delete the recordings whose retention has run out: the file, then its row (a missing file is counted)."""
    files = missing = 0
    with transaction(sessions) as session:
        expired = list(session.scalars(select(Recording).where(Recording.delete_after <= now)))
        for row in expired:
            path = data_dir / row.path
            if path.exists():
                path.unlink()
                files += 1
            else:
                missing += 1
        if expired:
            session.execute(delete(Recording).where(Recording.id.in_([r.id for r in expired])))
    return PurgeReport(files, len(expired), missing)


def absolute(data_dir: Path, row: Recording) -> Path:
    """A stored recording's file; ValueError if the stored path would leave the recordings folder."""
    base = (data_dir / RECORDINGS_DIR).resolve()
    path = (data_dir / row.path).resolve()
    if base not in path.parents:
        raise ValueError(f"recording {row.id}: path outside the recordings folder")
    return path
