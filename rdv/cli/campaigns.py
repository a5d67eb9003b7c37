"""`rdv campaign …`: create and list campaigns."""

from __future__ import annotations

import typer
from rich.table import Table

from campaigns import store
from config.i18n import _
from rdv.cli.common import console, wired

app = typer.Typer(no_args_is_help=True, help="Campaigns: one appointment-setting operation for a client.")


@app.command("create")
def create(
    name: str,
    client: str = typer.Option(..., "--client", help="Name of an existing client."),
    profile: str = typer.Option("fr-consumer", "--profile", help="Regulatory calling profile."),
    timezone: str = typer.Option("Europe/Paris", "--timezone", help="Fallback time zone of the callees."),
) -> None:
    """Create a draft campaign."""
    with wired() as application, application.sessions.begin() as session:
        campaign = store.create_campaign(session, name, client, profile, timezone)
        console.print(
            _("Campaign {name} created for {client} (profile {profile}).").format(
                name=campaign.name, client=campaign.client.name, profile=campaign.profile
            )
        )


@app.command("list")
def list_() -> None:
    """List campaigns with their client, profile and status."""
    with wired() as application, application.sessions() as session:
        table = Table(_("Campaign"), _("Client"), _("Profile"), _("Status"))
        for campaign in store.list_campaigns(session):
            table.add_row(campaign.name, campaign.client.name, campaign.profile, _(campaign.status))
        console.print(table)
