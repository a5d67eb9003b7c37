"""Each secret's fingerprint in the database, so that a database restored without its secrets file is noticed.

The do-not-call numbers are stored hashed under `dnc_key` and deletion certificates signed with
`certificate_key` (config.secrets). Both keys live in the data folder, not in the database: a database restored
without that folder would get freshly generated keys, and the hashed do-not-call list would silently stop
matching any number — people who asked never to be called again would be called. The first use of a key on a
database records an HMAC of a fixed text under it (which tells nothing of the key); a later use with another key
is refused with a message saying which file to restore.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from config.i18n import _
from config.orm import Base

PROBE = b"rdv secret fingerprint"


class SecretCheck(Base):
    """The fingerprint of the key a database's data was written under."""

    __tablename__ = "secret_checks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    first_used_at: Mapped[datetime] = mapped_column()


class SecretMismatch(ValueError):
    """The key at hand is not the one this database's data was written under (a ValueError: one line in the CLI)."""

    def __init__(self, name: str) -> None:
        super().__init__(_("The secret {name} is not the one this database was written with (a database restored "
                           "without its data folder?): restore secrets.toml from the same backup as the database, "
                           "or set RDV_SECRET_{env}").format(name=name, env=name.upper()))


def fingerprint(value: str) -> str:
    return hmac.new(value.encode("utf-8"), PROBE, hashlib.sha256).hexdigest()


def check_secret(sessions: sessionmaker[Session], name: str, value: str, now: datetime) -> None:
    """Record the key's fingerprint at its first use on this database, else check it is the same key."""
    mine = fingerprint(value)
    for _attempt in range(2):  # two processes recording the first use at once: one insert wins, both compare
        with sessions() as session:
            known = session.get(SecretCheck, name)
            if known is not None:
                if not hmac.compare_digest(known.fingerprint, mine):
                    raise SecretMismatch(name)
                return
            session.add(SecretCheck(name=name, fingerprint=mine, first_used_at=now))
            try:
                session.commit()
                return
            except IntegrityError:
                session.rollback()
