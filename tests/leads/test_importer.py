"""Importing lead files into a campaign, on SQLite and PostgreSQL: all or nothing, no duplicates."""

from __future__ import annotations

import csv
import dataclasses
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store as campaigns
from leads import store
from leads.errors import EmptyFile, LeadFileError, NoPhoneColumn, UnreadableFile
from leads.importer import ImportOptions, ImportTarget, import_leads, rejects_path_for
from leads.models import Lead, LeadImport, LeadPhone
from tests.leads.conftest import write_csv

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEADERS = ["Référence", "Civilité", "Nom", "Prénom", "Tél. fixe", "Portable", "Code postal", "Ville",
           "Date de consentement", "Source du consentement", "Référence de preuve", "Contrat en cours", "Projet"]
GOOD = [
    ["A1", "Mme", "LEFÈVRE", "Hélène", "02 99 12 34 56", "06 12 34 56 78", "35000", "Rennes", "14/03/2026 10:22",
     "formulaire web", "PRV-0001", "non", "charpente"],
    ["A2", "M.", "PAYET", "Loïc", "", "0692 12 34 56", "97400", "Saint-Denis", "2026-05-02", "salon", "PRV-0002",
     "non", "toiture"],
    ["A3", "M.", "MARTIN", "Jean", "", "+33 (0)6 11 22 33 44", "20200", "Bastia", "", "", "", "oui", ""],
]
BAD = [
    ["B1", "M.", "DURAND", "Paul", "", "06 12 34 56 78", "75011", "Paris", "", "", "", "non", ""],  # dup of A1
    ["B2", "Mme", "ROUX", "Anne", "", "08 99 12 34 56", "69003", "Lyon", "", "", "", "non", ""],
    ["B3", "Mme", "BLANC", "Léa", "", "0612", "13008", "Marseille", "", "", "", "non", ""],
    ["B4", "M.", "NOËL", "Rémi", "", "", "44000", "Nantes", "", "", "", "non", ""],
]


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) for model in (LeadImport, Lead, LeadPhone)
        )


def run(sessions: sessionmaker[Session], target: ImportTarget, path: Path, **options: object):  # type: ignore[no-untyped-def]
    progress = options.pop("progress", None)
    waiting = options.pop("waiting", None)
    return import_leads(sessions, target, path, ImportOptions(**options), NOW, progress,  # type: ignore[arg-type]
                        waiting)  # type: ignore[arg-type]


def test_a_file_becomes_leads_with_phones_consent_zone_and_a_stored_report(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "leads.csv", [HEADERS, *GOOD, *BAD])
    result = run(sessions, target, path)
    report = result.report
    assert (report.rows_read, report.leads_created, report.phones_created) == (7, 3, 4)
    assert dict(report.rejected) == {"duplicate_in_file": 1, "premium_rate": 1, "too_short": 1, "no_phone": 1}
    assert report.phone_types == {"fixed": 1, "mobile": 2}
    assert report.departements == {"35": 1, "974": 1, "2B": 1}
    assert report.consent == {"proven": 2, "contract": 1}
    assert (report.encoding, report.delimiter, report.custom_fields) == ("cp1252", ";", ["Projet"])
    with sessions() as session:
        leads = {lead.external_ref: lead for lead in session.scalars(select(Lead))}
        helene, loic, jean = leads["A1"], leads["A2"], leads["A3"]
        assert (helene.last_name, helene.first_name, helene.civility) == ("LEFÈVRE", "Hélène", "Mme")
        assert (helene.phone_e164, helene.phone_type, helene.timezone) == ("+33299123456", "fixed", "Europe/Paris")
        assert [(p.e164, p.line_type, p.rank, p.source_column) for p in helene.phones] == [
            ("+33299123456", "fixed", 0, "Tél. fixe"), ("+33612345678", "mobile", 1, "Portable")]
        assert helene.consent_at == datetime(2026, 3, 14, 9, 22, tzinfo=UTC)
        assert (helene.consent_source, helene.consent_proof, helene.custom) == ("formulaire web", "PRV-0001",
                                                                                 {"Projet": "charpente"})
        assert (loic.phone_e164, loic.timezone, loic.subdivision) == ("+262692123456", "Indian/Reunion", "974")
        assert (jean.contract_exemption, jean.consent_at, jean.subdivision) == (True, None, "2B")
        assert {lead.status for lead in leads.values()} == {"new"}
        stored = store.get_import(session, target.campaign_id)
        assert (stored.id, stored.rows_read, stored.leads_created, stored.duplicates, stored.rejected) == (
            result.import_id, 7, 3, 1, 3)
        assert stored.report["usable_rate"] == round(3 / 7, 4)


def test_rejected_rows_are_written_beside_the_file_with_their_reason(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "fichier.csv", [HEADERS, *GOOD, *BAD])
    result = run(sessions, target, path)
    assert result.rejects_path == tmp_path / "fichier.rejets.csv" == rejects_path_for(path)
    raw = result.rejects_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it with its accents
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == [*HEADERS, "ligne", "motif"]
    assert [row[:-2] for row in rows[1:]] == BAD
    assert [row[-2] for row in rows[1:]] == ["5", "6", "7", "8"]
    assert [row[-1] for row in rows[1:]] == ["doublon de la ligne 2", "numéro surtaxé (Portable)",
                                             "trop court (Portable)", "pas de numéro de téléphone"]


def test_the_rejects_file_never_hands_a_spreadsheet_a_formula(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    # A rejected row (a short number) whose name a web form's visitor typed as a formula, with a formula header.
    name = '=HYPERLINK("http://x.example","clic")'
    rows = [[*HEADERS[:-1], "@Projet"], ["C1", "M.", name, "-Paul", "", "+33 612", "75011", "Paris", "", "", "",
                                         "non", "-12"]]
    result = run(sessions, target, write_csv(tmp_path / "fichier.csv", rows, encoding="utf-8"))
    written = list(csv.reader(result.rejects_path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert written[0][len(HEADERS) - 1] == "'@Projet"
    assert written[1][2:6] == ["'" + name, "'-Paul", "", "'+33 612"]
    assert written[1][12] == "-12"  # a plain number is a number to a spreadsheet, nothing more
    # Read back, the number is the one typed: a corrected rejects file imports as it was meant.
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 0
    fixed = [written[0][:len(HEADERS)], [*written[1][:5], "'+33 6 12 34 56 79", *written[1][6:len(HEADERS)]]]
    again = run(sessions, target, write_csv(tmp_path / "corrigé.csv", fixed, encoding="utf-8"))
    assert again.report.leads_created == 1
    with sessions() as session:
        assert session.scalar(select(Lead.phone_e164)) == "+33612345679"


def test_an_invalid_second_number_is_listed_in_the_rejects_and_the_lead_kept(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    kept = ["C1", "Mme", "ROUX", "Anne", "0810 12 34 56", "06 12 34 56 78", "69003", "Lyon", "", "", "", "oui", ""]
    fixed = ["C2", "M.", "BLANC", "Léo", "02 99 12 34 56", "0612", "13008", "Marseille", "", "", "", "oui", ""]
    result = run(sessions, target, write_csv(tmp_path / "fichier.csv", [HEADERS, kept, fixed]))
    assert (result.report.leads_created, result.report.secondary_phones_dropped) == (2, 2)
    rows = list(csv.reader(result.rejects_path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert [row[-2:] for row in rows[1:]] == [
        ["2", "fiche gardée, numéro 0810 12 34 56 écarté : numéro de service (08…, 3xxx), pas la ligne d'une "
              "personne (Tél. fixe)"],
        ["3", "fiche gardée, numéro 0612 écarté : trop court (Portable)"],
    ]
    with sessions() as session:
        assert sorted(session.scalars(select(LeadPhone.e164))) == ["+33299123456", "+33612345678"]


def test_duplicates_are_removed_within_the_file_and_against_the_campaign(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    run(sessions, target, write_csv(tmp_path / "first.csv", [HEADERS, *GOOD]))
    second = [["C1", "", "X", "", "", "0033612345678", "", "", "", "", "", "", ""],  # A1's mobile
              ["C2", "", "Y", "", "", "07 77 66 55 44", "", "", "", "", "", "", ""],
              ["C3", "", "Z", "", "", "777665544", "", "", "", "", "", "", ""]]  # C2 again, zero eaten
    report = run(sessions, target, write_csv(tmp_path / "second.csv", [HEADERS, *second])).report
    assert (report.leads_created, report.rejected["duplicate_in_campaign"], report.rejected["duplicate_in_file"]) \
        == (1, 1, 1)
    assert counts(sessions) == (2, 4, 5)


def test_a_profile_that_requires_consent_sets_aside_leads_without_it(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    unproven = ["D1", "M.", "PETIT", "Luc", "", "07 77 66 55 44", "75011", "Paris", "2026-05-02", "salon", "", "non",
                ""]
    gated = dataclasses.replace(target, consent_required=True)
    run(sessions, gated, write_csv(tmp_path / "leads.csv", [HEADERS, *GOOD, unproven]))
    with sessions() as session:
        statuses = dict(session.execute(select(Lead.external_ref, Lead.status)).all())
    assert statuses == {"A1": "new", "A2": "new", "A3": "new", "D1": "no_consent"}
    no_exemption = dataclasses.replace(gated, contract_exempts=False)
    assert no_exemption.without_consent({"contract_exemption": True}, NOW)
    proven = {"consent_at": NOW, "consent_source": "salon", "consent_proof": "P-1"}
    assert not no_exemption.without_consent(proven, NOW)
    assert no_exemption.without_consent(proven, NOW - timedelta(seconds=1))  # given after the moment: not yet


def test_importing_the_same_file_twice_creates_no_duplicates(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "leads.csv", [HEADERS, *GOOD, *BAD])
    first = run(sessions, target, path)
    again = run(sessions, target, path)
    assert again.report.leads_created == 0
    assert again.report.rejected["duplicate_in_campaign"] == 4  # B1 repeats A1, already stored
    assert again.report.already_imported == [first.import_id]
    assert counts(sessions) == (2, 3, 4)


def test_numbers_on_the_do_not_call_list_are_not_loaded(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    with sessions.begin() as session:
        other = campaigns.add_client(session, "Autre client", [])
        store.add_do_not_call(session, "+33612345678", target.client_id, "refus au téléphone")
        store.add_do_not_call(session, "+262692123456", None, "opposition")
        store.add_do_not_call(session, "+33611223344", other.id, "autre client")
    report = run(sessions, target, write_csv(tmp_path / "leads.csv", [HEADERS, *GOOD])).report
    assert (report.leads_created, report.rejected["do_not_call"]) == (1, 2)
    with sessions() as session:
        assert [lead.external_ref for lead in session.scalars(select(Lead))] == ["A3"]


def test_an_error_in_the_middle_of_an_import_leaves_nothing_stored(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    path = write_csv(tmp_path / "in" / "leads.csv", [HEADERS, *GOOD, *BAD])
    batches: list[int] = []

    def fail_after_first_batch(done: int, _hint: int) -> None:
        batches.append(done)
        if done == 4:
            with sessions() as other:  # the first batches are written, but only inside the transaction
                assert other.scalar(select(func.count()).select_from(Lead)) == 0
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        run(sessions, target, path, batch=2, progress=fail_after_first_batch)
    assert batches == [0, 2, 4]
    assert counts(sessions) == (0, 0, 0)
    assert not rejects_path_for(path).exists()
    assert list(path.parent.iterdir()) == [path]


def test_a_killed_import_leaves_nothing_stored(
    database_url: str, sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "leads.csv", [HEADERS, *GOOD, *BAD])
    script = textwrap.dedent(f"""
        import os, signal
        from datetime import UTC, datetime
        from pathlib import Path
        from leads.importer import ImportOptions, ImportTarget, import_leads
        from rdv import db
        import rdv.models  # every table, as the application registers them

        def kill(done, hint):
            if done >= 4:
                os.kill(os.getpid(), signal.SIGKILL)

        sessions = db.session_factory(db.make_engine({database_url!r}))
        target = ImportTarget({target.campaign_id}, {target.client_id})
        import_leads(sessions, target, Path({str(path)!r}), ImportOptions(batch=2), datetime.now(UTC), kill)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    assert counts(sessions) == (0, 0, 0)
    assert run(sessions, target, path).report.leads_created == 3  # and the database is usable afterwards


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", EmptyFile),
        ("Nom;Téléphone\r\n".encode("cp1252"), EmptyFile),
        ("Nom;Prénom;Ville\r\nMartin;Jean;Brest\r\n".encode("cp1252"), NoPhoneColumn),
        (bytes(range(256)) * 64, UnreadableFile),
    ],
)
def test_unusable_files_stop_before_anything_is_stored(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path, content: bytes,
    error: type[LeadFileError],
) -> None:
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "leads.csv"
    path.write_bytes(content)
    with pytest.raises(error, match="leads.csv"):
        run(sessions, target, path)
    assert counts(sessions) == (0, 0, 0)
    assert list(path.parent.iterdir()) == [path]


def test_an_xlsx_sheet_is_imported_with_its_typed_cells(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Prospects"
    sheet.append(["Nom", "Mobile", "CP", "Date consentement", "Contrat en cours"])
    sheet.append(["Lefèvre", 612345678, 1000, datetime(2026, 3, 14, 10, 22), False])
    sheet.append(["Payet", "0692 12 34 56", 97400, None, True])
    path = tmp_path / "prospects.xlsx"
    book.save(path)
    result = run(sessions, target, path, sheet="Prospects")
    assert (result.report.kind, result.report.sheet, result.report.leads_created) == ("xlsx", "Prospects", 2)
    assert result.rejects_path == tmp_path / "prospects.rejets.csv"
    with sessions() as session:
        leads = {lead.last_name: lead for lead in session.scalars(select(Lead))}
        assert (leads["Lefèvre"].phone_e164, leads["Lefèvre"].postcode) == ("+33612345678", "01000")
        assert leads["Lefèvre"].consent_at == datetime(2026, 3, 14, 9, 22, tzinfo=UTC)
        assert (leads["Payet"].contract_exemption, leads["Payet"].timezone) == (True, "Indian/Reunion")


def test_explicit_mapping_and_region_apply(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "be.csv", [["Naam", "Nummer", "Opmerking"], ["Peeters", "0470 12 34 56", "=1+1"]],
                     "utf-8", ",")
    result = run(sessions, target, path, region="BE", mapping={"Naam": "last_name", "Nummer": "phone"})
    assert result.report.columns == {"Naam": "last_name", "Nummer": "phone", "Opmerking": "custom"}
    with sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.last_name, lead.phone_e164, lead.country, lead.timezone) == (
            "Peeters", "+32470123456", "BE", "Europe/Brussels")
        assert lead.custom == {"Opmerking": "=1+1"}


def test_one_stray_quote_in_2000_rows_rejects_one_row_and_loses_none(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    lines = ["Nom;Prénom;Téléphone;Ville"] + [f"Nom{n};Jean;06 {n // 100 % 100 + 10:02d} {n % 100:02d} 00 00;Lyon"
                                             for n in range(2000)]
    lines[11] = 'Nom10;"Jean;06 10 10 00 00;Lyon'
    lines[43] = 'Nom42;Jean "le grand";06 10 42 00 00;Lyon'
    path = tmp_path / "crm.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    result = run(sessions, target, path)
    report = result.report
    assert (report.rows_read, report.leads_created, dict(report.rejected)) == (2000, 1999, {"broken_quoting": 1})
    assert report.broken_quotes == [12]
    rows = list(csv.reader(result.rejects_path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[1][:2] == ["Nom10", '"Jean'] and rows[1][-2] == "12"
    assert rows[1][-1].startswith("un guillemet ouvert à la ligne 12 court jusqu'à la ligne 44")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead).where(Lead.last_name == "Nom11")) == 1


def test_a_cell_longer_than_any_sane_one_is_a_reject(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    rows = [["Nom", "Téléphone"], ["x" * 6000, "06 12 34 56 78"], ["Martin", "06 12 34 56 79"]]
    report = run(sessions, target, write_csv(tmp_path / "long.csv", rows)).report
    assert (report.leads_created, dict(report.rejected)) == (1, {"cell_too_long": 1})


def test_title_rows_above_the_header_are_skipped_and_the_header_row_reported(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    rows = [["Export CRM du 12/11/2026", "", ""], ["", "", ""], ["", "", ""], ["Nom", "Ville", "Portable"],
            ["Martin", "Lyon", "06 12 34 56 78"]]
    report = run(sessions, target, write_csv(tmp_path / "crm.csv", rows)).report
    assert (report.header_row, report.rows_read, report.leads_created) == (4, 1, 1)
    forced = [["Liste A", "", ""], ["Col1", "Col2", "Col3"], ["Durand", "Paris", "06 12 34 56 79"]]
    report = run(sessions, target, write_csv(tmp_path / "forced.csv", forced), header_row=2,
                 mapping={"Col3": "phone"}).report
    assert (report.header_row, report.leads_created) == (2, 1)


def test_a_second_import_says_it_waits_for_the_first_then_runs(
    sessions: sessionmaker[Session], target: ImportTarget, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "leads.csv", [HEADERS, *GOOD])
    told = threading.Event()
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(run(sessions, target, path, waiting=told.set))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    with sessions.begin() as first:
        store.lock_campaign(first, target.campaign_id)  # the first import, still running
        worker = threading.Thread(target=second)
        worker.start()
        assert told.wait(timeout=60), "the second import never said that it waits"
        assert not outcome  # it waits: nothing stored yet
    worker.join(timeout=120)
    (result,) = outcome
    assert not isinstance(result, BaseException), result
    assert result.report.leads_created == 3  # type: ignore[attr-defined]
