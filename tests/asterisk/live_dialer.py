"""An engine in the test's own process against the real Asterisk (clock at scale 1), for what a test must do
in the middle of a call (call control), and a second AMI connection that watches every event Asterisk sends."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from dialer.agents import Status
from dialer.ami import AmiOptions, AmiPbx
from dialer.amiwire import AmiParser, Message
from dialer.engine import Engine, EngineSettings
from rdv import db
from tests.asterisk.harness import AMI_SECRET, AMI_USER, Asterisk
from tests.asterisk.scenario import MONDAY_3PM
from tests.rdv.service_process import shared_clock

DEADLINE_S = 120.0


class AmiWatcher:
    """Logs in over AMI and keeps every event, read by a thread (the test's asserts read `events`)."""

    def __init__(self, port: int) -> None:
        self.events: list[Message] = []
        self._lock = threading.Lock()
        self._conn = socket.create_connection(("127.0.0.1", port), timeout=10)
        self._conn.sendall(f"Action: Login\r\nUsername: {AMI_USER}\r\nSecret: {AMI_SECRET}\r\n"
                           f"Events: on\r\n\r\n".encode())  # fmt: skip
        self._conn.settimeout(None)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        parser = AmiParser(expect_banner=True)
        with suppress(OSError):
            while data := self._conn.recv(65536):
                with self._lock:
                    self.events.extend(m for m in parser.feed(data) if m.fields and m.fields[0][0] == "Event")

    def named(self, name: str, **keys: str) -> list[dict[str, str]]:
        """Events called `name` whose fields start with the given values (`Channel="Local/agent1@agents-"`)."""
        with self._lock:
            found = [dict(m.fields) for m in self.events if m.fields[0] == ("Event", name)]
        return [e for e in found if all(e.get(k, "").startswith(v) for k, v in keys.items())]

    def close(self) -> None:
        with suppress(OSError):
            self._conn.shutdown(socket.SHUT_RDWR)
        self._conn.close()


@dataclass
class LiveDialer:
    engine: Engine
    pbx: AmiPbx
    sessions: sessionmaker[Session]
    watcher: AmiWatcher
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def until(self, condition: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
        deadline = time.monotonic() + deadline_s
        while not condition():
            assert time.monotonic() < deadline, f"{what}: not reached in time"
            await asyncio.sleep(0.1)

    async def on_call(self, login: str) -> str:
        """Wait until `login` is connected to a call; its call id."""
        engine = self.engine
        await self.until(lambda: engine.agents[login].status is Status.ON_CALL, f"{login} on a call")
        call_id = engine.agents[login].call_id
        await self.until(lambda: call_id not in engine.calls or engine.calls[call_id].call.connected_at is not None,
                         "the call connected")  # fmt: skip
        return call_id


@asynccontextmanager
async def live_dialer(url: str, asterisk: Asterisk, campaign_id: int, logins: list[str],
                      setup: Callable[[Engine], object] | None = None) -> AsyncIterator[LiveDialer]:
    """The engine dialling the campaign through the real Asterisk with `logins` logged in (after `setup`, which
    may attach listeners); stopped after."""
    clock = shared_clock(MONDAY_3PM, time.time(), 1.0)
    sessions = db.session_factory(db.make_engine(url))
    watcher = AmiWatcher(asterisk.port)
    pbx = AmiPbx("127.0.0.1", asterisk.port, AMI_USER, AMI_SECRET, clock, AmiOptions(action_timeout_s=10.0))
    await pbx.connect()
    engine = Engine(clock, pbx, sessions, [campaign_id], "live", EngineSettings(ring_timeout_s=10.0))
    if setup is not None:
        setup(engine)
    await engine.start()
    for login in logins:
        await engine.log_in(login, campaign_id, login)
    live = LiveDialer(engine, pbx, sessions, watcher)
    live.tasks.append(asyncio.create_task(engine.run()))
    try:
        yield live
    finally:
        await engine.stop(drain_timeout=60)
        for task in live.tasks:
            task.cancel()
        await asyncio.gather(*live.tasks, return_exceptions=True)
        await pbx.close()
        watcher.close()
