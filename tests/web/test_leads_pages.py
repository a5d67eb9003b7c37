"""Lead files through the web (SQLite and PostgreSQL): refused files, the CLI's import in the background, the
mapping screen, the report and its formula-safe rejects, a job cut by a restart."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from leads.models import Lead, LeadImport
from rdv.web import leads_jobs
from rdv.web.leads_models import LeadUpload
from tests.web.leads_helpers import Desk, csv_file, desk

__all__ = ["desk"]

GOOD = ("Mme;LEFÈVRE;Hélène;06 12 34 56 78;35000;Rennes", "M.;PAYET;Loïc;0692 12 34 56;97400;Saint-Denis")
FORMULA = "M.;=HYPERLINK(\"http://x\");Paul;0612;75011;Paris"  # a short number: rejected, with a formula name


def _counts(desk: Desk) -> tuple[int, int, int]:
    with desk.app.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (Lead, LeadImport, LeadUpload))  # fmt: skip


def test_a_recognised_file_is_imported_in_the_background_with_its_report_and_safe_rejects(desk: Desk) -> None:
    job_id = desk.job_of(desk.upload(csv_file(*GOOD, GOOD[0].replace("LEFÈVRE", "DOUBLON"), FORMULA)))
    page = desk.client.get(f"/admin/leads/jobs/{job_id}")
    assert page.status_code == 200
    assert "import terminé" in page.text and "Contrôle qualité" in page.text, page.text[-3000:]
    with desk.app.sessions() as session:
        job = session.get_one(LeadUpload, job_id)
        assert (job.status, job.rows_done) == ("done", 4)
        names = sorted(session.scalars(select(Lead.last_name)))
        assert names == ["LEFÈVRE", "PAYET"]
    rejects = desk.client.get(f"/admin/leads/imports/{job.import_id}/rejects.csv")
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    text = rejects.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(";")[-2:] == ["Ligne", "Motif"]
    assert "'=HYPERLINK" in text and "\n=" not in text and ";=" not in text
    assert "doublon de la ligne 2" in text
    listing = desk.client.get(f"/admin/leads/{desk.campaign_id}")
    assert f"/admin/leads/imports/{job.import_id}" in listing.text and "fichier.csv" in listing.text


def test_a_file_that_is_neither_text_nor_a_workbook_is_refused_and_not_kept(desk: Desk) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    answer = desk.upload(png, "fichier.csv")
    assert answer.status_code == 400
    assert "ni un fichier texte CSV ni un classeur Excel" in answer.text
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes.txt", "pas un classeur")
    answer = desk.upload(archive.getvalue(), "fichier.xlsx")
    assert answer.status_code == 400 and "pas un classeur Excel" in answer.text
    assert _counts(desk) == (0, 0, 0)
    assert not [p for p in desk.app.settings.data_dir.rglob("*") if p.is_file() and "lead_uploads" in str(p)]


def test_a_file_over_the_limit_is_refused_from_its_length_and_while_it_streams(desk: Desk) -> None:
    big = csv_file(*[GOOD[0]] * 30_000)
    assert len(big) > 1 << 20
    answer = desk.upload(big)
    assert answer.status_code == 413 and "dépasse 1 Mo" in answer.text

    def chunks() -> object:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]

    answer = desk.client.post(f"/admin/leads/{desk.campaign_id}/upload", params={"name": "gros.csv"},
                              content=chunks(), headers={"X-CSRF-Token": desk.token})  # type: ignore[arg-type]
    assert answer.status_code == 413 and "dépasse 1 Mo" in answer.text
    assert _counts(desk) == (0, 0, 0)


def test_a_file_broken_past_its_first_rows_fails_and_stores_nothing(desk: Desk) -> None:
    # Far enough down that the preview does not reach it: the import meets it after storing rows.
    many = [f"M.;MARTIN;Jean;06 12 {i // 100:02d} {i % 100:02d} 00;69003;Lyon" for i in range(5000)]
    broken = codecs.BOM_UTF8 + csv_file(*many) + b"M.;MARTIN;Jean;06 11 22 33 44;69003;Lyon \xe9\xff\n"
    job_id = desk.job_of(desk.upload(broken))
    with desk.app.sessions() as session:
        job = session.get_one(LeadUpload, job_id)
        assert job.status == "failed"
        assert "fichier.csv" in job.error and "UTF-8" in job.error and "lead_uploads" not in job.error
    assert _counts(desk)[:2] == (0, 0)
    page = desk.client.get(f"/admin/leads/jobs/{job_id}")
    assert "Rien de ce fichier n&#39;a été enregistré" in page.text
    Path(job.stored_as).unlink()  # a file that cannot be read at all: no mapping can mend it, back to why
    again = desk.client.get(f"/admin/leads/jobs/{job_id}/map")
    assert again.status_code == 303 and again.headers["location"] == f"/admin/leads/jobs/{job_id}"


def test_unrecognised_headers_go_to_the_mapping_screen_and_the_mapping_is_applied(desk: Desk) -> None:
    data = csv_file("DUPONT;joignable le soir;+33 6 98 76 54 32", "DURAND;;06 55 44 33 22",
                    header="Qui;Remarque;Où le joindre\n")
    answer = desk.upload(data, "export crm.csv")
    assert answer.status_code == 303 and answer.headers["location"].endswith("/map")
    job_id = int(answer.headers["location"].split("/")[-2])
    screen = desk.client.get(answer.headers["location"])
    assert screen.status_code == 200 and "DUPONT" in screen.text and "Où le joindre" in screen.text
    refused = desk.client.post(f"/admin/leads/jobs/{job_id}/map", data={
        "col0": "last_name", "col1": "custom", "col2": "custom", "csrf_token": desk.token})
    assert refused.status_code == 400 and "numéros de téléphone" in refused.text
    sent = desk.client.post(f"/admin/leads/jobs/{job_id}/map", data={
        "col0": "last_name", "col1": "custom", "col2": "phone", "csrf_token": desk.token})
    assert sent.status_code == 303
    assert leads_jobs.wait(job_id, 120)
    with desk.app.sessions() as session:
        leads = {lead.last_name: lead for lead in session.scalars(select(Lead))}
        assert sorted(leads) == ["DUPONT", "DURAND"]
        assert leads["DUPONT"].phone_e164 == "+33698765432"
        assert leads["DUPONT"].custom == {"Remarque": "joignable le soir"}
        assert session.get_one(LeadUpload, job_id).mapping["Où le joindre"] == "phone"


def test_a_plain_form_upload_works_without_the_script(desk: Desk) -> None:
    answer = desk.client.post(f"/admin/leads/{desk.campaign_id}/upload", data={"csrf_token": desk.token},
                              files={"file": ("clients.csv", csv_file(*GOOD), "text/csv")})
    desk.job_of(answer)
    assert _counts(desk)[0] == 2


def test_a_job_left_running_by_a_stopped_server_is_marked_failed_with_a_reason(desk: Desk) -> None:
    with desk.app.sessions.begin() as session:
        job = LeadUpload(campaign_id=desk.campaign_id, filename="ancien.csv", stored_as="/nowhere/ancien.csv",
                         status="running")  # fmt: skip
        session.add(job)
        session.flush()
        job_id = job.id
    page = desk.client.get(f"/admin/leads/jobs/{job_id}")
    assert "le serveur a redémarré" in page.text
    with desk.app.sessions() as session:
        assert session.get_one(LeadUpload, job_id).status == "failed"
