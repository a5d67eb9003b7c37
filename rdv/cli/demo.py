"""`rdv demo`: a sample client, campaign and lead file on the embedded defaults, with its quality report."""

from __future__ import annotations

from pathlib import Path

import typer

from config.i18n import _
from rdv.cli import lead_report
from rdv.cli.common import console, is_interactive, wired
from rdv.demo import SAMPLE_SEED, setup_sample


def demo(
    seed: int = typer.Option(SAMPLE_SEED, "--seed", help="Seed of the sample lead file (the bundled one by default)."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the sample file and its rejects (default: "
                                    "<data dir>/demo)."),
) -> None:
    """Set up the sample client, campaign and lead file, and show the file's quality report."""
    with wired() as application:
        folder = out or application.settings.data_dir / "demo"
        with lead_report.progress_bar(console, is_interactive()) as progress:
            sample = setup_sample(application, folder, seed, progress)
        names = {"client": sample.client.name, "campaign": sample.campaign.name}
        if sample.created:
            console.print(_("Sample client {client} and campaign {campaign} created.").format(**names))
        else:
            console.print(_("Sample client {client} and campaign {campaign} reused from an earlier run.")
                          .format(**names))
        if sample.imported:
            console.print(_("Lead file {file} imported.").format(file=sample.lead_file))
        else:
            console.print(_("Lead file {file} was already imported (import #{id}): its report is shown again, "
                            "nothing was added.").format(file=sample.lead_file, id=sample.import_id))
        lead_report.render(console, sample.report, sample.import_id)
        console.print(_("Next: rdv leads report --campaign \"{campaign}\", "
                        "rdv export leads --campaign \"{campaign}\" --out leads.xlsx").format(**names))
