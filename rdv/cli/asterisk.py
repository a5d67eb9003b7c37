"""`rdv asterisk config`: the Asterisk include files for the current campaigns (queues, trunk, phones, sounds)."""

from __future__ import annotations

from pathlib import Path

import typer

from config.i18n import _, ngettext
from dialer.asterisk_config import DEFAULT_TRUNK
from rdv.asterisk_config import ConfigRequest, write_config
from rdv.cli.common import console, wired
from rdv.cli.run import chosen_servers

app = typer.Typer(no_args_is_help=True, help="Asterisk: the configuration rdv generates for its campaigns.")


@app.command("config")
def config(
    out: Path = typer.Option(..., "--out", help="Folder of the generated include files (Asterisk's etc folder, "
                             "e.g. /etc/asterisk, beside the shipped extensions.conf and queues.conf)."),
    trunk: str = typer.Option(DEFAULT_TRUNK, "--trunk", help="How the callee leg dials a number; `{number}` is "
                              "replaced by the E.164 number."),
    phones: Path | None = typer.Option(None, "--phones", help="CSV file login;phone binding agents to their "
                                       "phone (e.g. alice;PJSIP/poste-12), in place of the phone of their "
                                       "account (rdv user add --phone). Without either, an agent's phone is the "
                                       "PJSIP endpoint named like their login."),
    sounds: Path | None = typer.Option(None, "--sounds", help="Folder for the drop message and the silence "
                                       "Asterisk plays (default: OUT/rdv-sounds)."),
    drop_message: Path | None = typer.Option(None, "--drop-message", help="Your own drop message: WAV, "
                                             "8000 Hz, mono, 16 bits (default: the French one shipped)."),
    sim_agents: int = typer.Option(0, "--sim-agents", min=0, help="Phones that answer at once for N simulated "
                                   "agents per campaign, as `rdv run --sim-agents N` logs them in."),
    campaign: list[str] = typer.Option([], "--campaign", help="With --sim-agents: the campaigns `rdv run` "
                                       "will dial (repeat it); default: every running campaign."),
    server: str = typer.Option("", "--server", help="Write the files of this Asterisk server only "
                               "([asterisk.servers.NAME]): the queues of its campaigns, the phones on it."),
) -> None:
    """Write the include files Asterisk needs for the campaigns in the database, then say how to reload."""
    with wired() as application, application.sessions() as session:
        settings = application.settings
        chosen = chosen_servers(settings, [server]) if server else ()
        request = ConfigRequest(out=out, sounds=sounds, trunk=trunk, phones_file=phones, drop_message=drop_message,
                                sim_agents=sim_agents, sim_campaigns=tuple(campaign),
                                server=chosen[0] if chosen else None,
                                unassigned=len(settings.servers) <= 1)  # fmt: skip
        written = write_config(session, request)
    console.print(ngettext("{n} queue ({names}), {phones} agent phones, drop message {message}: files written "
                           "in {out}.", "{n} queues ({names}), {phones} agent phones, drop message {message}: "
                           "files written in {out}.", len(written.queues)).format(
        n=len(written.queues), names=", ".join(written.queues) or "-", phones=written.phones,
        message=written.drop_message, out=out.resolve()))
    console.print(_("Reload Asterisk: asterisk -rx 'module reload app_queue.so' ; asterisk -rx 'dialplan reload' "
                    "; asterisk -rx 'moh reload'"))
