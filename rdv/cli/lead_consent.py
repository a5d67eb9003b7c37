"""`rdv leads consent FILE|ID …`: record (or `--revoke`) consent to be called after import, for a list of leads.

Kept apart from the import commands (see rdv/cli/__init__.py, which registers it in the `leads` group). The
leads become callable at once: those set aside for want of consent go back to the hopper in the same
transaction, without waiting for the next campaign start.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import typer

from campaigns import store as campaigns
from campaigns.services import set_aside_leads_without_consent
from config.i18n import _, ngettext
from leads.consent_store import record_consent, revoke_consent
from leads.consent_targets import UnmatchedTargets, match_leads, parse_targets
from leads.rows import parse_date
from rdv.cli.audit import id_ranges, note
from rdv.cli.common import console, err_console, fail, wired


def consent(
    targets: list[str] = typer.Argument(..., help="Lead ids, or CSV/XLSX files with a column of lead ids or phones."),
    campaign: str = typer.Option(..., "--campaign", help="Name of the campaign the leads belong to."),
    source: str = typer.Option("", "--source", help="Where and how the consent was collected (or revoked)."),
    date: str = typer.Option("", "--date", help="When the consent was given: 14/03/2026 [10:22] or 2026-03-14."),
    text_ref: str = typer.Option("", "--text-ref", help="Reference of the consent text or record that proves it."),
    revoke: bool = typer.Option(False, "--revoke", help="Withdraw the consent instead of recording it."),
    by: str = typer.Option("", "--by", help="Who records it (default: your login name)."),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
) -> None:
    """Record or revoke the consent to be called of leads already imported; all of them or none."""
    who = by.strip() or getpass.getuser()
    with wired() as application:
        now = application.clock.now()
        wanted = parse_targets(targets, region.upper())
        with application.sessions.begin() as session:
            found = campaigns.get_campaign(session, campaign)
            try:
                lead_ids = match_leads(session, found.id, wanted)
            except UnmatchedTargets as exc:
                err_console.print(str(exc), markup=False, soft_wrap=True)
                raise fail(ngettext("{n} row matches no lead: nothing was recorded",
                                    "{n} rows match no lead: nothing was recorded",
                                    len(exc.unmatched)).format(n=len(exc.unmatched))) from None
            centre = application.settings.centre_timezone
            if revoke:
                count = revoke_consent(session, lead_ids, source, who, now, found.client_id)
                note(session, "consent_revoked", f"campaign {found.name}", f"leads {id_ranges(lead_ids)}; "
                     f"channel: {source.strip()}", now)
                set_aside_leads_without_consent(session, found.id, now, centre)
                console.print(ngettext("Consent withdrawn for {n} lead: it will not be called where consent "
                                       "is required.", "Consent withdrawn for {n} leads: they will not be "
                                       "called where consent is required.", count).format(n=count))
                return
            given = _consent_date(date, source, text_ref, found.timezone, now)
            count = record_consent(session, lead_ids, given, source, text_ref, who, now, found.client_id,
                                   "rdv leads consent")
            note(session, "consent", f"campaign {found.name}", f"leads {id_ranges(lead_ids)}; source: "
                 f"{source.strip()}; proof: {text_ref.strip()}", now)
            _set_aside, back = set_aside_leads_without_consent(session, found.id, now, centre)
        console.print(ngettext("Consent recorded for {n} lead (source: {source}, proof: {proof}).",
                               "Consent recorded for {n} leads (source: {source}, proof: {proof}).", count)
                      .format(n=count, source=source.strip(), proof=text_ref.strip()), markup=False)
        console.print(_("Leads set aside for want of consent and now callable: {n}").format(n=back))


def _consent_date(raw: str, source: str, text_ref: str, zone: str, now: datetime) -> datetime:
    """The consent's moment, in UTC; a date without a time is midnight in the campaign's time zone."""
    if not raw.strip() or not source.strip() or not text_ref.strip():
        raise fail(_("to record a consent, give --date, --source and --text-ref (all three prove it)"))
    parsed = parse_date(raw)
    if parsed is None:
        raise fail(_("--date: unreadable date '{value}' (write 14/03/2026, 14/03/2026 10:22 or 2026-03-14)")
                   .format(value=raw))
    given = (parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))).astimezone(UTC)
    if given > now:
        raise fail(_("--date: {value} is in the future: a consent is recorded once given").format(value=raw))
    return given
