"""Which `rdv run` process runs the shared scheduled jobs, and only one `rdv run` per SQLite file.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own, checked every few
seconds: when that connection drops, the lock is gone on the server, so the process says so loudly and stops
running shared jobs at once; the other processes try the lock at each check and one of them takes over.
SQLite is a single-host embedded set-up: one `rdv run` per file (a second one is refused), always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from config.i18n import _

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x7264765F7363  # "rdv_sc": one scheduler leader per PostgreSQL database
DIALER_LOCK_SPACE = 0x72647664  # "rdvd": one lock per dialer id (with hashtext of the id)
# Wall seconds between checks: a standby takes over within about this long after the leader's lock is freed
# (the server frees it as soon as it sees the leader's connection closed).
CHECK_EVERY_S = 2.0
# Wall seconds a starting dialer waits for its id's lock before it says another process runs as that id.
DIALER_LOCK_WAIT_S = 5.0
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ends a wait
# The server's TCP settings for the sessions holding these locks. A host that vanishes (power or network cut)
# sends no FIN: by the kernel's defaults its session, and its locks, would stay for over two hours of keepalive
# silence. With these the server drops it about 8 s after its last packet (keepalives when idle, the user
# timeout when an answer stays unacknowledged), and a standby takes the leadership at its next check.
LOCK_SESSION_TCP = {"tcp_keepalives_idle": "4", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "2",
                    "tcp_user_timeout": "8000"}  # fmt: skip


class Leadership:
    """This process's claim to the scheduler leadership; `poll()` tries to win it, or checks it is still held."""

    def __init__(self, engine: Engine, holder: str) -> None:
        self.engine, self.holder = engine, holder
        self.shared = engine.dialect.name == "postgresql"
        self.held = not self.shared  # SQLite: the only process (see single_service)
        self._connection: Connection | None = None

    def poll(self) -> bool:
        """Win the lock if it is free, or check that the connection holding it is alive; returns `held`."""
        if not self.shared:
            return True
        if self.held:
            self._check()
        else:
            self._try()
        return self.held

    def _try(self) -> None:
        try:
            if self._connection is None:
                self._connection = _lock_session(self.engine)
            won = bool(self._connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                                {"k": LEADER_LOCK_KEY}).scalar())  # fmt: skip
            self._connection.commit()
        except Exception as exc:  # the database is away: stay a standby, try again at the next check
            log.warning("dialer %s cannot reach the database to try the scheduler leadership: %s",
                        self.holder, type(exc).__name__)  # fmt: skip
            self._drop()
            return
        if won:
            self.held = True
            log.info("dialer %s is the scheduler leader", self.holder)

    def _check(self) -> None:
        assert self._connection is not None
        try:
            # The lock lives as long as this server session: the session answering is the lock still held.
            self._connection.execute(text("SELECT 1")).scalar()
            self._connection.commit()
        except Exception as exc:
            self.lost(f"{type(exc).__name__}: {exc}".splitlines()[0])

    def lost(self, why: str) -> None:
        """Leadership is gone (its connection dropped or stopped answering): no shared job runs here any more."""
        self.held = False
        log.error("dialer %s LOST the scheduler leadership (%s): it runs no shared job until it wins it again",
                  self.holder, why)  # fmt: skip
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except Exception:  # already broken: nothing more to close
                log.debug("closing the leadership connection failed", exc_info=True)
            self._connection = None

    def release(self) -> None:
        """Give the lock back (clean stop), so that a standby takes over at its next check."""
        if self._connection is not None and self.held:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY})
                self._connection.commit()
            except Exception:  # the server frees the lock with the session anyway
                log.debug("unlocking the leadership failed", exc_info=True)
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.held = not self.shared


class AnotherServiceRuns(RuntimeError):
    """A second `rdv run` on one SQLite file: SQLite serves one service process only."""

    def __init__(self, path: Path) -> None:
        super().__init__(_("Another rdv run already uses the SQLite database {path}: SQLite serves one service "
                           "process only; stop it, or use PostgreSQL (RDV_DATABASE_URL) for several "
                           "dialers").format(path=path))


class DialerIdInUse(RuntimeError):
    """Two `rdv run` with one dialer id on one PostgreSQL: each would take the other's claims for its own."""

    def __init__(self, dialer_id: str) -> None:
        super().__init__(_("Another rdv run already runs as dialer {dialer} on this database: give each process its "
                           "own --dialer-id").format(dialer=dialer_id))


class ServerDriven(DialerIdInUse):
    """Two `rdv run` with one `--server` on one PostgreSQL: two engines would dial through one trunk as one."""

    def __init__(self, server: str) -> None:
        RuntimeError.__init__(self, _("Another rdv run already drives the Asterisk server {server}: a server is "
                                      "driven by one process at a time; list it with --standby here to take it "
                                      "over when that process dies").format(server=server))


@contextmanager
def single_service(engine: Engine, dialer_id: str = "main", servers: Sequence[str] = ()) -> Iterator[None]:
    """Hold, for the block, the service lock: the SQLite file's, or on PostgreSQL this dialer id's and those of
    the named `servers` it drives (a server's name is its engine's dialer id); refuse if one is taken.

    Both locks die with the process, even by `kill -9` (an OS file lock; a lock of the server session), so a
    restart is never refused.
    """
    if engine.dialect.name == "postgresql":
        with contextlib.ExitStack() as locks:
            for name in dict.fromkeys([dialer_id, *servers]):
                locks.enter_context(_dialer_lock(engine, name, name != dialer_id))
            yield
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(database).resolve()
    handle: IO[bytes] = (path.parent / f"{path.name}.run-lock").open("ab")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AnotherServiceRuns(path) from None
        yield
    finally:
        handle.close()


@asynccontextmanager
async def service_lock(engine: Engine, dialer_id: str, servers: Sequence[str] = ()) -> AsyncIterator[None]:
    """`single_service` for `rdv.service.serve()`, so that every caller (the CLI, tests, the demo, benches) runs
    under its dialer id's lock: without it the leader finds the dialer dead and frees the leads of its calls.

    Taking the lock may wait DIALER_LOCK_WAIT_S, and giving it back joins its checking thread: both off the
    event loop, where the web screens of the process may already be served.
    """
    held = contextlib.ExitStack()
    await asyncio.to_thread(held.enter_context, single_service(engine, dialer_id, servers))
    try:
        yield
    finally:
        await asyncio.to_thread(held.close)


@contextmanager
def _dialer_lock(engine: Engine, dialer_id: str, server: bool = False) -> Iterator[None]:
    lock = DialerIdLock(engine, dialer_id)
    if not lock.acquire():
        raise ServerDriven(dialer_id) if server else DialerIdInUse(dialer_id)
    try:
        yield
    finally:
        lock.release()


class DialerIdLock:
    """This process's hold on its dialer id (PostgreSQL), on a connection of its own, checked every
    CHECK_EVERY_S by a thread and taken again when that connection drops: a PostgreSQL restart frees every
    session's locks, and a dialer without its lock looks dead to the leader, which then frees its claims."""

    def __init__(self, engine: Engine, dialer_id: str) -> None:
        self.engine, self.dialer_id = engine, dialer_id
        self.held = False
        self._connection: Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock at start, then keep it checked; False: another process runs as this dialer id."""
        connection = _lock_session(self.engine)
        if not _lock_dialer_id(connection, self.dialer_id):
            connection.close()
            return False
        self._connection, self.held = connection, True
        self._thread = threading.Thread(target=self._watch, name=f"dialer-lock-{self.dialer_id}", daemon=True)
        self._thread.start()
        return True

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            self.check()

    def check(self) -> None:
        """Check the lock's connection answers, or take the lock again on a new one."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1")).scalar()
                self._connection.commit()
                return
            except Exception as exc:
                log.error("dialer %s LOST the lock of its id (%s): it takes it again as soon as it can",
                          self.dialer_id, f"{type(exc).__name__}: {exc}".splitlines()[0])  # fmt: skip
                self._drop()
        try:
            connection = _lock_session(self.engine)
        except Exception as exc:  # the database is away: try again at the next check
            log.warning("dialer %s cannot reach the database to take the lock of its id: %s", self.dialer_id,
                        type(exc).__name__)  # fmt: skip
            return
        try:
            won = _lock_dialer_id(connection, self.dialer_id)
        except Exception:
            log.warning("taking the lock of dialer %s failed", self.dialer_id, exc_info=True)
            won = False
        if not won:
            connection.close()
            log.error("dialer %s cannot take the lock of its id back: another process holds it", self.dialer_id)
            return
        self._connection, self.held = connection, True
        log.warning("dialer %s holds the lock of its id again", self.dialer_id)

    def _drop(self) -> None:
        self.held = False
        if self._connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to close
                self._connection.invalidate()
                self._connection.close()
            self._connection = None

    def release(self) -> None:
        """Stop checking and give the lock back (the server frees it with the session anyway)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:id))"),
                                         {"ns": DIALER_LOCK_SPACE, "id": self.dialer_id})  # fmt: skip
                self._connection.commit()
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        self.held = False


def _lock_session(engine: Engine) -> Connection:
    """A connection for holding a lock, whose server session ends soon after its host vanishes (on TCP; the
    settings mean nothing on a Unix socket, where the server sees the process die at once)."""
    connection = engine.connect()
    try:
        for name, value in LOCK_SESSION_TCP.items():
            connection.execute(text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value})
        connection.commit()
    except Exception:
        connection.close()
        raise
    return connection


def _lock_dialer_id(connection: Connection, dialer_id: str) -> bool:
    """Take this dialer id's session lock; wait a little when it is held, since the leader holds it for the
    moment it frees a dead dialer's claims (`dialer_is_dead`): a restart then waits instead of being refused."""
    try:
        # lock_timeout bounds the wait of this one statement (SET LOCAL: this transaction only).
        connection.execute(text(f"SET LOCAL lock_timeout = '{int(DIALER_LOCK_WAIT_S * 1000)}ms'"))
        connection.execute(text("SELECT pg_advisory_lock(:ns, hashtext(:id))"),
                           {"ns": DIALER_LOCK_SPACE, "id": dialer_id})  # fmt: skip
    except OperationalError as exc:
        connection.rollback()
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return False
        raise
    connection.commit()  # the session lock outlives the transaction
    return True


def dialer_is_dead(connection: Connection, dialer_id: str) -> bool:
    """Whether no process runs as this dialer id now (PostgreSQL only): its lock was free, and this
    transaction holds it until it ends, so the dialer cannot restart while its claims are being freed."""
    return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:ns, hashtext(:id))"),
                                   {"ns": DIALER_LOCK_SPACE, "id": dialer_id}).scalar())  # fmt: skip
