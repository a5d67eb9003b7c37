"""A host cut off the network (no FIN, no RST) loses its scheduler leadership and its dialer id's lock on the
server within seconds, not the kernel's two hours: the lock sessions carry server-side TCP keepalive settings.
The cut is real: loopback brought down in a network namespace of the test's own (needs root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.rdv.service_harness import PYTHON, ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"),
    reason="a network namespace needs root, unshare and ip")]  # fmt: skip


def test_a_cut_off_leader_s_lock_sessions_are_dropped_by_the_server_while_a_plain_session_stays() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "-n", str(PYTHON), "-m", "tests.rdv.partition_probe"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"lock sessions dropped {result['freed_after_s']} s after the cut")  # the figure, reported
    assert result["locks_left"] == 0, result  # the leadership and the dialer id are free for another process
    assert result["control_held"], result  # without the settings a session outlives the cut (the control)
