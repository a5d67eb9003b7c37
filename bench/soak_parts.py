"""The soak's real parts, each one able to fail on demand: SMTP server, PBX processes, dialer processes.

PostgreSQL is `tests.pgserver.PostgresServer` (restarted with pg_ctl), the dialers are
`tests.rdv.service_harness.Service` (`rdv run` on the shared scaled clock).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.rdv.service_harness import PYTHON, ROOT

STOP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Inbox:
    """What the SMTP server accepted: the raw bytes of every message, in order."""

    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.original_content))
        return "250 2.0.0 OK queued"


@dataclass
class Smtp:
    """A real SMTP server on a fixed loopback port that can go down and come back on the same port."""

    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Pbx:
    """One `bench.soak_pbx` process; each incarnation (restart) writes its originates to its own file."""

    name: str
    port: int
    queue: str
    folder: Path
    clock: tuple[datetime, float, float]  # start, epoch, scale
    proc: subprocess.Popen[bytes] | None = None
    runs: int = 0

    def start(self) -> None:
        self.runs += 1
        start, epoch, scale = self.clock
        counts = self.folder / f"{self.name}-{self.runs}.json"
        args = [str(PYTHON), "-m", "bench.soak_pbx", "--port", str(self.port), "--queue", self.queue,
                "--seed", str(self.runs), "--counts", str(counts), "--clock-scale", str(scale),
                "--clock-start", start.isoformat(), "--clock-epoch", str(epoch)]  # fmt: skip
        log = (self.folder / f"{self.name}.log").open("ab")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc)

    def cut(self) -> None:
        """Close every AMI connection (calls go on): the simulator's SIGUSR1."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=STOP_TIMEOUT_S)

    def restart(self) -> None:
        self.stop()
        self.start()

    def originates(self) -> dict[str, int]:
        """Call id -> originates received, over every incarnation of this PBX."""
        total: dict[str, int] = {}
        for path in sorted(self.folder.glob(f"{self.name}-*.json")):
            for call, count in json.loads(path.read_text()).items():
                total[call] = total.get(call, 0) + count
        return total


def wait_for_port(port: int, proc: subprocess.Popen[bytes], deadline_s: float = 60.0) -> None:
    """Until something listens on the loopback port; fail if the process ends first or the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"process exited ({proc.returncode}) before listening on {port}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {port} after {deadline_s} s") from None
            time.sleep(0.1)
