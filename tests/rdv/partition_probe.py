"""Run as root in a network namespace of its own (`unshare -n python -m tests.rdv.partition_probe`): a private
PostgreSQL on loopback, this process holding the scheduler leadership and a dialer id's lock over TCP, and a
plain session holding another advisory lock; then loopback goes down (what a network cut does: no FIN, no RST)
and the server is watched over its Unix socket. Prints one JSON line: how long the server took to drop the
locks' sessions, and whether the plain session's lock was still held then."""

from __future__ import annotations

import json
import os
import subprocess
import time

from sqlalchemy import text

from rdv import db
from rdv.leader import DialerIdLock, Leadership
from tests.pgserver import PostgresServer

CONTROL_KEY = 4242
DEADLINE_S = 120.0


def main() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    server = PostgresServer.start()
    try:
        engine = db.make_engine(server.url)
        local = db.make_engine(f"postgresql+psycopg://rdv@/postgres?host={server.directory}&port={server.port}")
        leadership = Leadership(engine, "d1")
        assert leadership.poll()
        assert DialerIdLock(engine, "d1").acquire()
        control = engine.connect()  # a session without the settings
        control.execute(text("SELECT pg_advisory_lock(:k)"), {"k": CONTROL_KEY})
        control.commit()
        query = text("SELECT count(*) FILTER (WHERE objid <> :k), count(*) FILTER (WHERE objid = :k) FROM pg_locks "
                     "WHERE locktype = 'advisory' AND granted")
        with local.connect() as admin:
            held = tuple(admin.execute(query, {"k": CONTROL_KEY}).one())
            assert held == (2, 1), held
            subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
            cut = time.monotonic()
            while held[0] and time.monotonic() - cut < DEADLINE_S:
                time.sleep(0.1)
                admin.rollback()
                held = tuple(admin.execute(query, {"k": CONTROL_KEY}).one())
            print(json.dumps({"freed_after_s": round(time.monotonic() - cut, 1), "locks_left": held[0],
                              "control_held": bool(held[1])}), flush=True)
    finally:
        server.stop()
    os._exit(0)  # the lock connections' threads and sockets hang on the cut link: do not wait for them


if __name__ == "__main__":
    main()
