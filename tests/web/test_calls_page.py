"""The supervisor's call page and its recording: what it shows, who may see it, the player's byte ranges, and
the page in Chromium playing the file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from campaigns.models import Attempt
from config.orm import transaction
from dialer.call_models import CallControlEvent, Recording
from dialer.models import AttemptTransition
from dialer.recordings import recording_path
from dialer.simulator.control import write_recording
from tests.campaigns.factories import MONDAY_3PM, campaign, leads
from tests.web.conftest import add_user, client_login, serve_in_thread

PHONE = "+33612345678"


def a_recorded_call(web_app: FastAPI, data_dir: Path) -> tuple[int, Path]:
    """A connected, recorded call with its steps and a hold, as the dialer and call control store them."""
    sessions = web_app.state.sessions
    with transaction(sessions) as session:
        made = campaign(session)
        lead = leads(session, made.id, 1, start=2345678, last_name="Martin", first_name="Claire", city="Lyon",
                     postcode="69003")[0]  # +33612345678
        assert lead.phone_e164 == PHONE
        at = MONDAY_3PM
        attempt = Attempt(campaign_id=made.id, lead_id=lead.id, attempt_no=1, phone_e164=PHONE,
                          callee_tz="Europe/Paris", action_id="rdv-call-1", created_at=at,
                          connected_at=at + timedelta(seconds=9),
                          ended_at=at + timedelta(seconds=70), outcome="connected", agent="agent1", talk_s=61.0,
                          state="ended")
        session.add(attempt)
        session.flush()
        for n, state in enumerate(["created", "originated", "ringing", "answered", "queued", "connected", "ended"]):
            session.add(AttemptTransition(attempt_id=attempt.id, state=state, at=at + timedelta(seconds=n)))
        session.add(CallControlEvent(attempt_id=attempt.id, call_id="rdv-call-1", at=at + timedelta(seconds=20),
                                     kind="hold", login="agent1"))
        path = recording_path(data_dir, made.id, "rdv-call-1", at)
        write_recording(str(path), 2.0)
        session.add(Recording(attempt_id=attempt.id, campaign_id=made.id, path=str(path.relative_to(data_dir)),
                              duration_s=2.0, size_bytes=path.stat().st_size,
                              sha256=hashlib.sha256(path.read_bytes()).hexdigest(), recorded_at=at,
                              delete_after=at + timedelta(days=30)))
        return attempt.id, path


def test_a_supervisor_sees_the_call_its_steps_its_actions_and_the_player(
        web_app: FastAPI, asgi_client: TestClient, tmp_path: Path, make_user: Callable[..., tuple[str, str]]) -> None:
    attempt_id, path = a_recorded_call(web_app, tmp_path)
    client_login(asgi_client, *make_user("supervisor"))
    page = asgi_client.get(f"/calls/{attempt_id}")
    assert page.status_code == 200
    html = page.text
    assert f"Appel n° {attempt_id}" in html and "Claire Martin" in html and "Mis en attente" in html
    assert "Mis en relation avec un téléacteur" in html and "Enregistrement conservé" not in html
    assert PHONE not in html and "+33 6** ** ** 78" in html  # the number called, masked
    assert f'<audio controls preload="metadata" src="/calls/{attempt_id}/recording"' in html
    listing = asgi_client.get("/calls")
    assert listing.status_code == 200 and f'href="/calls/{attempt_id}"' in listing.text and "enregistré" in listing.text

    whole = asgi_client.get(f"/calls/{attempt_id}/recording")
    assert whole.status_code == 200 and whole.content == path.read_bytes()
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/wav"
    size = path.stat().st_size
    part = asgi_client.get(f"/calls/{attempt_id}/recording", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == path.read_bytes()[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    tail = asgi_client.get(f"/calls/{attempt_id}/recording", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == path.read_bytes()[-10:]
    beyond = asgi_client.get(f"/calls/{attempt_id}/recording", headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"


@pytest.mark.parametrize("role", ["teleoperator", "client"])
def test_no_one_but_a_supervisor_reaches_a_call_or_its_recording(
        web_app: FastAPI, asgi_client: TestClient, tmp_path: Path, make_user: Callable[..., tuple[str, str]],
        role: str) -> None:
    attempt_id, _path = a_recorded_call(web_app, tmp_path)
    options: dict[str, Any] = {"client": "Charpentes Test"} if role == "client" else {}
    if role == "client":
        from campaigns import store
        with transaction(web_app.state.sessions) as session:
            try:
                store.get_client(session, "Charpentes Test")
            except LookupError:
                store.add_client(session, "Charpentes Test", ["rdv@client.example"])
    client_login(asgi_client, *make_user(role, **options))
    assert asgi_client.get(f"/calls/{attempt_id}").status_code == 404
    assert asgi_client.get(f"/calls/{attempt_id}/recording").status_code == 404
    assert asgi_client.get("/calls").status_code == 403


def test_a_missing_call_or_recording_is_a_404(web_app: FastAPI, asgi_client: TestClient, tmp_path: Path,
                                             make_user: Callable[..., tuple[str, str]]) -> None:
    attempt_id, path = a_recorded_call(web_app, tmp_path)
    client_login(asgi_client, *make_user("supervisor"))
    assert asgi_client.get(f"/calls/{attempt_id + 1}").status_code == 404
    path.unlink()  # deleted by hand, the row still there: no file served, no crash
    assert asgi_client.get(f"/calls/{attempt_id}/recording").status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_call_page_plays_its_recording_in_chromium(web_app: FastAPI, tmp_path: Path, browser: Any,
                                                       database_url: str, shot: Callable[[Any, str], Path]) -> None:
    attempt_id, _path = a_recorded_call(web_app, tmp_path)
    login, password = add_user(database_url, "supervisor", name="Chef de plateau")
    with serve_in_thread(web_app) as url:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768}, base_url=url)
        page = context.new_page()
        page.goto("/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"/calls/{attempt_id}")
        audio = page.locator("audio")
        page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=15000)
        duration = page.evaluate("document.querySelector('audio').duration")
        assert duration == pytest.approx(2.0, abs=0.05)
        page.evaluate("document.querySelector('audio').currentTime = 1.5")  # a seek: the browser asks a range
        page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=15000)
        assert audio.get_attribute("src") == f"/calls/{attempt_id}/recording"
        shot(page, "calls-call-page")
        context.close()
