"""Trunk room benchmark: what `dialer.trunk.room_on_trunk` costs a dialer's tick on PostgreSQL.

Run by hand (never from the tests), on a migrated PostgreSQL database it may fill:

    .venv/bin/python -m bench.trunk_room --url postgresql+psycopg://rdv@127.0.0.1:PORT/trunk --ended 1000000

The attempts table gets `--ended` ended attempts on the PBX (a long history) and `--live` live ones, once; then
each round is the advisory lock and the count in a committed transaction of its own, as a dial tick of a
trunk-limited dialer makes them before its claim: wall time (median, p95) and the plan of the count.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import func, select, text

from campaigns.models import Attempt
from config.orm import transaction
from dialer.trunk import Trunk, room_on_trunk
from rdv import db
from tests.campaigns.factories import campaign, leads

PBX = "pbx1.bench:5038"
FILL = """INSERT INTO attempts (campaign_id, lead_id, attempt_no, phone_e164, callee_tz, state, outcome, action_id,
  dialer_id, pbx, channel, created_at, agent, disposition)
SELECT :campaign, :lead, 1, '+33612345678', 'Europe/Paris', :state, :outcome, :prefix || n, 'bench', :pbx, '',
  now(), '', '' FROM generate_series(1, :count) AS n"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ended", type=int, default=1_000_000)
    parser.add_argument("--live", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    engine = db.make_engine(args.url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with transaction(sessions) as session:
        if not session.scalar(select(func.count()).select_from(Attempt)):
            made = campaign(session, name="Bench trunk")
            lead = leads(session, made.id, 1)[0]
            for state, outcome, count in (("ended", "no_answer", args.ended), ("ringing", "", args.live)):
                session.execute(text(FILL), {"campaign": made.id, "lead": lead.id, "state": state, "outcome": outcome,
                                             "prefix": f"{state}-", "pbx": PBX, "count": count})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("ANALYZE attempts"))
        plan = [row[0] for row in conn.execute(text("EXPLAIN SELECT count(*) FROM attempts WHERE pbx = :p AND "
                                                    "outcome = ''"), {"p": PBX})]  # fmt: skip
    trunk, times = Trunk(PBX, args.live + 10), []
    for _ in range(args.rounds):
        started = time.perf_counter()
        with transaction(sessions) as session:
            room = room_on_trunk(session, trunk, 0)
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"attempts: {args.ended} ended, {args.live} live; room {room} of {trunk.channels}")
    print(f"lock + count per tick: median {statistics.median(times) * 1000:.2f} ms, "
          f"p95 {times[int(len(times) * 0.95)] * 1000:.2f} ms over {args.rounds} rounds")
    print("plan: " + " / ".join(line.strip() for line in plan))
    engine.dispose()


if __name__ == "__main__":
    main()
