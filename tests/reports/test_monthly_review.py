"""The monthly review and the final report of a seeded campaign, from the database to the PDF's text."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from campaigns.models import Attempt
from config.i18n import fmt_number
from rdv import db
from rdv.cli import app
from rdv.cli.common import console
from reports import review_service
from reports.outbox import OutboxMessage
from tests.reports.review_seed import seed_review_months

CAMPAIGN = "Prise de RDV Charpente"


def words(text: str) -> str:
    """Text with every run of spaces (no-break ones and line ends included) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def pdf_text(data: bytes) -> str:
    return words(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages))


def test_december_review_holds_the_months_figures_trend_and_recommendations(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seeded = seed_review_months(session)
    with sessions() as session:
        content = review_service.build_month(session, seeded.campaign_id, date(2026, 12, 17))
        december_dials = session.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.created_at >= datetime(2026, 11, 30, 23, tzinfo=UTC),
            Attempt.created_at < datetime(2026, 12, 31, 23, tzinfo=UTC)))
    assert (content.first, content.last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert content.figures.dials == december_dials
    assert content.figures.rdvs == seeded.rdvs_by_month[12]
    assert content.previous is not None and content.previous.rdvs == seeded.rdvs_by_month[11]
    topics = {r.topic for r in content.recommendations}
    assert {"hours", "lists", "departements", "script", "agents"} <= topics
    quality = content.quality
    assert quality.false_cancellations >= 1 and quality.reported_cancelled >= quality.false_cancellations
    assert content.unmet and content.unmet[0][0] == "Tous les décideurs seront présents lors de la visite"

    text = pdf_text(review_service.review_pdf(content))
    assert "Bilan mensuel – décembre 2026" in text
    assert f"nos téléacteurs ont passé {fmt_number(december_dials)} appels" in words(text)
    assert f"fixé {content.figures.rdvs} rendez-vous" in text
    for recommendation in content.recommendations:
        assert words(recommendation.text) in text
        assert words(recommendation.reason) in text
    assert "achat_2025.xlsx" in text and "/srv/imports" not in text  # the file's name, not where it was read
    assert "Déjà équipé" in text and "Niveaux de service" in text
    assert "Prospect absent au rendez-vous, volets fermés." in text  # the client's own comment after a visit
    assert "Martin1" not in text and "+3355600" not in text  # no prospect named in a report about the month


def test_final_report_covers_the_contract_month_by_month(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seeded = seed_review_months(session)
    with sessions() as session:
        content = review_service.build_final(session, seeded.campaign_id)
    assert (content.first, content.last) == (date(2026, 11, 2), date(2026, 12, 31))
    assert content.figures.rdvs == sum(seeded.rdvs_by_month.values())
    assert content.previous is None
    assert content.per_month["rdvs"].tolist() == [seeded.rdvs_by_month[11], seeded.rdvs_by_month[12]]
    text = pdf_text(review_service.review_pdf(content))
    assert "Rapport final" in text and "du 2 novembre 2026 au 31 décembre 2026" in text
    assert "novembre 2026" in text and "Nos préconisations pour vos prochaines campagnes" in text


def test_the_review_mail_is_stored_once_with_its_pdf(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seeded = seed_review_months(session)
    now = datetime(2027, 1, 4, 8, 30, tzinfo=UTC)
    with sessions.begin() as session:
        stored = review_service.queue_review(session, seeded.campaign_id, date(2026, 12, 1), now,
                                             "bilans@outsourcing-academy.example")
        assert stored is not None
        again = review_service.queue_review(session, seeded.campaign_id, date(2026, 12, 1), now,
                                            "bilans@outsourcing-academy.example")
        assert again is None
        nothing = review_service.queue_review(session, seeded.campaign_id, date(2026, 10, 1), now,
                                              "bilans@outsourcing-academy.example")
        assert nothing is None  # no call in October: no review to send
        mail = message_from_bytes(stored.raw, policy=policy.default)
    assert mail["Subject"] == "Bilan mensuel – décembre 2026 – Prise de RDV Charpente"
    assert mail["To"] == "rdv@charpentes-martin.fr"
    body = mail.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "Veuillez trouver ci-joint le bilan de votre campagne" in body
    (attachment,) = list(mail.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == "Bilan_Prise-de-RDV-Charpente_2026-12.pdf"
    assert "Bilan mensuel" in pdf_text(attachment.get_content())


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    return CliRunner()


def test_rdv_report_monthly_writes_the_pdf_and_refuses_a_bad_month(
        cli: CliRunner, database_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        seed_review_months(session)
    engine.dispose()
    out = tmp_path / "bilans"
    result = cli.invoke(app, ["report", "monthly", "--campaign", CAMPAIGN, "--month", "2026-12", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (written,) = out.glob("*.pdf")
    assert written.name == "Bilan_Prise-de-RDV-Charpente_2026-12.pdf"
    assert "écrit :" in result.output and "préconisations" in result.output
    bad = cli.invoke(app, ["report", "monthly", "--campaign", CAMPAIGN, "--month", "2026-13"])
    assert bad.exit_code == 2
    assert "Mois invalide : « 2026-13 » (attendu : AAAA-MM, par exemple 2026-12)" in words(bad.output)
    unknown = cli.invoke(app, ["report", "final", "--campaign", "Inconnue", "--out", str(out)])
    assert unknown.exit_code == 2 and "Inconnue" in unknown.output
    with db.session_factory(db.make_engine(database_url))() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # writing sends nothing


def test_rdv_report_monthly_send_mails_the_review_once(cli: CliRunner, database_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        seed_review_months(session)
    args = ["report", "monthly", "--campaign", CAMPAIGN, "--month", "2026-12", "--out", str(tmp_path), "--send"]
    first = cli.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Envoyé à rdv@charpentes-martin.fr" in first.output
    again = cli.invoke(app, args)
    assert again.exit_code == 0 and "déjà été envoyé" in again.output
    with db.session_factory(engine)() as session:
        (stored,) = session.scalars(select(OutboxMessage)).all()
        assert (stored.kind, stored.day, stored.status) == ("monthly_review", date(2026, 12, 1), "filed")
    engine.dispose()
    (eml,) = (tmp_path / "var").rglob("*.eml")
    assert "Bilan mensuel" in message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"]
