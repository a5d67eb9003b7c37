"""`rdv demo --web`: the sample campaign at real speed, simulated agents plus seats for people, until Ctrl-C.

The same service as `rdv run --simulate --web` on the demo's own folder: the sample client, campaign, lead
file and script, a few simulated agents, and accounts for two teleoperators, a supervisor and the client,
whose first passwords are printed once. Time runs at real speed; when the campaign is closed at the moment
of launch (evening, weekend, lunch break), the demo's clock starts at its next opening instead, so that a
newcomer takes calls at once (the screens show the demo's time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from campaigns.calendar import RING, is_callable, next_open
from campaigns.models import Campaign
from campaigns.settings import set_value
from config.clock import ScaledClock
from config.i18n import _, fmt_date, fmt_time
from rdv.bootstrap import App
from rdv.demo import CAMPAIGN, CLIENT, setup_sample, start_sample_campaign
from rdv.jobs import campaign_day

# Wrap-up for people: time to finish the RDV sheet after the callee hung up, before "unqualified".
WRAP_UP_SECONDS = "120"


@dataclass(frozen=True)
class Person:
    login: str
    role: str
    phone: str
    name: str


PEOPLE = (
    Person("tele1", "teleoperator", "PJSIP/1001", "Camille Durand"),
    Person("tele2", "teleoperator", "PJSIP/1002", "Yanis Benali"),
    Person("chef", "supervisor", "PJSIP/1100", "Nadia Lefèvre"),
    Person("client", "client", "", "Charpentes Martin"),
)


def demo_start(app: App, campaign_id: int, now: datetime) -> datetime:
    """`now` if the campaign may call now, else its next opening (the demo's clock starts there)."""
    with app.sessions() as session:
        day = campaign_day(session, campaign_id, app.settings.centre_timezone)
    return now if is_callable(now, day.calendar) else next_open(now, day.calendar, RING)


def prepare_web_demo(app: App, folder: Path, seed: int, console: Console) -> tuple[int, dict[str, str]]:
    """Sample campaign started on a real-speed clock, people's accounts; (campaign id, passwords by login)."""
    from rdv.web import accounts

    sample = setup_sample(app, folder, seed)
    campaign_id = sample.campaign.id
    real_now = datetime.now(UTC)
    start = demo_start(app, campaign_id, real_now)
    app.clock = ScaledClock(start, scale=1.0)
    if start > real_now:
        local = start.astimezone(ZoneInfo(app.settings.centre_timezone))
        console.print(_("The campaign is closed right now: the demo's clock starts at its next opening, {when}, "
                        "and runs at real speed.").format(when=f"{fmt_date(local.date())}, {fmt_time(local)}"))
    with app.sessions.begin() as session:
        campaign = session.get_one(Campaign, campaign_id)
        campaign.settings = set_value(campaign.settings or {}, "wrap_up_seconds", WRAP_UP_SECONDS)
    start_sample_campaign(app, campaign_id, app.clock.now())
    passwords: dict[str, str] = {}
    with app.sessions.begin() as session:
        for person in PEOPLE:
            made = accounts.add_user(session, person.login, person.role, app.clock.now(), phone=person.phone,
                                     name=person.name, client=CLIENT if person.role == "client" else "",
                                     campaigns=[] if person.role == "client" else [CAMPAIGN])  # fmt: skip
            passwords[person.login] = made.password
    return campaign_id, passwords


def people_table(passwords: dict[str, str]) -> Table:
    """Who can log in to the demo's screens, with their first password."""
    table = Table(_("Login"), _("Password"), _("Role"), _("Desk phone"), _("Name"), title=_("Demo accounts"))
    for person in PEOPLE:
        table.add_row(person.login, passwords[person.login], _(person.role), person.phone or "-", person.name)
    return table
