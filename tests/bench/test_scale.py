"""The load test run tiny (2 k leads, 1 PBX, 4 agents, 6 s at clock ×20): every figure in its report, sane."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.scale_procs import topology

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def test_the_topology_shares_the_pbxs_and_agents_out_between_the_dialers() -> None:
    plans = topology(4, 202)
    assert [(p.dialer_id, p.pbxs, p.agents) for p in plans] == [("d1", (0, 2), 101), ("d2", (1, 3), 101)]
    plans = topology(4, 202, dialers=4)
    assert [(p.dialer_id, p.pbxs, p.agents) for p in plans] == [("d1", (0,), 51), ("d2", (1,), 51),
                                                                ("d3", (2,), 50), ("d4", (3,), 50)]  # fmt: skip
    assert [p.pbxs for p in topology(1, 4)] == [(0,)], "never more dialers than PBXs"


def test_a_tiny_load_test_reports_every_figure_with_sane_values(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench.scale", "--leads", "2000", "--pbxs", "1", "--agents", "4",
                           "--seconds", "6", "--clock-scale", "20", "--json", "--work", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=540)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["topology"] == [{"dialer": "d1", "pbxs": ["pbx1"], "agents": 4}]
    for latency in (report["hopper_claim"], report["dial_decision"]):
        assert latency["count"] >= 1
        assert 0 < latency["p50_ms"] <= latency["p95_ms"]
    assert report["dials"] >= 1 and report["dials_per_s"] > 0
    assert report["ami_events_per_s_per_process"][0] > 0 and report["pbx_events_per_s"][0] > 0
    # Not compared with each other: the server's transaction counts are flushed to pg_stat_database up to 10 s late.
    assert report["statements_per_call"] > 0 and report["commits_per_call"] > 0
    assert report["postgresql_cpu_cores"] > 0 and report["dialers_cpu_cores"] > 0
    assert report["wal_bytes_per_hour"] > 0
    assert 1 <= report["peak_channels_per_pbx"][0] <= 4 * 4, "at most 4 lines per agent"
    assert report["peak_channels_sampled"] <= report["peak_channels_per_pbx"][0]
    calls, base = report["calls"], report["database"]
    assert sum(calls["outcomes"].values()) >= report["dials"]
    assert 0 <= calls["abandonment"] <= 1 and calls["abandonment_target"] == 0.03
    assert 0 <= calls["occupancy"] <= 1 and calls["agents_seen"] == 4
    assert base["leads"] == 2000 and base["leads_bytes"] > 0
    assert base["database_bytes"] > base["leads_bytes"] and base["leads_per_gb"] > base["leads_per_gb_database"] > 0
    assert report["postgresql_tuning"]["shared_preload_libraries"] == "pg_stat_statements"
