"""`rdv db …`: schema migrations (also applied automatically on first use)."""

from __future__ import annotations

import typer

from config.i18n import _
from rdv.cli.common import console, wired

app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations."""
    with wired() as application:
        application.engine  # noqa: B018  (building the engine applies the migrations)
        console.print(_("Database schema up to date."))
