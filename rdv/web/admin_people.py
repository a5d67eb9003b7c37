"""The supervisor's back office for people: client firms, their accounts, teleoperators and supervisors.

Everything goes through the services the CLI uses (`campaigns.store.add_client`, `rdv.web.accounts`), plus
`rdv.people` for edits the CLI has no command for. A refusal re-renders the form with the French sentence at
the field it is about and nothing stored (the transaction is rolled back); each change leaves an audit entry.
A generated password is shown once, on the answer to the POST that made it, never stored in clear nor logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from campaigns import store
from campaigns.models import Client
from config.i18n import _, ngettext
from rdv import agent_desk, people
from rdv.web import accounts
from rdv.web.admin_people_view import (
    REFUSALS,
    actor_of,
    campaign_choices,
    client_rows,
    client_values,
    errors_of,
    parse_ids,
    person_rows,
    role_choices,
)
from rdv.web.auth import close_all_sessions, db
from rdv.web.models import User, campaigns_of
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter(prefix="/admin")
SUPERVISOR = [allow(Role.supervisor)]
DB = Annotated[Session, Depends(db)]
# A page that carries a first password must not stay in a cache or the browser's history.
NO_STORE = {"Cache-Control": "no-store"}


def _now(request: Request) -> Any:
    return request.app.state.rdv.clock.now()


def _client(session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise HTTPException(status_code=404)
    return client


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404)
    return user


# ------------------------------------------------------------------------------------------------------ clients


def _clients_page(request: Request, session: Session, status: int = 200, **extra: Any) -> Response:
    context = {"rows": client_rows(session), "values": {}, "errors": {}, "message": "", **extra}
    return render(request, "admin/people/clients.html", context, status_code=status)


@router.get("/clients", dependencies=SUPERVISOR)
def clients(request: Request, session: DB) -> Response:
    """Every client firm, with a form to add one."""
    return _clients_page(request, session)


def _fields(form: dict[str, str]) -> people.ClientFields:
    return people.ClientFields(form.get("name", ""), form.get("legal_name", ""), form.get("siren", ""),
                               form.get("address", ""), people.split_emails(form.get("emails", "")),
                               form.get("prospect_years", ""), form.get("records_years", ""))  # fmt: skip


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/clients", dependencies=SUPERVISOR)
async def add_client(request: Request, session: DB) -> Response:
    """Create a client as `rdv client add` does, with its legal fields and retention."""
    form = await _form(request)
    fields = _fields(form)
    try:
        client = people.create_client(session, fields, actor_of(request), _now(request))
    except REFUSALS as refused:
        session.rollback()
        return _clients_page(request, session, 422, values=form, errors=errors_of(refused))
    session.commit()
    return _clients_page(request, session, message=_("Client {name} created.").format(name=client.name))


def _client_page(request: Request, session: Session, client: Client, status: int = 200,
                 headers: dict[str, str] | None = None, **extra: Any) -> Response:
    context = {"client": client, "values": client_values(session, client), "errors": {}, "message": "",
               "new_values": {}, "new_errors": {}, "created": None,
               "users": person_rows(session, ("client",), client.id), **extra}  # fmt: skip
    return render(request, "admin/people/client.html", context, status_code=status, headers=headers)


@router.get("/clients/{client_id}", dependencies=SUPERVISOR)
def client_page(request: Request, client_id: int, session: DB) -> Response:
    """A client's fields and retention, and its accounts."""
    return _client_page(request, session, _client(session, client_id))


@router.post("/clients/{client_id}", dependencies=SUPERVISOR)
async def save_client(request: Request, client_id: int, session: DB) -> Response:
    client = _client(session, client_id)
    form = await _form(request)
    try:
        people.save_client(session, client, _fields(form), actor_of(request), _now(request))
    except REFUSALS as refused:
        session.rollback()
        client = _client(session, client_id)
        return _client_page(request, session, client, 422, values=form, errors=errors_of(refused))
    session.commit()
    return _client_page(request, session, client, message=_("Client saved."))


@router.post("/clients/{client_id}/users", dependencies=SUPERVISOR)
async def add_client_user(request: Request, client_id: int, session: DB) -> Response:
    """An account of this client, bound to it; its first password is shown once."""
    client = _client(session, client_id)
    form = await _form(request)
    try:
        made = _create(request, session, form.get("login", ""), "client", client.name, "", form.get("name", ""), [])
    except REFUSALS as refused:
        session.rollback()
        client = _client(session, client_id)
        return _client_page(request, session, client, 422, new_values=form, new_errors=errors_of(refused))
    session.commit()
    return _client_page(request, session, client, headers=NO_STORE, created=made)


def _create(request: Request, session: Session, login: str, role: str, client: str, phone: str, name: str,
            campaign_ids: list[int], phone_server: str = "") -> accounts.NewAccount:
    """`rdv user add`'s service, then the campaigns by id and the audit entry (without the password)."""
    servers = _servers(request)
    if phone_server and phone_server not in servers:
        raise people.UnknownServer(phone_server, servers)
    if not phone_server and len(servers) == 1 and role != "client":
        phone_server = servers[0]  # the only server: where every phone is
    made = accounts.add_user(session, login, role, _now(request), client=client, phone=phone, name=name,
                             phone_server=phone_server)  # fmt: skip
    if campaign_ids:
        people.set_campaigns(session, made.user, campaign_ids)
    detail = f"created {made.user.role} account" + (f", phone {made.user.phone}" if made.user.phone else "")
    detail += f" on server {made.user.phone_server}" if made.user.phone_server else ""
    detail += f", client {made.user.client_id}" if made.user.client_id else ""
    detail += f", campaigns {sorted(set(campaign_ids))}" if campaign_ids else ""
    actor_of(request).note(session, "change", f"user {made.user.id} ({made.user.login})", detail, _now(request))
    return made


# ------------------------------------------------------------------------------------------------------- people


def _people_page(request: Request, session: Session, status: int = 200, headers: dict[str, str] | None = None,
                 **extra: Any) -> Response:
    context = {"rows": person_rows(session, ("supervisor", "teleoperator")), "campaigns": campaign_choices(session),
               "clients": store.list_clients(session), "roles": role_choices(), "values": {}, "chosen": [],
               "errors": {}, "created": None, "servers": _servers(request), **extra}  # fmt: skip
    return render(request, "admin/people/people.html", context, status_code=status, headers=headers)


@router.get("/people", dependencies=SUPERVISOR)
def people_list(request: Request, session: DB) -> Response:
    """Supervisors and teleoperators, with a form to add an account of any role."""
    return _people_page(request, session)


@router.post("/people", dependencies=SUPERVISOR)
def add_person(request: Request, session: DB, login: Annotated[str, Form()] = "",
               role: Annotated[str, Form()] = "teleoperator", name: Annotated[str, Form()] = "",
               phone: Annotated[str, Form()] = "", client: Annotated[str, Form()] = "",
               campaigns: Annotated[list[str] | None, Form()] = None,
               phone_server: Annotated[str, Form()] = "") -> Response:
    values = {"login": login, "role": role, "name": name, "phone": phone, "client": client,
              "phone_server": phone_server}
    chosen = campaigns or []
    try:
        made = _create(request, session, login, role, client, phone, name, parse_ids(chosen), phone_server)
    except REFUSALS as refused:
        session.rollback()
        return _people_page(request, session, 422, values=values, chosen=chosen, errors=errors_of(refused))
    session.commit()
    return _people_page(request, session, headers=NO_STORE, created=made)


def _person_page(request: Request, session: Session, user: User, status: int = 200,
                 headers: dict[str, str] | None = None, **extra: Any) -> Response:
    servers = _servers(request)
    shown_server = user.phone_server or (servers[0] if len(servers) == 1 else "")  # default: the only one
    context = {"person": user, "campaigns": campaign_choices(session), "chosen": [str(i) for i in
               campaigns_of(session, user.id)], "servers": servers,
               "values": {"name": user.display_name, "phone": user.phone, "phone_server": shown_server},
               "client": session.get(Client, user.client_id) if user.client_id else None, "errors": {},
               "message": "", "password": "", **extra}  # fmt: skip
    return render(request, "admin/people/person.html", context, status_code=status, headers=headers)


@router.get("/people/{user_id}", dependencies=SUPERVISOR)
def person_page(request: Request, user_id: int, session: DB) -> Response:
    """One account: its name, phone and campaigns, and what can be done to it."""
    return _person_page(request, session, _user(session, user_id))


def _servers(request: Request) -> list[str]:
    """The Asterisk servers of the settings ([asterisk.servers.NAME]), by name; none: one unnamed server."""
    return [server.name for server in request.app.state.rdv.settings.servers]


@router.post("/people/{user_id}", dependencies=SUPERVISOR)
def save_person(request: Request, user_id: int, session: DB, name: Annotated[str, Form()] = "",
                phone: Annotated[str, Form()] = "", campaigns: Annotated[list[str] | None, Form()] = None,
                phone_server: Annotated[str | None, Form()] = None) -> Response:  # fmt: skip
    user = _user(session, user_id)
    chosen = campaigns or []
    try:
        people.save_person(session, user, name, phone, parse_ids(chosen), actor_of(request), _now(request),
                           phone_server, _servers(request))  # fmt: skip
    except REFUSALS as refused:
        session.rollback()
        user = _user(session, user_id)
        values = {"name": name, "phone": phone, "phone_server": phone_server or ""}
        return _person_page(request, session, user, 422, values=values, chosen=chosen,
                            errors=errors_of(refused))  # fmt: skip
    session.commit()
    return _person_page(request, session, user, message=_("Account saved."))


@router.post("/people/{user_id}/active", dependencies=SUPERVISOR)
def set_active(request: Request, user_id: int, session: DB, active: Annotated[str, Form()] = "") -> Response:
    """Disable (every session ends at once) or enable an account; the last active supervisor stays."""
    user = _user(session, user_id)
    wanted = active == "1"
    try:
        accounts.set_active(session, user.login, wanted)
        if not wanted:
            agent_desk.sign_off(session, request.app.state.notifier, user.login, by=actor_of(request).login,
                                now=_now(request))  # fmt: skip
    except REFUSALS as refused:
        session.rollback()
        return _person_page(request, session, _user(session, user_id), 409, errors=errors_of(refused))
    actor_of(request).note(session, "change", f"user {user.id} ({user.login})",
                           "enabled" if wanted else "disabled; sessions ended", _now(request))  # fmt: skip
    session.commit()
    message = _("Account enabled.") if wanted else _("Account disabled: its open sessions have ended.")
    return _person_page(request, session, user, message=message)


@router.post("/people/{user_id}/password", dependencies=SUPERVISOR)
def reset_password(request: Request, user_id: int, session: DB) -> Response:
    """A new generated password, shown once; the account's open sessions end."""
    user = _user(session, user_id)
    password = accounts.reset_password(session, user.login, _now(request))
    actor_of(request).note(session, "change", f"user {user.id} ({user.login})", "password reset; sessions ended",
                           _now(request))  # fmt: skip
    session.commit()
    return _person_page(request, session, user, headers=NO_STORE, password=password)


@router.post("/people/{user_id}/logout", dependencies=SUPERVISOR)
def logout_everywhere(request: Request, user_id: int, session: DB) -> Response:
    """End every open session of the account (a lost or shared computer)."""
    user = _user(session, user_id)
    count = close_all_sessions(session, user.id)
    actor_of(request).note(session, "change", f"user {user.id} ({user.login})",
                           f"logged out everywhere ({count} sessions)", _now(request))  # fmt: skip
    session.commit()
    message = ngettext("{count} session ended.", "{count} sessions ended.", count).format(count=count)
    return _person_page(request, session, user, message=message)
