"""Fuzzing the lead importer (hypothesis): random bytes and mutated real files (CSV in several encodings, XLSX).
Whatever the bytes, the import either succeeds whole or is refused with a clear LeadFileError naming the file,
and a refused import stores nothing at all: no lead, no phone, no import row, no consent record."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.consent_models import ConsentGrant
from leads.errors import LeadFileError
from leads.importer import ImportOptions, ImportTarget, import_leads
from leads.models import Lead, LeadImport, LeadPhone
from tests.campaigns.factories import MONDAY_3PM

ROWS = [["Civilité", "Nom", "Prénom", "Téléphone", "Portable", "Adresse", "Code postal", "Ville",
         "Date de consentement", "Source du consentement", "Preuve"],
        ["M.", "Dupont", "Jean", "01 42 00 00 01", "06 12 34 56 01", "12 rue des Lilas", "35000", "Rennes",
         "14/03/2026", "formulaire web", "ENR-1"],
        ["Mme", "Élodie", "Lefèvre", "+33 2 99 00 00 02", "0612345602", "3, place d'Italie", "97200",
         "Fort-de-France", "2026-03-15 10:22", "salon", "BON-2"],
        ["M.", "=CMD()", "\"Quote", "0612345603", "", "", "69003", "Lyon", "", "", ""]]


def _csv(encoding: str, delimiter: str) -> bytes:
    return "\r\n".join(delimiter.join(f'"{c}"' if delimiter in c or '"' in c else c for c in row)
                       for row in ROWS).encode(encoding, "replace")


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


REAL = [_csv("utf-8", ";"), _csv("cp1252", ";"), _csv("utf-8-sig", ","), _csv("utf-16", "\t"), _xlsx()]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0
                 for m in (Lead, LeadPhone, LeadImport, ConsentGrant))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True)
@given(st.one_of(st.binary(max_size=3000), mutated()), st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_any_bytes_are_imported_whole_or_refused_clearly_with_nothing_stored(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path, data: bytes, suffix: str
) -> None:
    path = tmp_path / f"fichier{suffix}"
    path.write_bytes(data)
    with sessions() as session:
        before = _counts(session)
    try:
        result = import_leads(sessions, target, path, ImportOptions(), MONDAY_3PM)
    except LeadFileError as exc:
        assert path.name in str(exc) and str(exc).strip()
        with sessions() as session:
            assert _counts(session) == before
        return
    with sessions() as session:
        after = _counts(session)
        assert after[0] - before[0] == result.report.leads_created
        assert after[2] - before[2] == 1
        stored = session.scalar(select(func.count()).select_from(Lead).where(Lead.import_id == result.import_id))
        assert stored == result.report.leads_created
