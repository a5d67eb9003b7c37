"""A dialer stand-in run as its own process: claims batches until the hopper is empty, prints the lead ids.

It prints `ready` once connected and `first` once it holds its first batch, and waits for a line after each."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from rdv import db


def main(url: str, campaign_id: int, dialer: str, now: str, batch: int) -> None:
    from campaigns.hopper import claim_leads

    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    with engine.connect():
        pass
    # Start line: both dialers are imported and connected before either claims anything.
    print("ready", flush=True)
    sys.stdin.readline()
    claimed: list[int] = []
    while True:
        with sessions.begin() as session:
            targets = claim_leads(session, campaign_id, datetime.fromisoformat(now), batch, dialer)
        if not targets:
            break
        if not claimed:
            # Second start line: each dialer holds a first batch before either goes on, so that a loaded machine
            # that schedules one process late cannot let the other take the whole campaign alone.
            print("first", flush=True)
            sys.stdin.readline()
        claimed += [t.lead_id for t in targets]
    engine.dispose()
    print(json.dumps(claimed))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
