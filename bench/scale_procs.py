"""The load test's processes: simulated PBXs (bench/scale_pbx.py) and dialers (bench/scale_dialer.py), on one
scaled clock shared through (start, wall-clock epoch), and what /proc says of their CPU."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tests.pgserver import _free_port

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class DialerPlan:
    """One dialer process: its id, the PBXs it serves (indexes into the PBX list) and its simulated agents."""

    dialer_id: str
    pbxs: tuple[int, ...]
    agents: int


def topology(pbxs: int, agents: int, dialers: int = 2) -> list[DialerPlan]:
    """Who dials through which PBX: `dialers` processes, the PBXs shared out between them in turn (2 dialers of
    4 PBXs: pbx1 and pbx3, pbx2 and pbx4), the agents shared out between the PBXs."""
    dialers = max(1, min(dialers, pbxs))
    share, extra = divmod(agents, pbxs)
    per_pbx = [share + (i < extra) for i in range(pbxs)]
    groups = [tuple(range(d, pbxs, dialers)) for d in range(dialers)]
    return [DialerPlan(f"d{d + 1}", group, sum(per_pbx[i] for i in group)) for d, group in enumerate(groups)]


def server_name(pbx: int) -> str:
    """A PBX's server name in the dialers' settings, and the dialer id its engine records attempts under."""
    return f"pbx{pbx + 1}"


@dataclass
class Proc:
    """A child process with its log; `figures()` reads the JSON file it writes."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    figures_file: Path

    def figures(self) -> dict[str, float]:
        try:
            return dict(json.loads(self.figures_file.read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def stop(self, timeout: float) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@dataclass(frozen=True)
class Clock:
    start: datetime
    epoch: float
    scale: float

    def args(self) -> list[str]:
        return ["--clock-scale", str(self.scale), "--clock-start", self.start.isoformat(),
                "--clock-epoch", str(self.epoch)]  # fmt: skip


def _env() -> dict[str, str]:
    env = {**os.environ, "RDV_LANG": "en"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def start_pbx(index: int, work: Path, clock: Clock, queue: str, answer_factor: float) -> tuple[Proc, int]:
    """A simulated PBX on a free loopback port: (its process, the port)."""
    port = _free_port()
    log, stats = work / f"pbx{index + 1}.log", work / f"pbx{index + 1}.json"
    args = [str(PYTHON), "-m", "bench.scale_pbx", "--port", str(port), "--seed", str(index + 1), "--queue", queue,
            "--answer-factor", str(answer_factor), "--stats", str(stats), *clock.args()]  # fmt: skip
    popen = subprocess.Popen(args, env=_env(), cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    return Proc(f"pbx{index + 1}", popen, log, stats), port


def wait_listening(procs: list[Proc], deadline_s: float = 60.0) -> None:
    """Until every PBX has written its first figures (it listens then)."""
    deadline = time.monotonic() + deadline_s
    while not all(p.figures_file.exists() for p in procs):
        for p in procs:
            if p.popen.poll() is not None:
                raise RuntimeError(f"{p.name} exited: {p.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError("the PBX simulators did not start in time")
        time.sleep(0.1)


def start_dialer(plan: DialerPlan, ports: list[int], work: Path, url: str, clock: Clock, trunk: int) -> Proc:
    """`rdv run` for one dialer plan: its PBXs as `[asterisk.servers.*]` (each with a trunk of `trunk` channels)
    driven with `--server`, the plan's agents shared out between them."""
    data = work / plan.dialer_id
    data.mkdir(exist_ok=True)
    config = data / "rdv.toml"
    config.write_text("".join(f'[asterisk.servers.{server_name(i)}]\nhost = "127.0.0.1"\nport = {ports[i]}\n'
                              f"trunk_channels = {trunk}\n\n" for i in plan.pbxs), encoding="utf-8")  # fmt: skip
    config.chmod(0o600)
    env = {**_env(), "RDV_DATA_DIR": str(data), "RDV_DATABASE_URL": url, "RDV_CONFIG": str(config)}
    env.pop("RDV_AMI_HOST", None)
    timings = work / f"{plan.dialer_id}.timings.json"
    servers = [arg for i in plan.pbxs for arg in ("--server", server_name(i))]
    args = [str(PYTHON), "-m", "bench.scale_dialer", "--timings", str(timings), "--dialer-id", plan.dialer_id,
            *servers, "--sim-agents", str(max(1, plan.agents // len(plan.pbxs))), "--drain-seconds", "60",
            "--seed", "3", *clock.args()]  # fmt: skip
    log = data / "service.log"
    popen = subprocess.Popen(args, env=env, cwd=data, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    return Proc(plan.dialer_id, popen, log, timings)


def cpu_seconds(pids: list[int], children_too: bool = False) -> float:
    """User + system CPU seconds of these processes (with `children_too`, of their waited-for children too)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if children_too:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / TICKS


def postgres_pids(data_dir: Path) -> tuple[int, list[int]]:
    """The postmaster's pid (postmaster.pid) and those of all its processes (backends, WAL writer…)."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return postmaster, children


def postgres_cpu(data_dir: Path) -> float:
    """CPU seconds of the whole server so far: the postmaster with its exited children, and the live ones."""
    postmaster, children = postgres_pids(data_dir)
    return cpu_seconds([postmaster], children_too=True) + cpu_seconds(children)
