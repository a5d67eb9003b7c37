"""`rdv campaign script NAME`: load a campaign's script file (a new version) or show the one in use."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from campaigns import store
from campaigns.errors import ScriptNotLoaded
from campaigns.script import CampaignScript
from campaigns.script_store import current_script, load_script_file
from config.i18n import _
from rdv.cli.common import console, fail, wired


def script(
    name: str = typer.Argument(..., help="Campaign name."),
    load: Path | None = typer.Option(None, "--load", help="TOML script file to load as the next version."),
    show: bool = typer.Option(False, "--show", help="Print the script, questions and criteria in use."),
    loaded_by: str = typer.Option("", "--by", help="Who loads it (kept with the version)."),
) -> None:
    """Load or show a campaign's call script, qualifying questions and conformity criteria."""
    if load is None and not show:
        raise fail(_("Give --load FILE or --show."))
    with wired() as application, application.sessions.begin() as session:
        campaign = store.get_campaign(session, name)
        if load is not None:
            row = load_script_file(session, campaign.id, load, loaded_by, application.clock.now())
            console.print(_("Script version {version} loaded for {campaign} from {file}.").format(
                version=row.version, campaign=campaign.name, file=load.name))
        if show:
            loaded = current_script(session, campaign.id)
            if loaded is None:
                raise ScriptNotLoaded(campaign.name)
            _print(*loaded)


def _print(version: int, loaded: CampaignScript) -> None:
    console.print(f"[bold]{loaded.name}[/] — " + _("version {version}").format(version=version))
    for title, text in ((_("Greeting"), loaded.script.greeting), (_("Pitch"), loaded.script.pitch)):
        console.print(f"\n[bold]{title}[/]\n{text}")
    for objection in loaded.script.objections:
        console.print(f"\n[bold]« {objection.objection} »[/]\n{objection.answer}")
    console.print(f"\n[bold]{_('Closing')}[/]\n{loaded.script.closing}\n")
    questions = Table(_("Key"), _("Question"), _("Type"), _("Choices"), _("Required"))
    for q in loaded.questions:
        questions.add_row(q.key, q.label, q.type, ", ".join(c.label for c in q.choices),
                          _("Yes") if q.required else _("No"))
    console.print(questions)
    criteria = Table(_("Conformity criteria"))
    for criterion in loaded.criteria:
        criteria.add_row(criterion.label)
    console.print(criteria)
