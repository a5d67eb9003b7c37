"""The composition root: builds settings, clock, database and the edges in one place, on demand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock, SystemClock
from config.i18n import _
from config.settings import Settings, load_settings
from rdv import db

if TYPE_CHECKING:
    from config.servers import ServerSettings
    from dialer.ami import AmiPbx
    from dialer.simulator import PbxSimulator
    from reports.mailer import Transport


class NoPbxConfigured(LookupError):
    """Neither an Asterisk (RDV_AMI_HOST) nor the embedded simulator was asked for: nothing to dial through."""

    def __init__(self) -> None:
        super().__init__(_("No PBX to dial through: set RDV_AMI_HOST to your Asterisk, or run rdv run "
                           "--simulate for the embedded simulator"))


@dataclass
class App:
    """Everything a command needs, built lazily so that nothing connects at import time."""

    settings: Settings = field(default_factory=load_settings)
    migrate: bool = True
    clock: Clock = field(default_factory=SystemClock)
    durable: bool = True  # False: a scratch SQLite database without fsync (the demo's)

    @cached_property
    def engine(self) -> Engine:
        engine = db.make_engine(self.settings.effective_database_url, self.durable)
        if self.migrate:
            db.upgrade(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine)

    def transport(self, folder: Path | None = None) -> Transport:
        """The mailer: SMTP when configured, else `.eml` files into `folder` (default: the outbox folder)."""
        from reports.mailer import transport_from_settings

        return transport_from_settings(self.settings, folder)

    async def open_pbx(self, simulate: bool = False, seed: int = 0, queues: Iterable[str] = (),
                       server: ServerSettings | None = None) -> PbxLink:  # fmt: skip
        """Start the embedded PBX simulator on loopback and connect to it (`simulate`), else the configured Asterisk
        (`server`'s, or the single one of `RDV_AMI_HOST`).

        The simulator gets the campaigns' `queues`, as `rdv asterisk config` writes them for an Asterisk.
        """
        from dialer.ami import AmiOptions, AmiPbx
        from dialer.simulator import PbxSimulator

        settings = self.settings
        if not simulate:
            if server is not None:
                pbx = AmiPbx(server.host, server.port, server.username, server.secret, self.clock)
            elif not settings.ami_host:
                raise NoPbxConfigured()
            else:
                pbx = AmiPbx.from_settings(settings, self.clock)
            await pbx.connect()
            return PbxLink(pbx)
        simulator = PbxSimulator(self.clock, seed=seed, username=settings.ami_username, secret=settings.ami_secret,
                                 queues=queues)  # fmt: skip
        await simulator.start()
        # Loopback to our own simulator: a lost connection is a bug or a stop, so notice and retry quickly.
        options = AmiOptions(ping_interval_s=1.0, ping_timeout_s=2.0, backoff_initial_s=0.05, backoff_max_s=1.0)
        pbx = AmiPbx("127.0.0.1", simulator.port, settings.ami_username, settings.ami_secret, self.clock, options)
        try:
            await pbx.connect()
        except BaseException:
            await simulator.stop()
            raise
        return PbxLink(pbx, simulator)

    def secret(self, name: str) -> str:
        """A secret from the environment or the owner-only secrets file (see config.secrets), checked against the
        fingerprint this database recorded at its first use (SecretMismatch: restored without its data folder)."""
        from config.secret_checks import check_secret
        from config.secrets import secret

        value = secret(name, self.settings.data_dir)
        check_secret(self.sessions, name, value, self.clock.now())
        return value

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


@dataclass
class PbxLink:
    """The AMI connection the dialer uses, and the embedded simulator behind it when there is no Asterisk."""

    pbx: AmiPbx
    simulator: PbxSimulator | None = None

    @property
    def where(self) -> str:
        """Where the dialer's PBX is, as the person who started the service reads it."""
        if self.simulator is None:
            return self.pbx.where
        return _("embedded simulator on {address}").format(address=self.pbx.where)

    async def close(self) -> None:
        """Close the connection, then stop the embedded simulator if there is one."""
        await self.pbx.close()
        if self.simulator is not None:
            await self.simulator.stop()


def bootstrap(settings: Settings | None = None, migrate: bool = True, clock: Clock | None = None) -> App:
    """The application wired from settings (read from the environment when not given)."""
    return App(settings=settings or load_settings(), migrate=migrate, clock=clock or SystemClock())
