"""`rdv web` serves the screens alone against the database; bad addresses are one French line, exit 2."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.rdv.service_harness import RDV, ROOT

pytestmark = pytest.mark.e2e


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "RDV_DATA_DIR": str(tmp_path), "RDV_LANG": "fr"}
    env.pop("RDV_DATABASE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _rdv(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RDV), *args], env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_rdv_web_serves_the_login_page_and_stops_on_sigterm(tmp_path: Path) -> None:
    out = (tmp_path / "web.log").open("wb")
    proc = subprocess.Popen([str(RDV), "web", "--listen", "127.0.0.1:0"], env=_env(tmp_path), cwd=tmp_path,
                            stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        url = _wait_url(tmp_path / "web.log", proc)
        page = httpx.get(f"{url}/login", timeout=10)
        assert page.status_code == 200 and "Identifiant" in page.text
        assert page.headers["x-frame-options"] == "DENY"
        assert "server" not in page.headers, "no server banner"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    log = (tmp_path / "web.log").read_text()
    assert code == 0, log
    assert "Écrans web arrêtés." in log and "GET /login 200" in log


def _wait_url(log: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+", log.read_text())
        if found:
            return found.group()
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(log.read_text())


def test_an_address_already_in_use_is_one_french_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _rdv(tmp_path, "web", "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 2
    line = done.stderr.strip()
    assert line.count("\n") == 0 and f"Impossible de servir les écrans web sur 127.0.0.1:{port} :" in line, line


@pytest.mark.parametrize("command", [["web", "--listen"], ["run", "--simulate", "--web"]])
def test_a_malformed_address_is_one_french_line(tmp_path: Path, command: list[str]) -> None:
    done = _rdv(tmp_path, *command, "localhost")
    assert done.returncode == 2
    assert "Adresse web invalide localhost : écrivez HÔTE:PORT, par exemple 127.0.0.1:8000" in done.stderr
    assert done.stderr.strip().count("\n") == 0
