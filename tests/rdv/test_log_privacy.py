"""The service's log (`rdv run`'s configuration, a real process) holds no prospect's name or number even when a
database error is logged with its traceback: SQLAlchemy's message carries the statement's parameters and
PostgreSQL's the failing row (SQLite, PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import logging, sys
    from sqlalchemy import insert
    from leads.models import Lead
    from rdv import db
    from rdv.cli.run import configure_logging

    configure_logging()
    log = logging.getLogger("dialer.engine")
    engine = db.make_engine(sys.argv[1])
    person = {"last_name": "JEANNOT", "first_name": "Ferdinande", "address": "12 rue des Glycines"}
    for values in ({**person, "campaign_id": 999999, "phone_e164": "+33612345601"},  # no such campaign
                   {**person, "campaign_id": 999999, "phone_e164": None}):  # a number missing
        try:
            with engine.begin() as conn:
                conn.execute(insert(Lead).values(**values))
        except Exception:
            log.exception("dialer event %s failed", "CallAnswered")
    log.warning("a number in a message: %s", "+33612345601")
""")


def test_a_database_error_in_the_log_names_no_one(database_url: str) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, database_url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    log = done.stderr
    assert log.count("dialer event CallAnswered failed") == 2 and "IntegrityError" in log
    assert "Traceback" in log and 'File "<string>"' in log  # still worth reading
    for personal in ("JEANNOT", "Ferdinande", "Glycines", "612345601"):
        assert personal not in log, log
    assert "a number in a message: ******01" in log
