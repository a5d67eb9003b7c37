"""`rdv leads import/report`, `rdv export leads` and the demo's sample file as a supervisor sees them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from leads.models import Lead, LeadImport
from rdv import db
from rdv.bootstrap import App
from rdv.cli import app, lead_report
from rdv.cli.common import console
from rdv.demo import setup_sample
from tests.leads.conftest import write_csv

HEADERS = ["Nom", "Prénom", "Téléphone", "Portable", "Code postal", "Ville", "Commentaire"]
ROWS = [
    ["@SOMME(A1)", "Hélène", "02 99 12 34 56", "06 12 34 56 78", "35000", "Rennes", "=1+1"],
    ["PAYET", "-Loïc", "", "0692 12 34 56", "97400", "Saint-Denis", "+cmd"],
    ["MARTIN", "Jean", "", "06 12 34 56 78", "75011", "Paris", ""],
    ["ROUX", "Anne", "", "08 99 12 34 56", "69003", "Lyon", ""],
]


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on an empty migrated database and a fresh data folder, on a wide terminal."""
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def rdv(cli: CliRunner) -> CliRunner:
    """The command line with a client and a campaign."""
    runner = cli
    for args in (["client", "add", "Charpentes Martin", "--email", "rdv@martin.fr"],
                 ["campaign", "create", "Prise de RDV Charpente", "--client", "Charpentes Martin"]):
        assert runner.invoke(app, args).exit_code == 0
    return runner


def stored(database_url: str) -> tuple[int, int]:
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        found = (conn.scalar(select(func.count()).select_from(LeadImport)) or 0,
                 conn.scalar(select(func.count()).select_from(Lead)) or 0)
    engine.dispose()
    return found


def test_import_prints_the_quality_check_and_report_shows_it_again(rdv: CliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fichier.csv", [HEADERS, *ROWS])
    done = rdv.invoke(app, ["leads", "import", str(path), "--campaign", "prise de rdv charpente"])
    assert done.exit_code == 0, done.output
    for text in ("Contrôle qualité du fichier", "Lignes lues", "Fiches créées", "doublon dans le fichier",
                 "numéro surtaxé", "Taux d'exploitation", "50,0\u00a0%", "974", "fichier.rejets.csv"):
        assert text in done.output
    assert (tmp_path / "fichier.rejets.csv").exists()
    again = rdv.invoke(app, ["leads", "report", "--campaign", "Prise de RDV Charpente", "--import", "1"])
    assert again.exit_code == 0 and "Fiches créées" in again.output and "50,0\u00a0%" in again.output


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        (b"", [], "le fichier est vide"),
        ("Nom;Ville\r\nMartin;Brest\r\n".encode("cp1252"), [], "aucune colonne de téléphone"),
        (bytes(range(256)) * 64, [], "données binaires"),
        (b"Nom;Tel\r\nMartin;0612345678\r\n", ["--map", "Tel=telephone"], "champs valides : external_ref"),
        (b"Nom;Tel\r\nMartin;0612345678\r\n", ["--map", "Fixe=phone"], "pas de colonne Fixe"),
    ],
)
def test_a_file_that_cannot_be_imported_is_one_clear_line_exit_2_and_nothing_stored(
    rdv: CliRunner, database_url: str, tmp_path: Path, content: bytes, args: list[str], words: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    done = rdv.invoke(app, ["leads", "import", str(path), "--campaign", "Prise de RDV Charpente", *args])
    assert done.exit_code == 2, done.output
    assert words in done.output
    assert stored(database_url) == (0, 0)


def test_import_finds_the_header_below_titles_and_warns_of_broken_quoting(rdv: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Export CRM du 12/11/2026;;\r\n;;\r\nNom;Ville;Portable\r\nMartin;Lyon;06 12 34 56 78\r\n"
                    'Durand;"Paris;06 12 34 56 79\r\nRoux;Lyon;06 12 34 56 70\r\nBlanc;Lyon;"06 12 34 56 71"\r\n',
                    encoding="utf-8")
    done = rdv.invoke(app, ["leads", "import", str(path), "--campaign", "Prise de RDV Charpente"])
    assert done.exit_code == 0, done.output
    assert "Ligne d'en-tête" in done.output and "guillemets mal fermés" in done.output
    assert "Attention : les guillemets du fichier sont mal formés : un guillemet ouvert à la ligne 5" in done.output
    with (tmp_path / "crm.rejets.csv").open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle, delimiter=";"))) == 2
    refused = rdv.invoke(app, ["leads", "import", str(path), "--campaign", "Prise de RDV Charpente",
                               "--header-row", "2"])
    assert refused.exit_code == 2 and "la ligne 2 est vide" in refused.output


def test_unknown_campaign_or_import_exit_2(rdv: CliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [HEADERS, *ROWS])
    done = rdv.invoke(app, ["leads", "import", str(path), "--campaign", "Toitures"])
    assert done.exit_code == 2 and "Campagne inconnue : Toitures" in done.output
    done = rdv.invoke(app, ["leads", "report", "--campaign", "Prise de RDV Charpente"])
    assert done.exit_code == 2 and "Aucun fichier importé" in done.output


def test_leads_export_to_csv_is_french_with_formulas_neutralised(rdv: CliRunner, tmp_path: Path) -> None:
    rdv.invoke(app, ["leads", "import", str(write_csv(tmp_path / "f.csv", [HEADERS, *ROWS])), "--campaign",
                     "Prise de RDV Charpente"])
    out = tmp_path / "export" / "fiches.csv"
    done = rdv.invoke(app, ["export", "leads", "--campaign", "Prise de RDV Charpente", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "2 fiches écrites" in done.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["N° de fiche", "Référence", "Civilité", "Nom", "Prénom", "Téléphone", "Type de ligne",
                       "Code postal", "Ville", "Statut", "Appels", "Dernier résultat",
                       "Prochain appel (heure de l'appelé)", "Fuseau de l'appelé", "Commentaire"]
    first, second = rows[1], rows[2]
    assert first[3] == "'@SOMME(A1)" and first[5] == "02 99 12 34 56" and first[6] == "fixe"
    assert first[-1] == "'=1+1" and first[9:14] == ["Pas encore appelée", "0", "", "", "heure de Paris"]
    assert second[4] == "'-Loïc" and second[7:9] == ["97400", "Saint-Denis"] and second[-1] == "'+cmd"
    assert second[5] == "0692 12 34 56" and second[13] == "heure de La Réunion"


def test_leads_export_raw_keeps_codes_and_e164(rdv: CliRunner, tmp_path: Path) -> None:
    rdv.invoke(app, ["leads", "import", str(write_csv(tmp_path / "f.csv", [HEADERS, *ROWS])), "--campaign",
                     "Prise de RDV Charpente"])
    out = tmp_path / "leads.csv"
    done = rdv.invoke(app, ["export", "leads", "--campaign", "Prise de RDV Charpente", "--out", str(out),
                            "--format", "raw"])
    assert done.exit_code == 0, done.output
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["lead_id", "external_ref", "civility", "last_name", "first_name", "phone_e164", "phone_type",
                       "postcode", "city", "status", "attempts", "last_outcome", "next_attempt_at", "timezone",
                       "Commentaire"]
    assert rows[1][5:7] == ["+33299123456", "fixed"] and rows[1][9:14] == ["new", "0", "", "", "Europe/Paris"]


def test_leads_export_in_english_with_rdv_lang_en(
    rdv: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rdv.invoke(app, ["leads", "import", str(write_csv(tmp_path / "f.csv", [HEADERS, *ROWS])), "--campaign",
                     "Prise de RDV Charpente"])
    monkeypatch.setenv("RDV_LANG", "en")
    out = tmp_path / "leads.xlsx"
    done = rdv.invoke(app, ["export", "leads", "--campaign", "Prise de RDV Charpente", "--out", str(out)])
    assert done.exit_code == 0 and "2 leads written to" in done.output
    book = load_workbook(out)
    assert book.sheetnames == ["Leads"]
    rows = [[cell.value for cell in row] for row in book["Leads"].iter_rows()]
    assert rows[0][:2] == ["Lead no.", "Reference"] and rows[1][9] == "Not called yet"
    assert rows[2][13] == "Réunion time"


def test_leads_export_to_xlsx_keeps_text_as_text(rdv: CliRunner, tmp_path: Path) -> None:
    rdv.invoke(app, ["leads", "import", str(write_csv(tmp_path / "f.csv", [HEADERS, *ROWS])), "--campaign",
                     "Prise de RDV Charpente"])
    out = tmp_path / "fiches.xlsx"
    assert rdv.invoke(app, ["export", "leads", "--campaign", "Prise de RDV Charpente", "--out", str(out)]).exit_code \
        == 0
    book = load_workbook(out)
    assert book.sheetnames == ["Fiches"]
    sheet = book["Fiches"]
    assert sheet.freeze_panes == "A2"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["N° de fiche", "Référence", "Civilité"] and rows[0][-1] == "Commentaire"
    assert rows[1][3] == "@SOMME(A1)" and rows[1][-1] == "=1+1" and rows[1][5] == "02 99 12 34 56"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet["D2"].quotePrefix and sheet["O2"].quotePrefix
    assert rdv.invoke(app, ["export", "leads", "--campaign", "Prise de RDV Charpente", "--out", "x.pdf"]).exit_code \
        == 2


def test_the_demo_sample_imports_the_bundled_file_once_with_its_quality_report(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    application = App()  # the fixture's RDV_DATABASE_URL and RDV_DATA_DIR
    try:
        first = setup_sample(application, tmp_path / "demo")
        with console.capture() as captured:
            lead_report.render(console, first.report, first.import_id)
        again = setup_sample(application, tmp_path / "demo")
    finally:
        application.close()
    shown = captured.get()
    assert first.created and first.imported and first.client.name == "Charpentes Martin"
    assert "cp1252 / ;" in shown and "numéro surtaxé" in shown and "doublon dans le fichier" in shown
    imports, leads = stored(database_url)
    assert imports == 1 and 1900 < leads < 2000 and first.report.leads_created == leads
    assert (tmp_path / "demo" / "leads-charpente.rejets.csv").exists()
    assert not again.created and not again.imported and again.import_id == first.import_id
    assert stored(database_url) == (1, leads)


def test_leads_imported_into_a_running_campaign_without_consent_are_set_aside(
    rdv: CliRunner, tmp_path: Path, database_url: str
) -> None:
    assert rdv.invoke(app, ["campaign", "start", "Prise de RDV Charpente"]).exit_code == 0
    with_consent = [*HEADERS, "Date de consentement", "Source du consentement", "Référence de preuve"]
    rows = [[*ROWS[0], "2026-09-01", "formulaire web", "PRV-1"], [*ROWS[1], "", "", ""]]
    done = rdv.invoke(app, ["leads", "import", str(write_csv(tmp_path / "f.csv", [with_consent, *rows])),
                            "--campaign", "Prise de RDV Charpente"])
    assert done.exit_code == 0, done.output
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(Lead.last_name, Lead.status)).all())
    engine.dispose()
    assert statuses == {"@SOMME(A1)": "new", "PAYET": "no_consent"}
