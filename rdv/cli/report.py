"""`rdv report …`: the client's reports built by hand — the weekly dashboard and results file here; the
monthly review and the final report live in `rdv.cli.report_monthly`, on the same group."""

from __future__ import annotations

import typer

report_app = typer.Typer(no_args_is_help=True, help="Client reports: weekly dashboard, results file, reviews.")
