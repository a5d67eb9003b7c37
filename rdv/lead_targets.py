"""The campaign a lead file goes into, as the importer needs it: one definition for the CLI and the web."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from campaigns.models import Campaign
from campaigns.profiles import consent_required
from campaigns.store import load_rules
from leads.dnc import KEY_NAME
from leads.importer import ImportTarget
from rdv.bootstrap import App


def import_target(application: App, session: Session, campaign: Campaign, now: datetime) -> ImportTarget:
    """The campaign as the importer needs it, as `rdv leads import` builds it."""
    profile = load_rules(session, campaign.id, application.settings.centre_timezone).profile
    # A running campaign's leads without consent are set aside now; a draft's when it starts.
    gated = campaign.status == "running" and consent_required(profile, now)
    return ImportTarget(campaign.id, campaign.client_id, campaign.timezone, consent_required=gated,
                        contract_exempts=profile.contract_exemption, dnc_key=application.secret(KEY_NAME))
