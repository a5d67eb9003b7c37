"""The composition root: builds settings, clock, database and the edges in one place, on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, load_settings
from rdv import db


@dataclass
class App:
    """Everything a command needs, built lazily so that nothing connects at import time."""

    settings: Settings = field(default_factory=load_settings)
    migrate: bool = True

    @cached_property
    def engine(self) -> Engine:
        engine = db.make_engine(self.settings.effective_database_url)
        if self.migrate:
            db.upgrade(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def bootstrap(settings: Settings | None = None, migrate: bool = True) -> App:
    """The application wired from settings (read from the environment when not given)."""
    return App(settings=settings or load_settings(), migrate=migrate)
