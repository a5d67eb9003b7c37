"""`rdv leads show LEAD_ID`: a lead's attempts, and when and why it will next be tried.

Kept apart from the leads import commands so that each group's owner edits only its own module; the
`leads` group registers this command (see rdv/cli/__init__.py).
"""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape
from rich.table import Table

from campaigns.explain import next_attempt_reason, when_text
from campaigns.services import lead_details
from campaigns.store import load_rules
from config.i18n import _
from leads.phone import mask
from rdv.cli.audit import noted
from rdv.cli.common import console, wired
from rdv.cli.consent import consent_line

app = typer.Typer(no_args_is_help=True, help="Leads: prospects of a campaign.")


@app.command("show")
def show(
    lead_id: int = typer.Argument(..., help="Lead number (shown by imports, exports and the call log)."),
    at: str | None = typer.Option(None, "--at", help="Pretend the command runs at this moment (ISO 8601)."),
) -> None:
    """Show a lead's attempts and when and why it will next be tried."""
    with wired() as application, application.sessions() as session:
        now = datetime.fromisoformat(at) if at else application.clock.now()
        details = lead_details(session, lead_id, now, application.settings.centre_timezone)
        lead, zone = details.lead, details.lead.timezone or details.campaign.timezone
        noted(application, "view", f"lead {lead.id}", f"campaign {details.campaign.name}")
        console.print(_("Lead {id} · campaign {campaign} · {phone} · {zone} · status {status}").format(
            id=lead.id, campaign=details.campaign.name, phone=mask(lead.phone_e164), zone=zone,
            status=_(lead.status)))
        table = Table("#", _("When"), _("Outcome"), _("Disposition"), _("Agent"))
        for attempt in details.attempts:
            table.add_row(str(attempt.attempt_no), when_text(attempt.created_at, zone), attempt.outcome or "…",
                          attempt.disposition, escape(attempt.agent))
        console.print(table)
        for callback in details.callbacks:
            console.print(_("Callback {when} for {agent}: {status}").format(
                when=when_text(callback.due_at, zone), agent=callback.agent or _("anyone"), status=_(callback.status)))
        rules = load_rules(session, details.campaign.id, application.settings.centre_timezone)
        console.print(consent_line(session, lead, details.campaign, rules.profile, now), markup=False)
        reason = next_attempt_reason(details.reason, details.campaign.profile)
        if details.next_at is None:
            console.print(_("Not tried again: {reason}.").format(reason=reason))
        else:
            if details.closed_now is not None:
                console.print(_("Not callable at this moment: {reason}.").format(reason=details.closed_now),
                              markup=False)
            console.print(_("Next attempt: {when}, because of {reason}.").format(
                when=when_text(details.next_at, zone), reason=reason))
