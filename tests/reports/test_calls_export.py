"""The call log export: one row per attempt with UTC and callee-local times, CSV or XLSX, formula-safe."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from reports.calls_export import COLUMNS, call_rows, write_calls
from reports.exports import UnsupportedExportFormat
from tests.campaigns.appointment_helpers import NOW, add_attempt, add_lead, seed_campaign


def _seed(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        lead = add_lead(session, campaign, 1)
        add_attempt(session, lead, NOW, outcome="no_answer", ring_s=30.0)
        add_attempt(session, lead, NOW + timedelta(days=1), agent="=cmd|' /C calc'!A0", outcome="connected",
                    ring_s=8.5, wait_s=0.4, talk_s=312.04871, disposition="appointment",
                    originated_at=NOW + timedelta(days=1, seconds=2, microseconds=431_229))
        return campaign.id


def test_the_call_log_has_one_csv_row_per_attempt_in_dialling_order(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    campaign_id = _seed(sessions)
    path = tmp_path / "calls.csv"
    with sessions() as session:
        assert write_calls(call_rows(session, campaign_id), path) == 2
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert tuple(rows[0]) == COLUMNS
    assert [r["attempt_no"] for r in rows] == ["1", "2"]
    assert rows[0]["started_at_utc"] == "2026-11-23T15:00:00+00:00"
    assert rows[0]["started_at_local"] == "2026-11-23T16:00:00+01:00"
    assert rows[1]["started_at_utc"] == "2026-11-24T15:00:02+00:00"  # to the second, as people read it
    assert (rows[1]["ring_s"], rows[1]["wait_s"]) == ("8,5", "0,4")  # decimal comma beside `;`
    assert (rows[1]["outcome"], rows[1]["talk_s"], rows[1]["disposition"]) == ("connected", "312,0", "appointment")
    assert rows[0]["wait_s"] == ""
    assert rows[1]["agent"] == "'=cmd|' /C calc'!A0"


def test_the_call_log_as_xlsx_holds_the_same_rows_without_formulas(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    campaign_id = _seed(sessions)
    path = tmp_path / "calls.xlsx"
    with sessions() as session:
        write_calls(call_rows(session, campaign_id), path)
    ws = load_workbook(path).active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert tuple(rows[0]) == COLUMNS and len(rows) == 3
    assert rows[2][COLUMNS.index("agent")] == "'=cmd|' /C calc'!A0"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_an_unknown_extension_is_refused_with_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedExportFormat, match="calls.pdf"):
        write_calls(iter([]), tmp_path / "calls.pdf")
