"""The web test harness: in-process requests (`asgi_client`), a real `rdv run --simulate` process with its web
screens (`live_server`), accounts (`make_user`), headless Chromium (`browser`, `page`), `login` and `shot`.

`live_server` runs tests/rdv/service_process.py (the same `run_service` as `rdv run`) with `--web 127.0.0.1:0`
on a clock that starts Monday 23 November 2026 15:00 Paris (inside the calling window) at real speed by
default, over a temporary SQLite database holding the sample campaign "Toitures" of client "Charpentes Test".
Use `start_live_server(...)` for another database, scale or number of simulated agents.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config.clock import ManualClock
from config.settings import load_settings
from rdv import db
from rdv.bootstrap import App
from rdv.web import accounts
from rdv.web.app import create_app
from rdv.web.server import Listen, bind, serve_web, url_of
from tests.rdv.service_harness import MONDAY_3PM, PYTHON, RDV, ROOT, prepare

SCREENS = ROOT / "var" / "test-artifacts" / "screens"
CHROMIUM = "/usr/bin/chromium"
# Generous for a loaded two-core machine; the server is normally up in a few seconds.
START_DEADLINE_S = 90.0
_WEB_URL = re.compile(r"https?://[\w.\[\]:-]+:\d+")
_counter = iter(range(1, 1_000_000))


def add_user(url: str, role: str, login: str | None = None, **options: Any) -> tuple[str, str]:
    """An account in the database at `url` (options as `rdv user add`: client, phone, name, campaigns)."""
    login = login or f"{role[:4]}{next(_counter)}"
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine).begin() as session:
            made = accounts.add_user(session, login, role, MONDAY_3PM, **options)
            return made.user.login, made.password
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------------- in process


@pytest.fixture
def web_app(database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    """The web app over a fresh migrated database (SQLite, then PostgreSQL)."""
    settings = load_settings(env={"RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": database_url,
                                  "RDV_LANG": "fr"})  # fmt: skip
    application = App(settings=settings, migrate=False)
    yield create_app(application)
    application.close()


@pytest.fixture
def asgi_client(web_app: FastAPI) -> Iterator[TestClient]:
    """Requests to the app in process; redirects are not followed, so tests see them."""
    with TestClient(web_app, follow_redirects=False) as client:
        yield client


@contextmanager
def serve_in_thread(web: FastAPI, trusted_proxies: str = "") -> Iterator[str]:
    """Serve `web` with uvicorn on a free loopback port from a thread; yields its base URL.

    For what an in-process client cannot do: live streams (it waits for the whole body), proxy headers.
    """
    sock = bind(Listen("127.0.0.1", 0))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve_web(web, sock, stop, trusted_proxies),),
                              daemon=True)  # fmt: skip
    url = url_of(sock)
    thread.start()
    try:
        yield url
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


@pytest.fixture
def served_app(web_app: FastAPI) -> Iterator[str]:
    """`web_app` served over real HTTP from a thread; its base URL."""
    with serve_in_thread(web_app) as url:
        yield url


def csrf_of(html: str) -> str:
    """The CSRF token a rendered page carries in its <meta name="csrf-token">."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def client_login(client: TestClient, login: str, password: str) -> str:
    """Log `client` in through the login form; returns the session's CSRF token for later POSTs."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text[-500:]
    return csrf_of(client.get("/", follow_redirects=True).text)


def post_login(client: TestClient, login: str, password: str) -> httpx.Response:
    """POST the login form (with the pre-login token of a fresh GET /login); the answer, not followed."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


def manual_clock(web: FastAPI) -> ManualClock:
    """Sessions and throttling of `web` on a clock the test moves."""
    clock = ManualClock(datetime.now(UTC))
    web.state.wall_clock = clock
    return clock


# ---------------------------------------------------------------------------------------------------- live server


@dataclass
class LiveServer:
    """A running `rdv run --simulate` with its web screens at `base_url`, over the database at `db_url`."""

    base_url: str
    db_url: str
    data_dir: Path
    campaign_id: int
    proc: subprocess.Popen[bytes]
    env: dict[str, str] = field(repr=False)

    def rdv(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run an `rdv` command against this server's database (French, as a user would)."""
        done = subprocess.run([str(RDV), *args], env=self.env, cwd=self.data_dir, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"rdv {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def log(self) -> str:
        return (self.data_dir / "service.log").read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM and wait for the clean stop; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_live_server(data_dir: Path, db_url: str | None = None, *, scale: float = 1.0, sim_agents: int = 0,
                      lead_count: int = 300, seed: int = 3, extra: list[str] | None = None) -> LiveServer:
    """Prepare the sample campaign in `db_url` (default: a SQLite file in `data_dir`) and start the service."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = db_url or f"sqlite:///{data_dir / 'rdv.sqlite3'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    campaign_id = prepare(url, lead_count)
    env = {**os.environ, "RDV_DATA_DIR": str(data_dir), "RDV_DATABASE_URL": url, "RDV_LANG": "fr"}
    env.pop("RDV_AMI_HOST", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    args = [str(PYTHON), "-m", "tests.rdv.service_process", "--simulate", "--sim-agents", str(sim_agents),
            "--seed", str(seed), "--drain-seconds", "5", "--clock-scale", str(scale),
            "--clock-start", MONDAY_3PM.isoformat(), "--clock-epoch", str(time.time()),
            "--web", "127.0.0.1:0", *(extra or [])]  # fmt: skip
    log = (data_dir / "service.log").open("ab")
    proc = subprocess.Popen(args, env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer("", url, data_dir, campaign_id, proc, env)
    server.base_url = _wait_for_web(server)
    return server


def _wait_for_web(server: LiveServer) -> str:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"rdv run exited ({server.proc.returncode}) before serving:\n{server.log()[-3000:]}")
        found = _WEB_URL.search(server.log())
        if found:
            try:
                if httpx.get(f"{found.group()}/health", timeout=2).status_code == 200:
                    return found.group()
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"the web screens did not come up:\n{server.log()[-3000:]}")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One service with its web screens for the tests of a module (SQLite, real speed, no simulated agent)."""
    server = start_live_server(tmp_path_factory.mktemp("live"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_user(request: pytest.FixtureRequest) -> Callable[..., tuple[str, str]]:
    """`make_user(role, **options) -> (login, password)` in the live server's database if the test uses one,
    else in the in-process app's."""
    if "live_server" in request.fixturenames:
        url = request.getfixturevalue("live_server").db_url
    else:
        url = request.getfixturevalue("database_url")

    def make(role: str, **options: Any) -> tuple[str, str]:
        return add_user(url, role, **options)

    return make


# ---------------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's package) driven by Playwright's sync API.

    Per module, not per session: while it runs, Playwright holds an asyncio loop on the main thread, and
    pytest-asyncio cannot run an async test then. Keep async tests out of the modules that use a browser.
    """
    from playwright.sync_api import expect, sync_playwright

    # A click that submits a form returns before the next page is there: tests read it with `expect(...)`, which
    # waits for the text; 5 s (Playwright's default) is short on a loaded two-core machine.
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookie) and page, French, 1366×768 like a floor PC; relative URLs go to the
    live server when the test uses one (`page.goto("/login")`)."""
    options: dict[str, Any] = {"locale": "fr-FR", "viewport": {"width": 1366, "height": 768}}
    if "live_server" in request.fixturenames:
        options["base_url"] = request.getfixturevalue("live_server").base_url
    context = browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def login() -> Callable[[Any, str, str], None]:
    """`login(page, login, password)`: through the login form of the live server (the `page` fixture's base URL)."""

    def do(page: Any, user: str, password: str) -> None:
        page.goto("/login")
        page.fill("#login", user)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return do


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """`shot(page, name)`: a full-page screenshot under var/test-artifacts/screens/<name>.png."""

    def take(page: Any, name: str) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def visit(browser: Any, served_app: str) -> Iterator[Callable[[], Any]]:
    """New French pages on the served app, one browser context each (separate sessions)."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768}, base_url=served_app)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
