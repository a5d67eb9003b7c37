"""The simulator's TCP side: AMI sessions (banner, Login/Logoff, actions, events) and a fault mode for tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from config.clock import Clock
from dialer.amiwire import AmiParser, Message, banner, serialize
from dialer.simulator import messages as m
from dialer.simulator.actions import ACTIONS
from dialer.simulator.core import SimulatedPbx
from dialer.simulator.members import AgentProfile
from dialer.simulator.outcomes import OutcomeModel, ScriptedOutcomes

log = logging.getLogger(__name__)
GARBAGE = b"\x00\xffthis line is not AMI at all\r\n"
# What Asterisk 22.10.1 answers before FullyBooted (checked on the real PBX): app_queue's manager commands
# are not registered yet and the dialplan is not loaded; the core's own actions work.
READY_WHILE_BOOTING = ("ping", "coreshowchannels", "status", "hangup")


@dataclass
class Faults:
    """What a test can break: slow answers, garbage lines, a connection cut after some messages."""

    response_delay_s: float = 0.0  # wall seconds before each action's response
    garbage_every: int = 0  # write a malformed line before every n-th message
    cut_after: int = 0  # close every session after this many more messages (0: never)


class _Session:
    """One manager connection. Messages written in one turn of the event loop leave in one send, as a busy
    Asterisk's do: one syscall (and one wake-up of the dialer's listener) per burst instead of per message."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.authenticated = False
        self.sent = 0
        self.transcript: list[bytes] | None = None
        self._loop = asyncio.get_running_loop()
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if self.writer.is_closing():
            return
        if self.transcript is not None:
            self.transcript.append(data)
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        """Send what this turn of the loop wrote."""
        if self._pending and not self.writer.is_closing():
            self.writer.write(b"".join(self._pending))
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        self.writer.close()


class PbxSimulator:
    """An Asterisk stand-in speaking AMI on TCP; `start()` binds (port 0 picks a free one), `stop()` ends it."""

    def __init__(
        self,
        clock: Clock,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "rdv",
        secret: str = "rdv",
        outcomes: OutcomeModel | ScriptedOutcomes | None = None,
        agent_profile: AgentProfile | None = None,
        default_queue: str = "rdv",
        record: bool = False,
        queues: Iterable[str] | None = None,
        restart_boot_s: float = 0.2,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.secret = username, secret
        self.faults = Faults()
        self.pbx = SimulatedPbx(clock, seed, self._broadcast, outcomes, agent_profile, default_queue)
        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self.record = record
        self.transcripts: list[list[bytes]] = []
        # Told of every event the PBX broadcasts (tests look at what call control made it do).
        self.observers: list[Callable[[Message], None]] = []
        self.logins = 0
        if queues is not None:
            self.pbx.queues.configured = set(queues)
        # After a restart Asterisk takes this long (wall seconds) from accepting logins to FullyBooted.
        self.restart_boot_s = restart_boot_s
        self.booted = True
        self.refused_while_booting: list[str] = []
        self._started_once = False
        self._boot_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen; after a `stop()` this is a PBX restart: no calls, same static members, same port, and
        `restart_boot_s` during which logins work but FullyBooted has not come yet."""
        self.pbx.reset()
        self.booted = not (self._started_once and self.restart_boot_s > 0)
        self._started_once = True
        self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        if not self.booted:
            self._boot_task = asyncio.get_running_loop().create_task(self._boot())
        log.info("PBX simulator listening on %s:%s", self.host, self.port)

    async def _boot(self) -> None:
        await asyncio.sleep(self.restart_boot_s)
        self.booted = True
        for session in list(self._sessions):
            if session.authenticated:
                self._send(session, _fully_booted(just_booted=True))

    def configure_queue(self, name: str) -> None:
        """A queue added to queues.conf and reloaded."""
        if self.pbx.queues.configured is not None:
            self.pbx.queues.configured.add(name)

    def begin_shutdown(self) -> None:
        """`core restart`: say Shutdown and refuse what a stopping Asterisk refuses, connections still open."""
        if self.booted:
            self.booted = False
            self._broadcast(Message([("Event", "Shutdown"), ("Privilege", "system,all"), ("Shutdown", "Cleanly"),
                                     ("Restart", "True")]))

    async def stop(self) -> None:
        """Say Shutdown, stop listening, drop every session and every call (an Asterisk restart)."""
        if self._boot_task is not None:
            self._boot_task.cancel()
        self.begin_shutdown()
        if self._server is not None:
            self._server.close()
        self.cut()
        self.pbx.reset()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> PbxSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def cut(self) -> None:
        """Close every manager connection now; calls go on."""
        for session in list(self._sessions):
            session.close()
        self._sessions.clear()

    def inject_garbage(self, data: bytes = GARBAGE) -> None:
        """Write raw bytes to every logged-in session."""
        for session in list(self._sessions):
            if session.authenticated:
                session.write(data)

    def declare_real_agent(self, interface: str, callee_ends: bool = False) -> None:
        """Calls to this member wait for a Hangup action instead of a simulated talk time (with `callee_ends`,
        the simulated callee hangs up after a drawn one, at least `PERSON_MIN_TALK_S`, if nobody did)."""
        self.pbx.queues.real_interfaces.add(interface)
        if callee_ends:
            self.pbx.queues.callee_ends.add(interface)
        for members in self.pbx.queues.members.values():
            if interface in members:
                members[interface].real = True

    def add_simulated_agents(self, count: int, queue: str) -> list[str]:
        """`count` static members `Local/agentN@agents/n` named AgentN in `queue`; their interfaces."""
        interfaces = [f"Local/agent{n}@agents/n" for n in range(1, count + 1)]
        for n, interface in enumerate(interfaces, start=1):
            self.pbx.add_static_member(queue, interface, f"Agent{n}")
        return interfaces

    @property
    def live_channels(self) -> list[str]:
        return list(self.pbx.channels)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(reader, writer)
        if self.record:
            session.transcript = []
            self.transcripts.append(session.transcript)
        self._sessions.add(session)
        parser = AmiParser(expect_banner=False)
        try:
            session.write(serialize(banner()))
            while data := await reader.read(65536):
                for action in parser.feed(data):
                    if not await self._handle(session, action):
                        return
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._sessions.discard(session)
            session.close()

    async def _handle(self, session: _Session, action: Message) -> bool:
        """Answer one action; False ends the session (Logoff, failed login)."""
        if self.faults.response_delay_s:
            await asyncio.sleep(self.faults.response_delay_s)
        name, action_id = action.get("Action").lower(), action.get("ActionID")
        if name == "login":
            return self._login(session, action)
        if name == "logoff":
            self._send(session, Message([("Response", "Goodbye"), ("ActionID", action_id),
                                         ("Message", "Thanks for all the fish.")]))
            return False
        if not session.authenticated:
            self._send(session, m.response(False, action_id, "Permission denied"))
            return True
        handler = ACTIONS.get(name)
        if handler is None or (not self.booted and name not in READY_WHILE_BOOTING):
            if handler is not None:
                self.refused_while_booting.append(action.get("Action"))
            self._send(session, m.response(False, action_id, _unknown(action.get("Action"))))
            return True
        replies = handler(self.pbx, action)
        self._send(session, replies[0])
        for reply in replies[1:]:
            (self._send(session, reply) if reply.get("ActionID") else self._broadcast(reply))
        return True

    def _login(self, session: _Session, action: Message) -> bool:
        action_id = action.get("ActionID")
        if action.get("Username") != self.username or action.get("Secret") != self.secret:
            self._send(session, m.response(False, action_id, "Authentication failed"))
            log.warning("AMI login refused for user %r", action.get("Username"))
            return False
        session.authenticated = True
        self.logins += 1
        self._send(session, m.response(True, action_id, "Authentication accepted"))
        if self.booted:
            self._send(session, _fully_booted())
        return True

    def _send(self, session: _Session, message: Message) -> None:
        self._write(session, serialize(message))

    def _broadcast(self, message: Message) -> None:
        for observer in self.observers:
            observer(message)
        data = serialize(message)
        for session in list(self._sessions):
            if session.authenticated:
                self._write(session, data)

    def _write(self, session: _Session, data: bytes) -> None:
        faults = self.faults
        session.sent += 1
        if faults.garbage_every and session.sent % faults.garbage_every == 0:
            session.write(GARBAGE)
        session.write(data)
        if faults.cut_after:
            faults.cut_after -= 1
            if faults.cut_after == 0:
                log.info("fault: cutting every manager connection")
                with contextlib.suppress(Exception):
                    asyncio.get_running_loop().call_soon(self.cut)


def _fully_booted(just_booted: bool = False) -> Message:
    """As Asterisk 22 says it: at the end of a boot (restart_window.ami), or to a login once booted."""
    if just_booted:
        return Message([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Status", "Fully Booted"),
                        ("Uptime", "0"), ("LastReload", "0")])
    return Message([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", "37"), ("LastReload", "37"),
                    ("Status", "Fully Booted")])


def _unknown(action: str) -> str:
    """Asterisk's answer to an action it does not have (yet)."""
    if action.lower() == "originate":  # the dialplan is not loaded: pbx_config comes late in the boot
        return "Extension does not exist."
    return f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."
