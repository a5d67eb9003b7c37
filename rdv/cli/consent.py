"""`rdv consent import|show|revoke`: the consent records of a campaign's leads (L. 223-1 since 11 August 2026).

`import` records a file of consents (all rows or none), `show` lists a lead's records and says whether it may
be called and why, `revoke` withdraws consent with its date and channel. Each is written to the audit log.
`rdv leads consent` (kept for its users) records one consent for a list of leads from the command line.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from campaigns import store as campaigns
from campaigns.errors import LeadNotFound
from campaigns.models import Campaign
from campaigns.profiles import Profile, consent_required
from campaigns.services import set_aside_leads_without_consent
from config.i18n import _, fmt_date, ngettext
from leads.consent import ConsentState, best_state, consent_state, hours_rule_lifted
from leads.consent_file import read_consent_file
from leads.consent_models import ConsentGrant
from leads.consent_store import Grant, record_grants, records_of, revoke_consent
from leads.consent_targets import UnmatchedTargets, Wanted, match_each, match_leads, parse_targets
from leads.models import Lead
from leads.rows import parse_date
from rdv.cli.audit import id_ranges, note
from rdv.cli.common import console, err_console, fail, wired

app = typer.Typer(no_args_is_help=True, help="Consent records: import, show, revoke.")

def kind_label(code: str) -> str:
    labels = {"form": _("form"), "partner": _("partner"), "contract": _("contract in progress")}
    return labels.get(code, code)


def _day(moment: datetime | None, zone: str) -> str:
    return fmt_date(moment.astimezone(ZoneInfo(zone)).date()) if moment else "—"


def explain(grants: list[ConsentGrant], profile: Profile, now: datetime, zone: str) -> str:
    """Whether consent allows calling the lead now, and why, in one sentence."""
    if not consent_required(profile, now):
        return _("{profile} requires no consent: consent does not stop the call").format(profile=profile.name)
    records = [g.rule_record() for g in grants]
    state, best = best_state(records, now, profile.contract_exemption)
    grant = grants[records.index(best)] if best is not None else None
    if state is ConsentState.PROVEN and grant is not None:
        text = _("may be called: consent given on {date} ({source}, proof {proof})").format(
            date=_day(grant.given_at, zone), source=grant.source, proof=grant.proof_ref)
        if grant.expires_at:
            text += _(", until {date}").format(date=_day(grant.expires_at, zone))
        if hours_rule_lifted(records, now):
            text += _("; outside the legal days and hours too")
        return text
    if state is ConsentState.CONTRACT:
        return _("may be called: a contract in progress, which {profile} accepts").format(profile=profile.name)
    if state is ConsentState.REVOKED and grant is not None:
        return _("may not be called: consent revoked on {date} ({channel})").format(
            date=_day(grant.revoked_at, zone), channel=grant.revoke_channel or "—")
    if state is ConsentState.EXPIRED and grant is not None:
        return _("may not be called: consent expired on {date}").format(date=_day(grant.expires_at, zone))
    if state is ConsentState.INCOMPLETE:
        return _("may not be called: the consent recorded lacks a date, a source or a proof")
    return _("may not be called: no consent recorded for this client")


def _state_label(state: ConsentState) -> str:
    labels = {ConsentState.PROVEN: _("proven"), ConsentState.CONTRACT: _("contract in progress"),
              ConsentState.INCOMPLETE: _("incomplete"), ConsentState.NONE: _("none"),
              ConsentState.REVOKED: _("revoked"), ConsentState.EXPIRED: _("expired")}
    return labels[state]


@app.command("show")
def show(lead_id: int = typer.Argument(..., help="Lead number.")) -> None:
    """List a lead's consent records and say whether it may be called, and why."""
    with wired() as application, application.sessions.begin() as session:
        now = application.clock.now()
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        campaign = session.get_one(Campaign, lead.campaign_id)
        rules = campaigns.load_rules(session, campaign.id, application.settings.centre_timezone)
        zone = lead.timezone or campaign.timezone
        grants = records_of(session, lead.id, campaign.client_id)
        table = Table(_("Kind"), _("Given on"), _("Source"), _("Text shown"), _("Proof"), _("Products"),
                      _("Expires"), _("Outside hours"), _("Revoked"), _("State"))
        for g in grants:
            state = consent_state(g.rule_record(), now, rules.profile.contract_exemption)
            revoked = f"{_day(g.revoked_at, zone)} ({g.revoke_channel})" if g.revoked_at else "—"
            table.add_row(kind_label(g.kind), _day(g.given_at, zone), g.source or "—", g.text_ref or "—",
                          g.proof_ref or "—", g.products or _("all"), _day(g.expires_at, zone),
                          _("yes") if g.hours_exempt else _("no"), revoked, _state_label(state))
        console.print(_("Lead {id} · campaign {campaign}").format(id=lead.id, campaign=campaign.name))
        console.print(table)
        console.print(explain(grants, rules.profile, now, zone), markup=False)
        note(session, "view", f"lead {lead.id}", "consent records", now)


def _unmatched(exc: UnmatchedTargets) -> typer.Exit:
    err_console.print(str(exc), markup=False, soft_wrap=True)
    return fail(ngettext("{n} row is wrong: nothing was recorded", "{n} rows are wrong: nothing was recorded",
                         len(exc.unmatched)).format(n=len(exc.unmatched)))


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="CSV or XLSX file: one consent per row, the lead by id or phone."),
    campaign: str = typer.Option(..., "--campaign", help="Name of the campaign the leads belong to."),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
    by: str = typer.Option("", "--by", help="Who records it (default: your login name)."),
) -> None:
    """Record a file of consents (date, source, proof, text, kind, products, expiry, outside hours); all or none."""
    who = by.strip() or getpass.getuser()
    with wired() as application:
        now = application.clock.now()
        with application.sessions.begin() as session:
            found = campaigns.get_campaign(session, campaign)
            lines = read_consent_file(file, region.upper(), found.timezone, now)
            wanted = [Wanted(ln.wanted.where, ln.wanted.lead_id, ln.wanted.e164, ln.wanted.shown,
                             "; ".join([p for p in [ln.wanted.problem, *ln.problems] if p])) for ln in lines]
            try:
                matched = match_each(session, found.id, wanted)
            except UnmatchedTargets as exc:
                raise _unmatched(exc) from None
            grants: dict[int, Grant] = {}
            for line, ids in zip(lines, matched, strict=True):
                assert line.grant is not None
                grants.update((i, Grant(**{**line.grant.__dict__, "origin": file.name[:200]})) for i in ids)
            count = record_grants(session, grants, who, now, found.client_id)
            note(session, "consent", f"campaign {found.name}", f"leads {id_ranges(grants)} ← {file.name}", now)
            _aside, back = set_aside_leads_without_consent(session, found.id, now,
                                                           application.settings.centre_timezone)
        console.print(ngettext("Consent recorded for {n} lead from {file}.",
                               "Consent recorded for {n} leads from {file}.", count).format(n=count, file=file.name))
        console.print(_("Leads set aside for want of consent and now callable: {n}").format(n=back))


@app.command("revoke")
def revoke(
    targets: list[str] = typer.Argument(..., help="Lead ids, or CSV/XLSX files with a column of lead ids or phones."),
    campaign: str = typer.Option(..., "--campaign", help="Name of the campaign the leads belong to."),
    channel: str = typer.Option(..., "--channel", help="How the consumer withdrew consent (phone, e-mail, letter…)."),
    date: str = typer.Option("", "--date", help="When it was withdrawn (default: now): 14/03/2026 [10:22]."),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
) -> None:
    """Withdraw leads' consent, with its date and channel; they are not called again where consent is required."""
    with wired() as application:
        now = application.clock.now()
        with application.sessions.begin() as session:
            found = campaigns.get_campaign(session, campaign)
            when = _revoked_at(date, found.timezone, now)
            try:
                lead_ids = match_leads(session, found.id, parse_targets(targets, region.upper()))
            except UnmatchedTargets as exc:
                raise _unmatched(exc) from None
            count = revoke_consent(session, lead_ids, channel, getpass.getuser(), now, found.client_id, when)
            note(session, "consent_revoked", f"campaign {found.name}", f"leads {id_ranges(lead_ids)}; "
                 f"channel: {channel.strip()}", now)
            set_aside_leads_without_consent(session, found.id, now, application.settings.centre_timezone)
        console.print(ngettext("Consent withdrawn for {n} lead: it will not be called where consent is required.",
                               "Consent withdrawn for {n} leads: they will not be called where consent is "
                               "required.", count).format(n=count))


def _revoked_at(raw: str, zone: str, now: datetime) -> datetime:
    if not raw.strip():
        return now
    parsed = parse_date(raw)
    if parsed is None:
        raise fail(_("--date: unreadable date '{value}' (write 14/03/2026, 14/03/2026 10:22 or 2026-03-14)")
                   .format(value=raw))
    when = (parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))).astimezone(UTC)
    if when > now:
        raise fail(_("--date: {value} is in the future: a revocation is recorded once made").format(value=raw))
    return when


def consent_line(session: Session, lead: Lead, campaign: Campaign, profile: Profile, now: datetime) -> str:
    """What `rdv leads show` says of consent."""
    grants = records_of(session, lead.id, campaign.client_id)
    return _("Consent: {explanation}.").format(explanation=explain(grants, profile, now,
                                                                    lead.timezone or campaign.timezone))
