"""A billing process for the concurrency test: waits for "go", issues N invoices, prints their numbers."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from billing import store
from billing.document import Draft, draft_line
from billing.models import INVOICE
from billing.services import issue, terms_of
from rdv import db


def main(url: str, client: str, count: int) -> None:
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    print("ready", flush=True)
    sys.stdin.readline()
    numbers = []
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    for _ in range(count):
        with sessions.begin() as session:
            _client, row = store.get_contract(session, client)  # no lock: the numbering must hold by itself
            draft = Draft(INVOICE, None, (draft_line("Rendez-vous", "", 1, store.from_cents(8000),
                                                     store.from_cents(8000)),))
            numbers.append(issue(session, row, terms_of(row), draft, now).number)
    print(json.dumps(numbers), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
