"""Who may call each route. Every route declares exactly one rule: `allow(Role.X, ...)` or `public()`.

The rule, as the route-by-role test checks it (tests/web/test_routes_by_role.py):
- anonymous on an `allow()` route: a page (GET asking for HTML) is redirected to the login page, anything
  else answers 401;
- a logged-in role that is not allowed answers 404 when the route's path names a record (it has a path
  parameter such as `/calls/{attempt_id}`), so that a client or a teleoperator cannot probe which ids exist,
  and 403 otherwise;
- `public()` routes (login, static files, health) answer everyone.
Rules about *which* records a role may see (a teleoperator's own campaigns, a client's own data) stay in the
route, through the query helpers of rdv/web/models.py; a record out of reach answers 404 like a missing one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import Depends, HTTPException, Request

from rdv.web.auth import NotAuthenticated, session_user
from rdv.web.models import User


class Role(StrEnum):
    """The three kinds of people who log in."""

    supervisor = "supervisor"
    teleoperator = "teleoperator"
    client = "client"


class RouteRule:
    """The dependency behind `allow()` / `public()`; the route-by-role test reads `roles` and `public`."""

    def __init__(self, roles: frozenset[Role], public: bool = False) -> None:
        self.roles = roles
        self.public = public

    def __call__(self, request: Request) -> User | None:
        if self.public:
            return None
        user = session_user(request)
        if user is None:
            raise NotAuthenticated()
        if user.role not in self.roles:
            raise HTTPException(status_code=404 if request.path_params else 403)
        return user

    def __repr__(self) -> str:
        return "public()" if self.public else f"allow({', '.join(sorted(self.roles))})"


def allow(*roles: Role) -> Any:
    """The rule of a route only these roles may call: `dependencies=[allow(Role.supervisor)]`."""
    if not roles:
        raise ValueError("allow() needs at least one role; use public() for a route anyone may call")
    return Depends(RouteRule(frozenset(roles)))


def public() -> Any:
    """The rule of a route anyone may call, logged in or not (login page, static files)."""
    return Depends(RouteRule(frozenset(Role), public=True))


def app_routes(web: Any) -> list[Any]:
    """Every route the app serves, included routers flattened, each with the dependencies it runs with."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before 0.160 keeps included routes flat in app.routes
        return list(web.routes)
    return list(iter_route_contexts(web.routes))


def rules_of(route: Any) -> list[RouteRule]:
    """The rules a route declares (the test wants exactly one)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return []
    return [d.call for d in dependant.dependencies if isinstance(d.call, RouteRule)]
