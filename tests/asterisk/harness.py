"""A real Asterisk for tests: the project's own config/asterisk/ files, the includes `rdv asterisk config`
writes, and a TEST-ONLY trunk stand-in (context rdv-test-callees) on a free loopback port.

`RDV_TEST_ASTERISK` names an Asterisk install with the `run-asterisk` launcher (relative paths are read
from the repository's root, as CI sets `../shared/asterisk`). Everything Asterisk writes goes into the
instance's own folder: etc/, state/ (log/queue_log, log/cdr-csv/Master.csv, log/messages.log), sounds/.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "asterisk"
TEST_ETC = Path(__file__).resolve().parent / "etc"
RDV = ROOT / ".venv" / "bin" / "rdv"
TEST_TRUNK = "Local/{number}@rdv-test-callees"
AMI_USER, AMI_SECRET = "rdv", "rdv"
# Generous bounds for a shared two-core machine: a boot normally takes well under a second.
BOOT_DEADLINE_S = 60.0


def asterisk_home() -> Path | None:
    """The Asterisk install named by RDV_TEST_ASTERISK, or None when the variable is unset."""
    raw = os.environ.get("RDV_TEST_ASTERISK", "").strip()
    if not raw:
        return None
    home = Path(raw) if Path(raw).is_absolute() else ROOT / raw
    if not (home / "run-asterisk").is_file():
        raise FileNotFoundError(f"RDV_TEST_ASTERISK={raw}: no run-asterisk launcher in {home}")
    return home


def free_port() -> int:
    """A loopback TCP port nobody listens on now: each instance gets its own (tests run side by side)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def callee(kind: str, serial: int, ring_s: int = 1, talk_s: int = 20) -> str:
    """The number of a simulated callee of rdv-test-callees.conf: +331 KIND RING TALK(3) SERIAL(3)."""
    kinds = {"human": 0, "machine": 1, "busy": 2, "congestion": 3, "no_answer": 4, "busy17": 5, "congestion34": 6}
    assert 0 <= ring_s <= 9 and 0 <= talk_s <= 999 and 0 <= serial <= 999
    return f"+331{kinds[kind]}{ring_s}{talk_s:03d}{serial:03d}"


def _tone_wav(path: Path, pattern: list[tuple[bool, float]]) -> None:
    """A 440 Hz tone where `pattern` says voice, silence elsewhere: what AMD hears as words and pauses."""
    frames = bytearray()
    for voiced, seconds in pattern:
        for i in range(int(seconds * 8000)):
            frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) if voiced else 0)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(frames))


@dataclass
class Asterisk:
    """One Asterisk instance in `root`; `configure()`, `start()`, then `stop()` (also after a failed test)."""

    home: Path
    root: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def configure(self, database_url: str, rdv_config_args: list[str]) -> str:
        """The shipped files, the generated includes (`rdv asterisk config`, the real command) and the test
        trunk stand-in; returns what the command printed."""
        self.etc.mkdir(parents=True, exist_ok=True)
        for source in [*SHIPPED.glob("*.conf"), *TEST_ETC.glob("*.conf")]:
            shutil.copy(source, self.etc / source.name)
        manager = self.etc / "manager.conf"
        text = manager.read_text()
        assert text.count("\nport = 5038\n") == 1, "manager.conf: the shipped port line moved"
        manager.write_text(text.replace("\nport = 5038\n", f"\nport = {self.port}\n"))
        with (self.etc / "extensions.conf").open("a") as dialplan:
            dialplan.write("\n; TEST-ONLY: the trunk stand-in\n#include rdv-test-callees.conf\n")
        sounds = self.root / "test-sounds"
        sounds.mkdir(exist_ok=True)
        _tone_wav(sounds / "rdv-test-allo.wav", [(True, 0.5), (False, 2.5)])  # "Allô ?", then listens
        _tone_wav(sounds / "rdv-test-machine.wav", [(True, 0.4), (False, 0.1)] * 8 + [(False, 1.0)])
        env = {**os.environ, "RDV_DATABASE_URL": database_url, "RDV_DATA_DIR": str(self.root / "rdv-data"),
               "RDV_LANG": "en"}  # fmt: skip
        done = subprocess.run([str(RDV), "asterisk", "config", "--out", str(self.etc), "--trunk", TEST_TRUNK,
                               *rdv_config_args], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, f"rdv asterisk config failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> Asterisk:
        """Start Asterisk on this instance's folders and wait until its AMI says FullyBooted."""
        log = (self.root / "asterisk.out").open("ab")
        self.proc = subprocess.Popen(
            [str(self.home / "run-asterisk"), "--sounds", str(self.root / "test-sounds"), str(self.etc),
             str(self.state)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        self.wait_booted()
        return self

    def wait_booted(self) -> None:
        deadline = time.monotonic() + BOOT_DEADLINE_S
        while True:
            assert self.proc is not None and self.proc.poll() is None, f"Asterisk exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"Asterisk not FullyBooted in time:\n{self.output()}"
            try:
                if _fully_booted(self.port, deadline):
                    return
            except OSError:
                pass
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM (Asterisk's `core stop now`); SIGKILL if it does not end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def forget_members(self) -> None:
        """Drop the astdb (persistent queue members) so that only the dialer can bring agents back."""
        shutil.rmtree(self.state / "db", ignore_errors=True)

    def rx(self, command: str) -> str:
        """A CLI command through the console socket (`asterisk -rx`)."""
        done = subprocess.run([str(self.home / "run-asterisk"), "--rx", command, str(self.state)],
                              capture_output=True, text=True, timeout=30)  # fmt: skip
        return done.stdout

    def queue_log(self) -> list[list[str]]:
        """Rows of queue_log: time|callid|queue|agent|event|data..."""
        path = self.state / "log" / "queue_log"
        return [line.split("|") for line in path.read_text().splitlines()] if path.exists() else []

    def messages(self) -> str:
        path = self.state / "log" / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def output(self) -> str:
        path = self.root / "asterisk.out"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _fully_booted(port: int, deadline: float) -> bool:
    """Log in over AMI and read until FullyBooted (True) or the connection ends (False)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        conn.sendall(f"Action: Login\r\nUsername: {AMI_USER}\r\nSecret: {AMI_SECRET}\r\n\r\n".encode())
        seen = b""
        while b"Event: FullyBooted" not in seen:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            seen += chunk
        conn.sendall(b"Action: Logoff\r\n\r\n")
        return True
