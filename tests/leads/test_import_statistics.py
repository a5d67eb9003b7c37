"""After a large import on PostgreSQL the filled tables are analysed, so the first claims are planned on what the
tables now hold (bench/scale.py: planned on an empty consent table's statistics, each claim read every lead)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from leads import statistics
from leads.importer import ImportOptions, ImportTarget, import_leads
from tests.leads.conftest import write_csv

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEADERS = ["Référence", "Nom", "Portable", "Code postal", "Date de consentement", "Source du consentement",
           "Référence de preuve", "Contrat en cours"]
ROWS = [[f"A{n}", f"NOM{n}", f"06 12 34 {n // 100:02d} {n % 100:02d}", "35000", "14/03/2026 10:22", "formulaire web",
         f"PRV-{n:04d}", "oui"] for n in range(40)]


def _row_estimates(sessions: sessionmaker[Session]) -> dict[str, float]:
    """pg_class.reltuples of the imported tables: -1 until the table is first analysed (or vacuumed)."""
    with sessions() as session:
        found = session.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names)"),
                                {"names": list(statistics.IMPORTED_TABLES)})  # fmt: skip
        return {name: float(tuples) for name, tuples in found}


def _counts(sessions: sessionmaker[Session]) -> dict[str, float]:
    with sessions() as session:
        return {name: float(session.scalar(text(f"SELECT count(*) FROM {name}")) or 0)
                for name in statistics.IMPORTED_TABLES}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("threshold, analysed", [(40, True), (41, False)])
def test_an_import_of_at_least_the_threshold_analyses_the_tables_it_filled(
        sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        threshold: int, analysed: bool) -> None:
    monkeypatch.setattr(statistics, "ANALYZE_AFTER_LEADS", threshold)  # 40 rows stand for a file of millions
    path = write_csv(tmp_path / "leads.csv", [HEADERS, *ROWS])
    assert set(_row_estimates(sessions).values()) == {-1.0}, "never analysed before the import"
    result = import_leads(sessions, target, path, ImportOptions(), NOW)
    assert result.report.leads_created == 40
    estimates = _row_estimates(sessions)
    if analysed:
        assert estimates == _counts(sessions) and estimates["consent_records"] > 0
    else:
        assert set(estimates.values()) == {-1.0}


def test_a_small_import_or_sqlite_is_not_analysed(sessions: sessionmaker[Session], target: ImportTarget,
                                                  tmp_path: Path) -> None:
    assert statistics.refresh_after_import(sessions, statistics.ANALYZE_AFTER_LEADS - 1) is False
    big = statistics.refresh_after_import(sessions, statistics.ANALYZE_AFTER_LEADS)
    assert big is (sessions.kw["bind"].dialect.name == "postgresql")
