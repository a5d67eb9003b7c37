"""`rdv dnc add|import|remove|check`: the opposition lists, per client or centre-wide (`--client` left out).

Numbers given here are kept as keyed hashes (`leads.dnc`): only whether a number is listed matters. Leads
already stored with a listed number stop being called at once (status `dnc`), and the import refuses them
afterwards. The numbers themselves never reach the audit log, only how many.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns import store as campaigns
from campaigns.models import Campaign
from config.i18n import _, fmt_number, ngettext
from leads import dnc
from leads.columns import ALIASES, header_key
from leads.phone import InvalidPhoneNumber, mask, normalise
from leads.reader import open_source
from leads.store import do_not_call_numbers
from rdv.bootstrap import App
from rdv.cli.audit import note
from rdv.cli.common import console, err_console, fail, wired

app = typer.Typer(no_args_is_help=True, help="Opposition lists: numbers never to call, per client or for all.")

CLIENT_HELP = "The client whose list it is (left out: the centre's list, for every client)."
PHONE_HEADERS = {header_key(a) for a in ALIASES["phone"]} | {"numero", "telephone", "number"}


def _client_id(session: Session, client: str) -> int | None:
    return campaigns.get_client(session, client).id if client.strip() else None


def _scope(client: str) -> str:
    return f"client {client.strip()}" if client.strip() else "centre"


def _numbers(values: list[str], region: str) -> list[str]:
    found = []
    for raw in values:
        try:
            found.append(normalise(raw, region).e164)
        except InvalidPhoneNumber as exc:
            raise fail(str(exc)) from None
    return found


def _block(session: Session, application: App, client_id: int | None) -> int:
    """Stop calling at once the stored leads with a listed number (of the client, or of every client)."""
    query = select(Campaign.id, Campaign.client_id)
    rows = session.execute(query if client_id is None else query.where(Campaign.client_id == client_id)).all()
    if not rows:
        return 0
    owners = {cid: client for cid, client in rows}
    listed = {client: dnc.blocked_digests(session, client) for client in set(owners.values())}
    return dnc.block_listed_leads(session, list(owners), listed, application.secret(dnc.KEY_NAME), owners)


def _added(application: App, numbers: list[str], client: str, reason: str, origin: str) -> None:
    with application.sessions.begin() as session:
        now = application.clock.now()
        client_id = _client_id(session, client)
        added = dnc.add_opt_outs(session, numbers, client_id, reason, application.secret(dnc.KEY_NAME), now)
        blocked = _block(session, application, client_id)
        note(session, "dnc_add", _scope(client), f"{added} numbers{origin}; {blocked} leads stopped", now)
    console.print(ngettext("{n} number added to the list", "{n} numbers added to the list", added)
                  .format(n=fmt_number(added)) + _(" ({known} already on it).").format(
                      known=fmt_number(len(set(numbers)) - added)))
    console.print(ngettext("{n} lead will not be called any more.", "{n} leads will not be called any more.",
                           blocked).format(n=fmt_number(blocked)))


@app.command("add")
def add(
    numbers: list[str] = typer.Argument(..., help="Phone numbers."),
    client: str = typer.Option("", "--client", help=CLIENT_HELP),
    reason: str = typer.Option("", "--reason", help="Why (a request by letter, an objection …)."),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
) -> None:
    """Put numbers on the opposition list."""
    with wired() as application:
        _added(application, _numbers(numbers, region.upper()), client, reason, "")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="CSV or XLSX file of phone numbers (one column, with or without header)."),
    client: str = typer.Option("", "--client", help=CLIENT_HELP),
    reason: str = typer.Option("", "--reason", help="Where the list comes from."),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
) -> None:
    """Import an external opposition list: every readable number is listed, unreadable ones are named."""
    with wired() as application:
        source = open_source(file)
        keys = [header_key(h) for h in source.headers]
        column = next((i for i, key in enumerate(keys) if key in PHONE_HEADERS), 0)
        rows = list(source.rows())
        if column == 0 and keys and keys[0] not in PHONE_HEADERS:
            rows.insert(0, (source.header_row, source.headers))  # no header: the first row is a number too
        numbers, unreadable = [], []
        for row, cells in rows:
            try:
                numbers.append(normalise(cells[column] if column < len(cells) else "", region.upper()).e164)
            except InvalidPhoneNumber:
                unreadable.append(row)
        if unreadable:
            shown = ", ".join(str(r) for r in unreadable[:20]) + (" …" if len(unreadable) > 20 else "")
            err_console.print(ngettext("{n} unreadable number left out (row {rows}).",
                                       "{n} unreadable numbers left out (rows {rows}).", len(unreadable))
                              .format(n=fmt_number(len(unreadable)), rows=shown), markup=False)
        _added(application, numbers, client, reason or file.name, f" ← {file.name}")


@app.command("remove")
def remove(
    numbers: list[str] = typer.Argument(..., help="Phone numbers."),
    client: str = typer.Option("", "--client", help=CLIENT_HELP),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
) -> None:
    """Take numbers off the opposition list (the leads already stopped stay so)."""
    with wired() as application, application.sessions.begin() as session:
        found = _numbers(numbers, region.upper())
        removed = dnc.remove_opt_outs(session, found, _client_id(session, client), application.secret(dnc.KEY_NAME))
        note(session, "dnc_remove", _scope(client), f"{removed} numbers", application.clock.now())
        console.print(ngettext("{n} number taken off the list.", "{n} numbers taken off the list.", removed)
                      .format(n=fmt_number(removed)))


@app.command("check")
def check(
    number: str = typer.Argument(..., help="Phone number."),
    client: str = typer.Option(..., "--client", help="The client to check for (its list and the centre's)."),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
) -> None:
    """Say whether a number may be called for a client, as far as the opposition lists go."""
    with wired() as application, application.sessions() as session:
        (e164,) = _numbers([number], region.upper())
        client_id = campaigns.get_client(session, client).id
        listed = e164 in do_not_call_numbers(session, client_id) or dnc.is_opted_out(
            session, e164, client_id, application.secret(dnc.KEY_NAME))
        shown = mask(e164)
    if listed:
        console.print(_("{number} is on an opposition list for {client}: never call it.").format(
            number=shown, client=client))
    else:
        console.print(_("{number} is on no opposition list for {client}.").format(number=shown, client=client))
