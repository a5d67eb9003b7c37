"""`rdv campaign set/show/check/start/pause/calendar` and `rdv leads show`, through the real CLI and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns.hopper import claim_leads
from campaigns.outcomes import finish_attempt, record_disposition, start_attempt
from leads.consent_store import Grant, record_grants
from leads.models import DoNotCall
from rdv import db
from rdv.cli import app
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

AT = ["--at", "2026-11-23T15:00+01:00"]


@pytest.fixture
def rdv(database_url: str, tmp_path: Path) -> CliRunner:
    return CliRunner(env={"RDV_DATABASE_URL": database_url, "RDV_DATA_DIR": str(tmp_path), "RDV_LANG": "en"})


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_supervisor_configures_checks_and_starts_a_campaign(rdv: CliRunner) -> None:
    assert invoke(rdv, "client", "add", "Acme")[0] == 0
    assert invoke(rdv, "campaign", "create", "Toitures", "--client", "Acme")[0] == 0
    assert invoke(rdv, "campaign", "set", "Toitures", "saturday", "yes") == (0, "saturday of Toitures set to yes.\n")
    code, output = invoke(rdv, "campaign", "set", "Toitures", "retry_busy", "soon")
    assert code == 2 and "retry_busy cannot be soon" in output
    code, output = invoke(rdv, "campaign", "check", "Toitures", *AT)
    assert code == 0 and "Saturday window 10:00–13:00 is not allowed by fr-consumer" in output.replace("\n", " ")
    assert "outside the legal days and hours are called in these windows all the same" in " ".join(output.split())
    code, output = invoke(rdv, "campaign", "start", "Toitures", *AT)
    assert code == 0 and "20 attempts cannot fit" in output and "Campaign Toitures started." in output
    code, output = invoke(rdv, "campaign", "show", "Toitures")
    assert code == 0 and "status running" in output and "Appointment taken" in output
    assert invoke(rdv, "campaign", "pause", "Toitures") == (0, "Campaign Toitures paused.\n")


def test_the_calendar_shows_each_zone_in_its_own_time(rdv: CliRunner, database_url: str) -> None:
    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        cid = campaign(session, "Toitures").id
        leads(session, cid, 2, timezone="Indian/Reunion", subdivision="974")
    engine.dispose()
    code, output = invoke(rdv, "campaign", "calendar", "Toitures", "--days", "2", *AT)
    assert code == 0 and "Indian/Reunion FR 974 · 2 leads" in output
    # 10:00–13:00 and 14:00–19:00 there, but the centre in Paris opens at 09:00 (12:00 in Réunion).
    assert "Monday, 23 November 2026" in output and "12:00–13:00, 14:00–19:00" in output


def test_leads_show_tells_when_and_why_a_lead_is_tried_next(rdv: CliRunner, database_url: str) -> None:
    engine = db.make_engine(database_url)
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        cid = campaign(session, "Toitures").id
        leads(session, cid, 1)
    with sessions.begin() as session:
        (target,) = claim_leads(session, cid, MONDAY_3PM, 1, "d")
        attempt = start_attempt(session, target, MONDAY_3PM, "d", "a1")
        finish_attempt(session, attempt.id, "no_answer", MONDAY_3PM)
    engine.dispose()
    code, output = invoke(rdv, "leads", "show", str(target.lead_id), *AT)
    assert code == 0, output
    output = output.replace("\n", " ")
    assert "+33 6** ** ** 00" in output and target.phone_e164 not in output
    assert "no_answer" in output and "Next attempt:" in output and "hour band and weekday not tried yet" in output
    assert invoke(rdv, "leads", "show", "999", *AT)[0] == 2


def test_leads_show_says_why_a_lead_may_or_may_not_be_called(rdv: CliRunner, database_url: str) -> None:
    engine = db.make_engine(database_url)
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        made = campaign(session, "Toitures")
        plain, exempt, listed, done = leads(session, made.id, 4)
        twin = leads(session, campaign(session, "Fenêtres").id, 1, start=2)[0]  # the same number as `listed`
        session.add(DoNotCall(client_id=made.client_id, e164=twin.phone_e164, reason="objection"))
        record_grants(session, {exempt.id: Grant(datetime(2026, 9, 1, tzinfo=UTC), "formulaire web", "CGU-7",
                                                 hours_exempt=True)}, "test", MONDAY_3PM, made.client_id)
        ids = {"plain": plain.id, "exempt": exempt.id, "listed": listed.id, "done": done.id}
    with sessions.begin() as session:
        (target,) = [t for t in claim_leads(session, made.id, MONDAY_3PM, 4, "d") if t.lead_id == ids["done"]]
        attempt = start_attempt(session, target, MONDAY_3PM, "d", "a1")
        finish_attempt(session, attempt.id, "connected", MONDAY_3PM + timedelta(minutes=2))
        record_disposition(session, attempt.id, "not_target", MONDAY_3PM + timedelta(minutes=3), "agent7")
    engine.dispose()
    lunch = ["--at", "2026-11-23T13:30+01:00"]  # the legal lunch break: the campaign's 10:00-19:00 is open

    def shown(name: str, at: list[str] = lunch) -> str:
        code, output = invoke(rdv, "leads", "show", str(ids[name]), *at)
        assert code == 0, output
        return " ".join(output.split())

    assert "Not callable at this moment: 13:30 (Europe/Paris) is outside the allowed calling windows " \
           "(10:00–13:00, 14:00–19:00)." in shown("plain")
    assert "Next attempt: 23 Nov 2026, 14:00:00 (Europe/Paris), because of the next time its calling windows " \
           "open." in shown("plain")
    assert "Not callable at this moment" not in shown("plain", AT)
    exempt_text = shown("exempt")
    assert "outside the legal days and hours too" in exempt_text and "Not callable at this moment" not in exempt_text
    listed_text = shown("listed")
    assert "Not tried again: on the do-not-call list: never again." in listed_text  # its status is still new
    assert "status new" in listed_text and "Not callable at this moment" not in listed_text
    assert "Not tried again: final disposition: never again." in shown("done")
    french = CliRunner(env={**rdv.env, "RDV_LANG": "fr"}).invoke(app, ["leads", "show", str(ids["plain"]), *lunch])
    assert "Pas d'appel possible à ce moment : 13:30 (Europe/Paris)" in " ".join(french.output.split())
