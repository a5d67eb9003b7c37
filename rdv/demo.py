"""The sample that `rdv demo` sets up: a French carpentry client, its campaign and its lead file.

Kept apart from the command so that a fuller demo (a simulated campaign) can start from it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from pathlib import Path

from campaigns import store as campaigns
from campaigns.errors import CampaignNotFound, ClientNotFound
from campaigns.models import Campaign, Client
from campaigns.script_store import current_script, load_script_file
from campaigns.services import start_campaign
from config.settings import Settings, load_settings
from leads import store as leads
from leads.importer import ImportOptions, ImportTarget, Progress, import_leads
from leads.report import QualityReport
from rdv.bootstrap import App

CLIENT = "Charpentes Martin"
CLIENT_LEGAL_NAME = "Charpentes Martin SARL"
CLIENT_EMAIL = "rdv@charpentes-martin.example"
CAMPAIGN = "Prise de RDV Charpente"
SAMPLE = "leads-charpente.csv"
SAMPLE_SEED = 2026
SAMPLE_COUNT = 2000  # rows of the bundled file
SCRIPT = "charpente.toml"  # in campaigns/samples: script, RDV sheet questions and the client's criteria


@dataclass(frozen=True)
class Sample:
    """What the sample setup left in the database, and whether it was there already."""

    client: Client
    campaign: Campaign
    report: QualityReport
    import_id: int
    lead_file: Path
    created: bool
    imported: bool


def sample_file(out_dir: Path, seed: int = SAMPLE_SEED, count: int = SAMPLE_COUNT) -> Path:
    """The lead file beside which rejects will be written: the bundled one copied, or one made for the seed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    as_shipped = seed == SAMPLE_SEED and count == SAMPLE_COUNT
    target = out_dir / (SAMPLE if as_shipped else f"leads-charpente-{seed}-{count}.csv")
    if as_shipped:
        with resources.as_file(resources.files("rdv.demo_data").joinpath(SAMPLE)) as bundled:
            shutil.copyfile(bundled, target)
    else:
        from rdv.demo_data.generator import demo_file  # the generator of the bundled file, for other seeds

        demo_file(target, seed, count)
    return target


def setup_sample(app: App, out_dir: Path, seed: int = SAMPLE_SEED, progress: Progress | None = None,
                 count: int = SAMPLE_COUNT) -> Sample:
    """Client, fr-consumer campaign and imported sample leads; an earlier run's are reused, not doubled."""
    lead_file = sample_file(out_dir, seed, count)
    with app.sessions.begin() as session:
        created = False
        try:
            client = campaigns.get_client(session, CLIENT)
        except ClientNotFound:
            client = campaigns.add_client(session, CLIENT, [CLIENT_EMAIL], CLIENT_LEGAL_NAME)
            created = True
        try:
            campaign = campaigns.get_campaign(session, CAMPAIGN)
        except CampaignNotFound:
            campaign = campaigns.create_campaign(session, CAMPAIGN, CLIENT, "fr-consumer", "Europe/Paris")
            created = True
        target = ImportTarget(campaign.id, client.id, campaign.timezone)
    with app.sessions() as session:
        earlier = leads.imports_of_file(session, campaign.id, _sha256(lead_file))
        if earlier:
            stored = leads.get_import(session, campaign.id, earlier[-1])
            report = QualityReport.from_json(stored.report)
            return Sample(client, campaign, report, stored.id, lead_file, created, imported=False)
    result = import_leads(app.sessions, target, lead_file, ImportOptions(), app.clock.now(), progress)
    return Sample(client, campaign, result.report, result.import_id, lead_file, created, imported=True)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# What a demo run leaves in its folder, removed by the next run so that it starts clean.
DEMO_OUTPUTS = ("rdv.sqlite3", "rdv.sqlite3-wal", "rdv.sqlite3-shm", "calls.csv", "calls.xlsx")


def clean_outputs(out_dir: Path) -> bool:
    """Remove an earlier demo's database, e-mails and exports from `out_dir`; True if there were any."""
    found = False
    for name in DEMO_OUTPUTS:
        path = out_dir / name
        if path.exists():
            path.unlink()
            found = True
    for folder in ("outbox", "reports"):  # the e-mails, the weekly dashboards and results files
        if (out_dir / folder).is_dir():
            shutil.rmtree(out_dir / folder)
            found = True
    return found


def demo_settings(out_dir: Path) -> Settings:
    """The user's settings, but on the embedded defaults inside `out_dir`: SQLite, simulator, `.eml` folder."""
    return replace(load_settings(), data_dir=out_dir.resolve(), database_url="", ami_host="", smtp_host="")


def start_sample_campaign(app: App, campaign_id: int, now: datetime) -> None:
    """Load the sample script (RDV sheet questions and criteria) unless one is there, and start the campaign."""
    with app.sessions.begin() as session:
        if current_script(session, campaign_id) is None:
            with resources.as_file(resources.files("campaigns").joinpath("samples", SCRIPT)) as path:
                load_script_file(session, campaign_id, path, "demo", now)
        start_campaign(session, CAMPAIGN, now)
