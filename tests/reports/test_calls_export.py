"""The call log export: the client's French file (CSV or XLSX) and the raw one for integrations."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from dialer.models import AgentRecord
from reports.calls_export import COLUMNS, call_rows, export_calls, headers, write_calls
from reports.exports import UnsupportedExportFormat
from tests.campaigns.appointment_helpers import NOW, add_attempt, add_lead, seed_campaign


def _seed(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        lead = add_lead(session, campaign, 1)
        add_attempt(session, lead, NOW, outcome="no_answer", ring_s=30.0, agent="")
        add_attempt(session, lead, NOW + timedelta(days=1), agent="=cmd|' /C calc'!A0", outcome="connected",
                    ring_s=8.5, wait_s=0.4, talk_s=312.04871, disposition="rdv",
                    originated_at=NOW + timedelta(days=1, seconds=2, microseconds=431_229))
        antilles = add_lead(session, campaign, 2, phone_e164="+590590123456", timezone="America/Guadeloupe")
        add_attempt(session, antilles, NOW + timedelta(days=2), agent="agent5", outcome="dropped")
        add_attempt(session, antilles, NOW + timedelta(days=3), agent="marie", outcome="connected",
                    disposition="refused")
        session.add(AgentRecord(login="marie", display_name="Marie Dupuis"))
        session.add(AgentRecord(login="agent5", display_name="agent5"))
        return campaign.id


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_the_clients_csv_is_french_with_local_times_and_phones_as_dialled(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    campaign_id = _seed(sessions)
    path = tmp_path / "appels.csv"
    with sessions() as session:
        assert export_calls(session, campaign_id, path) == 4
    rows = _csv(path)
    assert rows[0] == headers() and rows[0][:4] == ["N° d'appel", "N° de fiche", "Tentative", "Téléphone"]
    assert [r[2] for r in rows[1:]] == ["1", "2", "1", "2"]
    first, second, third, fourth = rows[1:]
    assert first[3] == "06 12 34 00 01"  # not +33…: French Excel would turn it into 3,36E+10
    assert first[4:7] == ["23/11/2026 16:00:00", "heure de Paris", "Pas de réponse"]
    assert second[4] == "24/11/2026 16:00:02"  # to the second, as people read it
    assert second[7:10] == ["8,5", "0,4", "312,0"]  # decimal comma beside `;`
    assert second[10:] == ["'=cmd|' /C calc'!A0", "RDV pris"]
    assert third[3:7] == ["0590 12 34 56", "25/11/2026 11:00:00", "heure de Guadeloupe",
                          "Abandonné (aucun téléacteur libre)"]
    assert third[10] == "téléacteur n° 5" and fourth[10:] == ["Marie Dupuis", "Refus"]


def test_the_clients_xlsx_has_date_time_cells_text_phones_and_a_named_sheet(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    campaign_id = _seed(sessions)
    path = tmp_path / "appels.xlsx"
    with sessions() as session:
        export_calls(session, campaign_id, path)
    book = load_workbook(path)
    assert book.sheetnames == ["Appels"]
    sheet = book["Appels"]
    assert sheet.freeze_panes == "A2"
    assert all(sheet.column_dimensions[letter].width >= 8 for letter in "ABCDEFGHIJKL")
    assert sheet.column_dimensions["E"].width >= len("dd/mm/yyyy hh:mm:ss")
    rows = list(sheet.iter_rows(min_row=2))
    started = rows[2][4]
    assert started.value == datetime(2026, 11, 25, 11, 0) and started.data_type == "d"
    assert started.number_format == "dd/mm/yyyy hh:mm:ss"
    phone = rows[0][3]
    assert (phone.value, phone.data_type) == ("06 12 34 00 01", "s")
    agent = rows[1][10]  # text that looks like a formula stays text, with no apostrophe shown
    assert (agent.value, agent.data_type, agent.quotePrefix) == ("=cmd|' /C calc'!A0", "s", True)
    assert rows[1][9].value == 312.0 and rows[1][9].data_type == "n"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_the_raw_log_keeps_codes_e164_and_iso_times_for_integrations(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    campaign_id = _seed(sessions)
    path = tmp_path / "calls.csv"
    with sessions() as session:
        assert export_calls(session, campaign_id, path, raw=True) == 4
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in _csv(path)[1:]]
    assert _csv(path)[0] == list(COLUMNS)
    assert rows[0]["started_at_utc"] == "2026-11-23T15:00:00+00:00"
    assert rows[0]["started_at_local"] == "2026-11-23T16:00:00+01:00"
    assert rows[0]["phone_e164"] == "+33612340001"  # a plain number: no formula guard
    assert (rows[1]["outcome"], rows[1]["disposition"], rows[1]["talk_s"]) == ("connected", "rdv", "312,0")
    assert rows[1]["agent"] == "'=cmd|' /C calc'!A0"
    assert rows[2]["callee_tz"] == "America/Guadeloupe" and rows[2]["agent"] == "agent5"


def test_progress_is_reported_while_rows_are_written(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    campaign_id = _seed(sessions)
    seen: list[int] = []
    with sessions() as session:
        export_calls(session, campaign_id, tmp_path / "appels.xlsx", progress=seen.append)
    assert seen[-1] == 4


def test_english_headers_and_labels_with_rdv_lang_en(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    campaign_id = _seed(sessions)
    path = tmp_path / "calls.xlsx"
    with sessions() as session:
        export_calls(session, campaign_id, path)
    book = load_workbook(path)
    assert book.sheetnames == ["Calls"]
    rows = [[c.value for c in row] for row in book["Calls"].iter_rows()]
    assert rows[0][:3] == ["Call no.", "Lead no.", "Attempt"]
    assert rows[3][5:7] == ["Guadeloupe time", "Abandoned (no teleoperator free)"]
    assert rows[3][10] == "teleoperator no. 5"


def test_write_calls_writes_the_raw_columns(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    campaign_id = _seed(sessions)
    path = tmp_path / "calls.csv"
    with sessions() as session:
        assert write_calls(call_rows(session, campaign_id), path) == 4
    assert _csv(path)[0] == list(COLUMNS)


def test_an_unknown_extension_is_refused_with_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedExportFormat, match="calls.pdf"):
        write_calls(iter([]), tmp_path / "calls.pdf")
