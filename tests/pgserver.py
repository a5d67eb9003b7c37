"""A throwaway PostgreSQL server for the test run, started as the `postgres` user on loopback."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The test PostgreSQL server cannot be started here (run `make test`, which installs it)."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise PostgresUnavailable("no PostgreSQL server binaries under /usr/lib/postgresql: run `make test`")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


@dataclass
class PostgresServer:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://rdv@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://rdv@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls) -> PostgresServer:
        bindir = _bindir()
        directory = Path(tempfile.mkdtemp(prefix="rdv-pg-"))
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        port = _free_port()
        try:
            subprocess.run(
                _as_postgres(str(bindir / "initdb"), "-D", str(directory / "data"), "-A", "trust", "-U", "rdv"),
                check=True, capture_output=True, text=True,
            )
            options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
            subprocess.run(
                _as_postgres(str(bindir / "pg_ctl"), "-D", str(directory / "data"), "-o", options,
                             "-l", str(directory / "server.log"), "-w", "start"),
                check=True, capture_output=True, text=True,
            )
        except subprocess.CalledProcessError as exc:
            raise PostgresUnavailable(f"cannot start PostgreSQL: {exc.stderr or exc.stdout}") from exc
        return cls(directory, port)

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is cut, the server is back on the same port."""
        data, log = str(self.directory / "data"), str(self.directory / "server.log")
        # Without -l the restarted server would write to, and hold open, the pipe this waits on.
        command = _as_postgres(str(_bindir() / "pg_ctl"), "-D", data, "-m", "fast", "-w", "restart", "-l", log)
        subprocess.run(command, check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(str(_bindir() / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop"),
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)
