"""Every route of the whole app has one rule, and answers each kind of caller as the rule says.

The app is built with every module of ROUTER_MODULES, so a route added anywhere without a rule fails here.
Requests go over real HTTP (a thread-served uvicorn) so that live streams answer with their headers at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount

from campaigns import store
from rdv.web.roles import Role, RouteRule, allow, app_routes, rules_of
from tests.web.conftest import csrf_of

# Mounted apps cannot take a dependency; these are the only ones allowed, and they are public by nature.
PUBLIC_MOUNTS = {"/static"}
CALLERS = ["anonymous", *Role]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    rule: RouteRule

    @property
    def names_a_record(self) -> bool:
        return "{" in self.path

    def concrete(self) -> str:
        """The path with each parameter given a value no record has."""
        return re.sub(r"\{[^}]+\}", "999999", self.path)


def endpoints(web: FastAPI) -> list[Endpoint]:
    found = []
    for route in app_routes(web):
        if isinstance(route.original_route, APIRoute):
            (rule,) = rules_of(route)
            found += [Endpoint(m, route.path, rule) for m in sorted(route.methods) if m != "HEAD"]
    return found


def test_every_route_declares_exactly_one_rule(web_app: FastAPI) -> None:
    missing = []
    routes = app_routes(web_app)
    assert {r.path for r in routes} >= {"/", "/login", "/static"}
    for route in routes:
        if isinstance(route.original_route, Mount):
            assert route.path in PUBLIC_MOUNTS, f"mounted app {route.path} has no rule: serve it from a route"
        elif isinstance(route.original_route, APIRoute):
            if len(rules_of(route)) != 1:
                missing.append(f"{sorted(route.methods)} {route.path}: {rules_of(route)}")
        else:
            missing.append(f"{route.path}: not an APIRoute, so it cannot declare allow()/public()")
    assert missing == [], "declare dependencies=[allow(...)] or [public()] on: " + "; ".join(missing)


def test_the_rule_checker_notices_a_route_without_a_rule(web_app: FastAPI) -> None:
    web_app.add_api_route("/no-rule-here", lambda: "x")
    route = next(r for r in app_routes(web_app) if r.path == "/no-rule-here")
    assert rules_of(route) == []


def test_allow_needs_a_role() -> None:
    with pytest.raises(ValueError):
        allow()


# These end the caller's session: the caller logs in again after calling them.
SESSION_ENDING = {"/logout", "/logout-all"}


@dataclass
class Caller:
    name: str
    client: httpx.Client
    login: str = ""
    password: str = ""
    token: str = ""

    def log_in(self) -> None:
        self.client.cookies.clear()
        self.token = csrf_of(self.client.get("/login").text)
        if self.name == "anonymous":
            return
        answer = self.client.post("/login", data={"login": self.login, "password": self.password,
                                                  "csrf_token": self.token})  # fmt: skip
        assert answer.status_code == 303, answer.text[-300:]
        self.token = csrf_of(self.client.get("/", follow_redirects=True).text)

    def call(self, endpoint: Endpoint) -> httpx.Response:
        headers = {"accept": "text/html", "x-csrf-token": self.token}
        with self.client.stream(endpoint.method, endpoint.concrete(), headers=headers) as response:
            pass  # the status and headers are enough; a live stream is closed here
        if endpoint.path in SESSION_ENDING:
            self.log_in()
        return response


@pytest.fixture
def callers(served_app: str, sessions, make_user) -> Iterator[list[Caller]]:  # type: ignore[no-untyped-def]
    """One HTTP client per kind of caller, each logged in through the form (anonymous: not)."""
    with sessions.begin() as session:
        store.add_client(session, "Charpentes Test", [])
    made = []
    for name in CALLERS:
        caller = Caller(str(name), httpx.Client(base_url=served_app, follow_redirects=False, timeout=30))
        if name != "anonymous":
            options = {"client": "Charpentes Test"} if name == Role.client else {}
            caller.login, caller.password = make_user(str(name), **options)
        caller.log_in()
        made.append(caller)
    yield made
    for caller in made:
        caller.client.close()


def check_every_route(web: FastAPI, callers: list[Caller]) -> list[str]:
    wrong = []
    for endpoint in sorted(endpoints(web), key=lambda e: e.path in SESSION_ENDING):
        for caller in callers:
            response = caller.call(endpoint)
            if not _expected(endpoint, caller.name)(response):
                wrong.append(f"{caller.name} {endpoint.method} {endpoint.path} -> {response.status_code} "
                             f"{response.headers.get('location', '')}")  # fmt: skip
    return wrong


def test_each_route_answers_each_caller_as_its_rule_says(web_app: FastAPI, callers: list[Caller]) -> None:
    wrong = check_every_route(web_app, callers)
    assert wrong == [], "\n".join(wrong)


def test_a_role_not_allowed_gets_403_or_404_for_a_route_naming_a_record(web_app: FastAPI,
                                                                         callers: list[Caller]) -> None:
    extra = APIRouter()
    extra.add_api_route("/only-supervisors", lambda: "ok", dependencies=[allow(Role.supervisor)])
    extra.add_api_route("/only-supervisors/{item_id}", lambda item_id: item_id,
                        dependencies=[allow(Role.supervisor)])  # fmt: skip
    extra.add_api_route("/clients-and-agents", lambda: "ok", methods=["POST"],
                        dependencies=[allow(Role.client, Role.teleoperator)])  # fmt: skip
    web_app.include_router(extra)
    answers = {(c.name, e.path, e.method): c.call(e).status_code for e in endpoints(web_app) for c in callers
               if e.path.startswith(("/only-", "/clients-"))}  # fmt: skip
    assert answers == {
        ("anonymous", "/only-supervisors", "GET"): 303, ("anonymous", "/only-supervisors/{item_id}", "GET"): 303,
        ("anonymous", "/clients-and-agents", "POST"): 401,
        ("supervisor", "/only-supervisors", "GET"): 200, ("supervisor", "/only-supervisors/{item_id}", "GET"): 200,
        ("supervisor", "/clients-and-agents", "POST"): 403,
        ("teleoperator", "/only-supervisors", "GET"): 403, ("teleoperator", "/only-supervisors/{item_id}", "GET"): 404,
        ("teleoperator", "/clients-and-agents", "POST"): 200,
        ("client", "/only-supervisors", "GET"): 403, ("client", "/only-supervisors/{item_id}", "GET"): 404,
        ("client", "/clients-and-agents", "POST"): 200,
    }
    assert check_every_route(web_app, callers) == []


def _expected(endpoint: Endpoint, caller: str):  # type: ignore[no-untyped-def]
    to_login = endpoint.method == "GET"

    def let_in(r: httpx.Response) -> bool:
        return r.status_code not in (401, 403) and not r.headers.get("location", "").startswith("/login?")

    def sent_to_login(r: httpx.Response) -> bool:
        if to_login:
            return r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        return r.status_code == 401

    def refused(r: httpx.Response) -> bool:
        return r.status_code == (404 if endpoint.names_a_record else 403)

    def not_refused(r: httpx.Response) -> bool:  # a public route may still say 401 (a wrong password)
        return r.status_code != 403 and not r.headers.get("location", "").startswith("/login?")

    if endpoint.rule.public:
        return not_refused
    if caller == "anonymous":
        return sent_to_login
    return let_in if Role(caller) in endpoint.rule.roles else refused
