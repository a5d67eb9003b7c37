"""`rdv client erase`: after a confirmed export, nothing personal of that client remains in the database or the
data folder (searched for every name and number), other clients are untouched, and the certificate is signed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from campaigns.appointments import Appointment, AppointmentEvent
from campaigns.models import Attempt, Callback, Campaign
from config.clock import ManualClock
from config.orm import Base
from config.secrets import secret
from leads.models import DoNotCall, Lead
from rdv import db
from rdv.cli import app
from rdv.erasure import erased_tables, verify_certificate
from rdv.jobs import MailContext, monthly_export_job
from reports.mailer import FolderTransport, deliver_pending
from reports.outbox import store_message
from tests.leads.conftest import write_csv
from tests.rdv.privacy_harness import command_line

MARTIN = [("JEANNOT", "Ferdinande", "0612345601", "12 rue des Glycines"),
          ("PAPAZIAN", "Ludovine", "0612345602", "7 impasse Berlioz")]
DURAND = [("AUTRECLIENT", "Gaspard", "0699887766", "1 place Carnot")]
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def needles(people: list[tuple[str, str, str, str]]) -> list[str]:
    found = []
    for last, first, phone, street in people:
        spaced = " ".join(phone[i:i + 2] for i in range(0, 10, 2))
        found += [last, first, street, phone, spaced, "+33" + phone[1:], phone[1:]]
    return found


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    header = ["Nom", "Prénom", "Portable", "Adresse", "Code postal", "Ville"]
    setup: list[list[str]] = []
    for client, campaign, people in (("Martin", "Toitures", MARTIN), ("Durand", "Fenêtres", DURAND)):
        rows = [[a, b, c, d, "35000", "Rennes"] for a, b, c, d in people]
        file = write_csv(tmp_path / f"{client}.csv", [header, *rows])
        setup += [["client", "add", client], ["campaign", "create", campaign, "--client", client],
                  ["leads", "import", str(file), "--campaign", campaign]]
    return command_line(database_url, tmp_path, monkeypatch, *setup)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = db.make_engine(database_url)
    yield made
    made.dispose()


def _history(sessions: sessionmaker[Session], data_dir: Path) -> None:
    """Calls, callbacks, RDV sheets, a do-not-call entry and a delivered daily e-mail for every lead."""
    with sessions.begin() as session:
        for lead in session.scalars(select(Lead)):
            attempt = Attempt(campaign_id=lead.campaign_id, lead_id=lead.id, attempt_no=1, phone_e164=lead.phone_e164,
                              callee_tz="Europe/Paris", action_id=f"a-{lead.id}", created_at=T0, outcome="connected",
                              channel=f"Local/{lead.phone_e164}@rdv-outbound;1", agent="agent7", disposition="rdv")
            session.add(attempt)
            session.flush()
            session.add(Callback(campaign_id=lead.campaign_id, lead_id=lead.id, due_at=T0, agent="agent7",
                                 note=f"rappeler {lead.first_name}", status="done", created_at=T0))
            sheet = Appointment(campaign_id=lead.campaign_id, lead_id=lead.id, attempt_id=attempt.id, slot_start=T0,
                                slot_end=T0 + timedelta(hours=2), timezone="Europe/Paris", address=lead.address,
                                postcode=lead.postcode, city=lead.city, comments=f"{lead.last_name} au portail",
                                agent="agent7", state="taken", state_changed_at=T0, taken_at=T0)
            sheet.events.append(AppointmentEvent(from_state="", to_state="taken", at=T0, by="agent7",
                                                 note=f"confirmé par {lead.first_name}"))
            session.add(sheet)
            client_id = session.get_one(Campaign, lead.campaign_id).client_id
            session.add(DoNotCall(client_id=client_id, e164=lead.phone_e164, reason="objection"))
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = "rdv@example.invalid", "client@example.fr", "RDV du jour"
            mail.set_content(f"{lead.last_name} {lead.first_name}, {lead.address}, {lead.phone_e164}")
            store_message(session, mail, kind="daily_rdv", now=T0, campaign_id=lead.campaign_id, day=T0.date())
    deliver_pending(sessions, FolderTransport(data_dir / "outbox"), T0)


def found_in_database(engine: Engine, words: list[str]) -> set[str]:
    hits: set[str] = set()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                blob = " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row)
                hits |= {w for w in words if w in blob}
    return hits


def found_in_folder(folder: Path, words: list[str]) -> set[str]:
    blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    return {w for w in words if w.encode() in blob}


def dead_rows(engine: Engine) -> dict[str, int]:
    """Erased tables whose pages still hold dead row versions → how many, counted by scanning the pages
    (pgstattuple). Not the statistics' n_dead_tup: each connection adds its counts up to a second after its
    commit, so one that updated a table before the VACUUM may add them after it, for rows that are gone."""
    found = {}
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        for table in erased_tables():
            dead = conn.scalar(text("SELECT dead_tuple_count FROM pgstattuple(CAST(:t AS regclass))"),
                               {"t": table.name})
            if dead:
                found[table.name] = int(dead)
        conn.commit()
    return found


def test_erasure_leaves_nothing_of_the_client_and_touches_no_other(
    rdv: CliRunner, tmp_path: Path, engine: Engine, database_url: str
) -> None:
    data_dir = tmp_path / "var"
    sessions = db.session_factory(engine)
    _history(sessions, data_dir)
    ctx = MailContext(sessions, ManualClock(T0), "rdv@example.invalid", FolderTransport(data_dir / "outbox"),
                      "Europe/Paris", data_dir / "exports")
    monthly_export_job(ctx, data_dir / "exports").run(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    mine, theirs = needles(MARTIN), needles(DURAND)
    present = {"JEANNOT", "Ferdinande", "PAPAZIAN", "12 rue des Glycines", "+33612345601", "612345602"}
    assert present <= found_in_database(engine, mine)  # the search finds what is there
    assert {"JEANNOT", "PAPAZIAN", "+33612345601"} <= found_in_folder(data_dir, mine)

    refused = rdv.invoke(app, ["client", "erase", "Martin", "--export-checksum", "0" * 64])
    assert refused.exit_code == 2 and "aucun export de Martin n'a l'empreinte" in refused.output
    assert present <= found_in_database(engine, mine)
    exported = rdv.invoke(app, ["client", "export", "Martin", "--out", str(tmp_path / "rendu")])
    checksum = exported.output.replace("\n", "").rsplit(" : ", 1)[-1].strip()
    assert len(checksum) == 64, exported.output
    done = rdv.invoke(app, ["client", "erase", "Martin", "--export-checksum", checksum])
    assert done.exit_code == 0, done.output
    assert "Données personnelles de Martin supprimées" in done.output

    if engine.dialect.name == "sqlite":
        # The file and its write-ahead log as they are on disk, with no checkpoint of the test's own.
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
        assert not [w for w in mine if w.encode() in raw]
    assert found_in_database(engine, mine) == set()
    assert found_in_folder(data_dir, mine) == set()
    if engine.dialect.name == "postgresql":
        assert dead_rows(engine) == {}
    assert {"AUTRECLIENT", "Gaspard", "+33699887766"} <= found_in_database(engine, theirs)  # untouched
    with sessions() as session:
        assert [lead.last_name for lead in session.scalars(select(Lead))] == ["AUTRECLIENT"]
        assert session.scalar(text("SELECT count(*) FROM campaigns")) == 2

    (certificate,) = (data_dir / "certificates").glob("*.json")
    document = json.loads(certificate.read_text(encoding="utf-8"))
    assert document["export_checksum"] == checksum and document["rows_erased"]["leads"] == 2
    assert document["files_erased"] == {"outbox_emails": 2, "export_folders": 1}
    key = secret("certificate_key", data_dir)
    assert verify_certificate(document, key)
    assert not verify_certificate({**document, "rows_erased": {**document["rows_erased"], "leads": 1}}, key)
    pdf = PdfReader(io.BytesIO(certificate.with_suffix(".pdf").read_bytes()))
    words = " ".join(page.extract_text() for page in pdf.pages)
    assert "Certificat de suppression" in words and checksum[:20] in words.replace("\n", "")
