"""Fresh planner statistics after a large import, so that the first claims of a campaign are planned well.

PostgreSQL plans the hopper's claim from the tables' statistics. Right after a big import they still describe
the tables as they were (the consent records' as empty), and the claim is planned as a scan of every lead: on
a million leads each claim then took over a minute, holding its trunk's lock (bench/scale.py), until autovacuum
analysed the tables, about a minute later. Analysing the tables the import filled, once it is committed, costs
a second or two (ANALYZE reads a sample) and makes the first claims as fast as the later ones.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# Below this many new leads the tables' statistics stay close enough (autovacuum analyses a table once a tenth
# of it changed anyway): analysing after every small file would only cost time.
ANALYZE_AFTER_LEADS = 10_000
IMPORTED_TABLES = ("leads", "lead_phones", "consent_records")


def refresh_after_import(sessions: sessionmaker[Session], leads_created: int) -> bool:
    """ANALYZE the tables an import of `leads_created` leads filled, on PostgreSQL; returns whether it did.

    The import is committed by then: a failure here (the server busy or gone) is logged and loses nothing,
    autovacuum analyses the tables later anyway.
    """
    if leads_created < ANALYZE_AFTER_LEADS:
        return False
    with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            return False  # SQLite plans the claim from its indexes alone
        try:
            session.execute(text(f"ANALYZE {', '.join(IMPORTED_TABLES)}"))
            session.commit()
        except SQLAlchemyError as error:
            log.warning("statistics not refreshed after the import (autovacuum will): %s",
                        str(error).splitlines()[0])  # fmt: skip
            return False
    log.info("statistics refreshed after importing %d leads", leads_created)
    return True
