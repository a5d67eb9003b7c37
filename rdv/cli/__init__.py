"""The `rdv` command: one Typer app; each command group lives in its own module."""

from __future__ import annotations

from rdv.cli import (
    appointments,
    asterisk,
    audit,
    billing,
    campaign_script,
    campaigns,
    client_privacy,
    clients,
    consent,
    database,
    demo,
    dnc,
    export,
    export_calls,
    invoice,
    lead_consent,
    lead_details,
    leads,
    mail,
    pbxsim,
    report,
    report_monthly,  # noqa: F401  (adds `rdv report monthly` and `final` to the report group)
    run,
    users,
    web,
)
from rdv.cli.common import app, run_app

clients.app.command("retention")(client_privacy.retention)
clients.app.command("export")(client_privacy.export)
clients.app.command("erase")(client_privacy.erase)
app.add_typer(clients.app, name="client")
app.add_typer(campaigns.app, name="campaign")
app.add_typer(database.app, name="db")
leads.app.command("show")(lead_details.show)
leads.app.command("consent")(lead_consent.consent)
app.add_typer(leads.app, name="leads")
app.command("pbx-sim")(pbxsim.pbx_sim)
campaigns.app.command("script")(campaign_script.script)
app.add_typer(mail.app, name="mail")
app.add_typer(appointments.app, name="appointments")
export.app.command("calls")(export_calls.calls)
app.add_typer(export.app, name="export")
app.command("demo")(demo.demo)
app.command("run")(run.run)
app.add_typer(asterisk.app, name="asterisk")
app.add_typer(billing.app, name="billing")
app.add_typer(invoice.app, name="invoice")
app.add_typer(users.app, name="user")
app.command("web")(web.web)
app.add_typer(report.report_app, name="report")
app.add_typer(audit.app, name="audit")
app.add_typer(consent.app, name="consent")
app.add_typer(dnc.app, name="dnc")
app.command("retention")(client_privacy.run_retention)


def main() -> None:
    """Console-script entry point."""
    run_app()
