"""`rdv appointments list/show/set`: a supervisor follows RDV sheets from the call to quality control."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from campaigns.appointment_rules import (
    CANCELLED,
    CANCELLED_BY_CLIENT,
    CONFIRMED,
    FALSE_CANCELLATION,
    SENT_TO_CLIENT,
    STATES,
    TAKEN,
    VALIDATED,
    VISITED,
    TimeSlot,
    state_label,
)
from campaigns.appointment_services import book_appointment, mark_sent
from campaigns.appointments import Appointment, AppointmentEvent
from campaigns.models import Campaign
from rdv import db
from rdv.cli import app
from rdv.cli.appointments import AmbiguousState, UnknownStateWord, parse_reference, resolve_state, state_candidates
from rdv.cli.common import console
from tests.campaigns.appointment_helpers import (
    CONFORM_ANSWERS,
    NOW,
    add_attempt,
    add_lead,
    seed_campaign,
    slot,
    visit_days_after,
)

CAMPAIGN = "Prise de RDV Charpente"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on a migrated database and a fresh data folder, on a wide terminal, in French."""
    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RDV_LANG", "fr")
    monkeypatch.delenv("RDV_SMTP_HOST", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A session on the same database as the command line, to seed it and to read what it stored."""
    engine = db.make_engine(database_url)
    with db.session_factory(engine)() as session:
        yield session
    engine.dispose()


def _book(session: Session, n: int, taken: datetime, visit: TimeSlot, **answers: object) -> int:
    """An appointment for lead n, from its call at `taken`; `answers` override the conform ones."""
    campaign = session.scalars(select(Campaign)).one()
    attempt = add_attempt(session, add_lead(session, campaign, n), taken - timedelta(minutes=3))
    booked = book_appointment(session, slot=visit, answers={**CONFORM_ANSWERS, **answers}, agent="agent7",
                              now=taken, attempt_id=attempt.id)
    session.commit()
    return booked.id


def _state(session: Session, appointment_id: int) -> str:
    session.expire_all()
    return session.get_one(Appointment, appointment_id).state


def _events(session: Session, appointment_id: int) -> int:
    count = session.scalar(select(func.count()).where(AppointmentEvent.appointment_id == appointment_id))
    return count or 0


def _words(output: str) -> str:
    """The output as one line of words, table borders dropped, so that a row reads as its cells in order."""
    return " ".join(re.sub("[\u2500-\u257f]", " ", output).split())


def _ok(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return _words(result.output)


def _refused(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.output.strip().count("\n") == 0, result.output
    return _words(result.output)


def _sent_and_visited(session: Session, cli: CliRunner, appointment_id: int) -> None:
    mark_sent(session, [appointment_id], 1, NOW)
    session.commit()
    _ok(cli, "appointments", "set", str(appointment_id), "confirme")
    _ok(cli, "appointments", "set", str(appointment_id), "visited")


def test_an_appointment_goes_from_taken_to_validated_and_show_tells_its_history(
    cli: CliRunner, session: Session
) -> None:
    seed_campaign(session)
    session.commit()
    # The daily e-mail takes what was taken up to now, on the real clock, so book a minute ago.
    taken = datetime.now(UTC) - timedelta(minutes=1)
    rdv = _book(session, 1, taken, visit_days_after(taken, days=3, hour=14), proprietaire=False)
    day = taken.astimezone(PARIS).date().isoformat()

    assert "E-mail quotidien n° 1 prêt" in _ok(cli, "mail", "daily", "--campaign", CAMPAIGN, "--day", day)
    assert _state(session, rdv) == SENT_TO_CLIENT
    done = _ok(cli, "appointments", "set", "RDV-000001", "confirmé", "--by", "marie", "--note", "Client rappelé")
    assert "RDV-000001 : envoyé au client → confirmé (par marie)" in done
    _ok(cli, "appointments", "set", "rdv-1", "visité", "--by", "marie")
    _ok(cli, "appointments", "set", "1", "Validé", "--by", "qualité", "--note", "Visite conforme")
    assert _state(session, rdv) == VALIDATED

    shown = _ok(cli, "appointments", "show", "RDV-000001")
    for text in ("RDV-000001", "M. Jean1 Dupont1", "06 12 34 00 01", "69003 Lyon", "agent7", "Conforme Non",
                 "Êtes-vous propriétaire de votre logement ? Non", "Type de logement Maison individuelle",
                 "Critères non remplis", "Le prospect est propriétaire de son logement", "e-mail n° 1"):
        assert text in shown, text
    history = shown[shown.index("Historique"):]
    steps = ["agent7 — pris", "pris envoyé au client", "envoyé au client confirmé Client rappelé",
             "confirmé visité", "visité validé Visite conforme"]
    positions = [history.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), history
    assert "qualité" in history and "daily-mail" in history


def test_a_chute_after_the_visit_is_recorded_and_annule_alone_is_asked_to_be_precise(
    cli: CliRunner, session: Session
) -> None:
    seed_campaign(session)
    rdv = _book(session, 1, NOW, slot(25, 14))
    _sent_and_visited(session, cli, rdv)
    ambiguous = _refused(cli, "appointments", "set", str(rdv), "annulé")
    assert "annulé-client = annulé par le client / chute = annulé (chute) : précisez" in ambiguous
    assert _state(session, rdv) == VISITED
    assert "visité → annulé (chute)" in _ok(cli, "appointments", "set", str(rdv), "chute", "--note", "Pas de projet")
    assert _state(session, rdv) == CANCELLED
    assert "aucun, cet état est définitif" in _refused(cli, "appointments", "set", str(rdv), "validé")


def test_a_fausse_chute_is_refused_without_its_proof_then_accepted_with_it(cli: CliRunner, session: Session) -> None:
    seed_campaign(session)
    rdv = _book(session, 1, NOW, slot(25, 14))
    mark_sent(session, [rdv], 1, NOW)
    session.commit()
    # "annulé" after the e-mail can only be the client's cancellation.
    assert "annulé par le client" in _ok(cli, "appointments", "set", str(rdv), "annulé")
    assert _state(session, rdv) == CANCELLED_BY_CLIENT
    events = _events(session, rdv)

    assert "--proof-ref" in _refused(cli, "appointments", "set", str(rdv), "fausse-chute")
    assert "--proof-note" in _refused(cli, "appointments", "set", str(rdv), "fausse chute", "--proof-ref", "BC-7")
    assert "--proof-note" in _refused(cli, "appointments", "set", str(rdv), "FAUSSE_CHUTE", "--proof-file", "bc.pdf")
    assert (_state(session, rdv), _events(session, rdv)) == (CANCELLED_BY_CLIENT, events)

    _ok(cli, "appointments", "set", str(rdv), "fausse-chute", "--proof-ref", "BC-7",
        "--proof-note", "Bon de commande signé", "--proof-file", "bc-7.pdf", "--by", "qualité")
    session.expire_all()
    stored = session.get_one(Appointment, rdv)
    assert (stored.state, stored.proof_reference, stored.proof_file_name) == (FALSE_CANCELLATION, "BC-7", "bc-7.pdf")
    shown = _ok(cli, "appointments", "show", str(rdv))
    assert "Preuve BC-7 · bc-7.pdf" in shown and "Bon de commande signé" in shown
    assert "annulé par le client fausse chute" in shown


def test_an_illegal_jump_is_one_line_exit_2_and_nothing_is_stored(cli: CliRunner, session: Session) -> None:
    seed_campaign(session)
    rdv = _book(session, 1, NOW, slot(25, 14))
    refused = _refused(cli, "appointments", "set", "RDV-000001", "validé")
    assert ("RDV-000001 est « pris » : il ne peut pas passer à « validé » "
            "(possibles : envoyé au client, renvoyé au téléacteur)") in refused
    assert (_state(session, rdv), _events(session, rdv)) == (TAKEN, 1)
    assert "preuve" in _refused(cli, "appointments", "set", str(rdv), "envoyé", "--proof-ref", "X")
    assert "inconnu" in _refused(cli, "appointments", "set", str(rdv), "livré")
    assert (_state(session, rdv), _events(session, rdv)) == (TAKEN, 1)


def test_list_filters_by_state_and_day_and_counts_each_state(cli: CliRunner, session: Session) -> None:
    seed_campaign(session)
    monday = _book(session, 1, NOW, slot(25, 14))
    _book(session, 2, NOW + timedelta(minutes=30), slot(26, 10), horizon="plus_12_mois")
    tuesday = _book(session, 3, NOW + timedelta(days=1), slot(27, 16))
    mark_sent(session, [monday], 1, NOW + timedelta(hours=5))
    session.commit()

    everything = _ok(cli, "appointments", "list", "--campaign", CAMPAIGN)
    assert ["RDV-000001", "RDV-000002", "RDV-000003"] == [w for w in everything.split() if w.startswith("RDV-0")]
    assert "mer. 25 nov. 2026, 14:00 – 16:00" in everything
    assert "M. Jean2 Dupont2 69003 Lyon téléacteur n° 7 Non" in everything
    assert "3 rendez-vous pris : 2 envoyé au client : 1" in everything

    sent = _ok(cli, "appointments", "list", "--campaign", CAMPAIGN, "--state", "envoyé")
    assert "RDV-000001" in sent and "RDV-000002" not in sent and "1 rendez-vous" in sent
    on_tuesday = _ok(cli, "appointments", "list", "--campaign", CAMPAIGN, "--day", "2026-11-24")
    assert f"RDV-{tuesday:06d}" in on_tuesday and "RDV-000001" not in on_tuesday
    both = _ok(cli, "appointments", "list", "--campaign", CAMPAIGN, "--from", "2026-11-23", "--to", "2026-11-23",
               "--state", "taken")
    assert "RDV-000002" in both and "RDV-000001" not in both and "RDV-000003" not in both
    visits = _ok(cli, "appointments", "list", "--campaign", CAMPAIGN, "--day", "2026-11-27", "--visits")
    assert "RDV-000003" in visits and "1 rendez-vous" in visits
    assert "ou --from/--to" in _refused(cli, "appointments", "list", "--campaign", CAMPAIGN, "--day", "2026-11-24",
                                        "--from", "2026-11-23")


def test_an_unknown_appointment_or_campaign_is_one_line_and_exit_2(cli: CliRunner, session: Session) -> None:
    seed_campaign(session)
    session.commit()
    assert "999" in _refused(cli, "appointments", "show", "RDV-000999")
    assert "999" in _refused(cli, "appointments", "set", "999", "confirmé")
    assert "RDV-ABC" in _refused(cli, "appointments", "show", "RDV-ABC")
    assert "RDV-0" in _refused(cli, "appointments", "set", "RDV-0", "confirmé")
    assert "livré" in _refused(cli, "appointments", "list", "--campaign", CAMPAIGN, "--state", "livré")
    assert "Toitures" in _refused(cli, "appointments", "list", "--campaign", "Toitures")


@given(st.integers(min_value=1, max_value=10**9))
def test_a_reference_reads_as_the_daily_mail_prints_it_or_as_a_bare_number(number: int) -> None:
    for text in (f"RDV-{number:06d}", f"rdv {number}", f"#{number}", str(number)):
        assert parse_reference(text) == number


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_state_as_people_read_it_is_understood(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", lang)
    for code in STATES:
        assert code in state_candidates(state_label(code))
        assert state_candidates(code) == (code,)


def test_annule_means_what_the_lifecycle_allows_from_the_current_state() -> None:
    assert resolve_state("annulé", SENT_TO_CLIENT) == CANCELLED_BY_CLIENT
    assert resolve_state("Annule", CANCELLED_BY_CLIENT) == CANCELLED
    assert resolve_state("annulé", CONFIRMED) == CANCELLED_BY_CLIENT
    with pytest.raises(AmbiguousState):
        resolve_state("annulé", VISITED)
    with pytest.raises(UnknownStateWord):
        resolve_state("reporté", TAKEN)
