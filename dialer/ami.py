"""The AMI adapter: `dialer.ports.Pbx` over the `asterisk-ami` library, made reliable.

The only module that imports `asterisk.ami`. What it adds to the library, and why:
- the listener socket has no timeout: the library's 3 s timeout kills its listener thread after any quiet
  spell; a dead peer is found by our own Ping with a deadline instead;
- a lost connection (peer closed, ping unanswered, Asterisk restarted) is re-opened with exponential
  backoff (cap + jitter), and the engine is told by ConnectionLost / ConnectionRestored;
- bytes are parsed by `dialer.amiwire` (repeated keys kept, malformed lines skipped), never by the
  library's reader, and no callback can raise into the listener thread;
- `sendall` under a lock instead of `send`, and a locked, per-connection-unique ActionID counter;
- every action has a deadline and fails with a PbxError subclass naming the action and the reason;
- an Originate is never sent twice for one call_id, even across reconnects: the engine reconciles
  in-flight calls with `live_channels()`.
Network deadlines (ping, action timeouts, backoff) are wall-clock seconds whatever the Clock says:
they protect a TCP connection, not a simulated call. Event times (`at`) come from the Clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from asterisk.ami import Action, AMIClient, LoginAction, LogoffAction, Response

from config.clock import Clock
from dialer.amievents import events_from_message, live_channel_from
from dialer.amiwire import AmiParser, Message
from dialer.ports import (
    ConnectionLost,
    ConnectionRestored,
    DialerEvent,
    DuplicateOriginate,
    LiveChannel,
    OriginateRequest,
    PbxAuthFailed,
    PbxError,
    PbxNotConnected,
    PbxRefused,
    PbxTimeout,
)

log = logging.getLogger(__name__)


class _ReliableClient(AMIClient):  # type: ignore[misc]
    """asterisk-ami's client with its listener, sender and ActionID counter made safe."""

    def __init__(self, host: str, port: int, connect_timeout_s: float,
                 on_messages: Callable[[list[Message]], None], on_closed: Callable[[str], None],
                 working: Callable[[], AbstractContextManager[None]] = nullcontext) -> None:
        super().__init__(address=host, port=port, timeout=connect_timeout_s)
        self._working = working
        self._id_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._prefix = uuid.uuid4().hex[:8]
        self._parser = AmiParser()
        self._on_messages, self._on_closed = on_messages, on_closed
        self.greeted = threading.Event()

    def next_action_id(self) -> str:
        with self._id_lock:
            self._action_counter += 1
            return f"rdv-{self._prefix}-{self._action_counter}"

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self._port), timeout=self._timeout)
        sock.settimeout(None)  # silence is normal on a quiet PBX; the ping watchdog finds dead peers
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._socket = sock
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self.listen, name=f"ami-{self._address}:{self._port}", daemon=True)
        self._thread.start()

    def send(self, pack: Any) -> None:
        data = (str(pack) + "\r\n").encode(self.encoding)
        with self._send_lock:
            self._socket.sendall(data)

    def listen(self) -> None:
        reason = "connection closed by the PBX"
        try:
            while not self.finished.is_set():
                data = self._socket.recv(65536)
                if not data:
                    break
                with self._working():
                    self._dispatch(self._parser.feed(data))
        except OSError as exc:
            reason = f"connection error: {exc}"
        finally:
            was_open = not self.finished.is_set()
            self.finished.set()
            if was_open:
                self._guarded(self._on_closed, reason)

    def _dispatch(self, messages: list[Message]) -> None:
        events: list[Message] = []
        for message in messages:
            if message.kind == "banner":
                self._ami_version = self._parser.version
                self.greeted.set()
            elif message.kind == "response":
                keys = {key: value for key, value in reversed(message.fields[1:])}
                self._guarded(self.fire_recv_reponse, Response(message.name, keys, message.body))
            else:
                events.append(message)
        if events:
            self._guarded(self._on_messages, events)

    @staticmethod
    def _guarded(function: Callable[..., Any], *args: Any) -> None:
        """Run a callback; an exception is logged, never allowed to end the listener thread."""
        try:
            function(*args)
        except Exception:
            log.exception("AMI listener callback failed; the listener goes on")

    def disconnect(self) -> None:
        self.finished.set()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._socket.close()


class _Refusal(Exception):
    """`Response: Error` on the wire; turned into PbxRefused with the action's name by `_action`."""


def _clean(name: str, value: str) -> str:
    if any(c in value for c in "\r\n"):
        raise PbxError(f"{name}: value {value[:40]!r} contains a line break")
    return value


@dataclass(frozen=True)
class AmiOptions:
    """Deadlines (wall seconds) and dialplan names; the defaults suit a real Asterisk on a LAN."""

    action_timeout_s: float = 5.0
    ping_interval_s: float = 5.0
    ping_timeout_s: float = 3.0
    connect_timeout_s: float = 5.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    originate_context: str = "rdv-outbound"
    originate_exten: str = "amd"


class AmiPbx:
    """`dialer.ports.Pbx` over AMI: `await connect()`, then actions and `events()`; `await close()` at the end."""

    def __init__(self, host: str, port: int, username: str, secret: str, clock: Clock,
                 options: AmiOptions | None = None, seed: int | None = None) -> None:
        self.host, self.port, self.username, self._secret, self.clock = host, port, username, secret, clock
        self.options = options or AmiOptions()
        self._rng = random.Random(seed)
        self._client: _ReliableClient | None = None
        self._queue: asyncio.Queue[DialerEvent | None] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future[Response]] = {}
        self._lists: dict[str, tuple[list[Message], asyncio.Future[None]]] = {}
        self._action_calls: dict[str, str] = {}
        self.sent_originates: set[str] = set()
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock, options: AmiOptions | None = None) -> AmiPbx:
        """From Settings.ami_host/port/username/secret."""
        return cls(settings.ami_host, settings.ami_port, settings.ami_username, settings.ami_secret, clock, options)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._client is not None and not self._lost.is_set()

    async def connect(self) -> None:
        """Open the first session (errors raised: unreachable, refused login); later losses are healed alone."""
        self._loop = asyncio.get_running_loop()
        await self._open()
        self._supervisor = self._loop.create_task(self._supervise(), name=f"ami-watchdog-{self.where}")

    # -- connection --
    async def _open(self) -> None:
        assert self._loop is not None
        self._lost.clear()
        # A clock that simulates time (the demo's) is told when the listener works for the loop.
        working = getattr(self.clock, "working", nullcontext)
        client = _ReliableClient(self.host, self.port, self.options.connect_timeout_s, self._from_thread(self._deliver),
                                 self._from_thread(self._closed_by_peer), working)
        try:
            await self._loop.run_in_executor(None, client.connect)
            greeted = await self._loop.run_in_executor(None, client.greeted.wait, self.options.connect_timeout_s)
        except OSError as exc:
            raise PbxNotConnected(f"cannot reach the PBX at {self.where}: {exc}") from exc
        if not greeted:
            client.disconnect()
            raise PbxNotConnected(f"no AMI banner from {self.where} within {self.options.connect_timeout_s:.1f} s")
        self._client = client
        try:
            await self._action("Login", LoginAction(self.username, self._secret), client=client)
        except PbxRefused as exc:
            self._drop_client()
            raise PbxAuthFailed(f"AMI login as {self.username!r} refused by {self.where}: {exc}") from None
        except PbxError:
            self._drop_client()
            raise

    def _from_thread(self, function: Callable[..., None]) -> Callable[..., None]:
        """A callable for the listener thread: runs `function` in the event loop, or nothing once the loop is gone."""
        loop = self._loop
        assert loop is not None

        def bridge(*args: Any) -> None:
            try:
                loop.call_soon_threadsafe(function, *args)
            except RuntimeError:  # loop closed: nobody is listening any more
                pass

        return bridge

    def _closed_by_peer(self, reason: str) -> None:
        if not self._lost.is_set():
            self._mark_lost(reason)

    def _mark_lost(self, reason: str) -> None:
        self._lost.set()
        self._drop_client()
        for action_id, future in list(self._pending.items()):
            if not future.done():
                future.set_exception(
                    PbxNotConnected(f"connection to {self.where} lost ({reason}) before {action_id} was answered")
                )
        self._queue.put_nowait(ConnectionLost(self.clock.now(), reason))
        log.warning("AMI connection to %s lost: %s", self.where, reason)

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()

    async def _supervise(self) -> None:
        while not self._closed:
            try:
                await asyncio.wait_for(self._lost.wait(), self.options.ping_interval_s)
            except TimeoutError:
                try:
                    await self._action("Ping", Action("Ping"), timeout_s=self.options.ping_timeout_s)
                    continue
                except PbxError as exc:
                    if not self._lost.is_set():
                        self._mark_lost(f"ping failed: {exc}")
            await self._reconnect()

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closed:
            delay = min(self.options.backoff_max_s, self.options.backoff_initial_s * 2**attempt)
            await asyncio.sleep(self._rng.uniform(delay / 2, delay))
            attempt += 1
            try:
                await self._open()
            except PbxAuthFailed as exc:
                log.error("%s; retrying", exc)
            except PbxError as exc:
                log.info("AMI reconnect to %s failed (attempt %d): %s", self.where, attempt, exc)
            else:
                log.info("AMI connection to %s restored", self.where)
                self._queue.put_nowait(ConnectionRestored(self.clock.now()))
                return

    # -- actions --
    async def _action(self, name: str, action: Any, timeout_s: float | None = None,
                      client: _ReliableClient | None = None, about: str = "",
                      on_id: Callable[[str], None] | None = None) -> Response:
        """Send one action and wait for its response; PbxError subclasses say what went wrong."""
        assert self._loop is not None
        client = client or self._client
        if client is None or (self._lost.is_set() and name != "Login"):
            raise PbxNotConnected(f"{name}: not connected to the PBX at {self.where} (reconnecting)")
        action_id = client.next_action_id()
        action.keys["ActionID"] = action_id
        if on_id is not None:
            on_id(action_id)
        future: asyncio.Future[Response] = self._loop.create_future()
        self._pending[action_id] = future
        resolve = self._from_thread(self._resolve)
        try:
            await self._loop.run_in_executor(None, client.send_action, action, lambda r: resolve(action_id, r))
            return await asyncio.wait_for(asyncio.shield(future), timeout_s or self.options.action_timeout_s)
        except _Refusal as exc:
            raise PbxRefused(f"{name}{about}: the PBX said {exc.args[0]!r}") from None
        except TimeoutError:
            client._futures.pop(action_id, None)
            raise PbxTimeout(f"{name}{about} ({action_id}): no answer from {self.where} "
                             f"within {timeout_s or self.options.action_timeout_s:.1f} s") from None
        except OSError as exc:
            raise PbxNotConnected(f"{name}: could not be sent to {self.where}: {exc}") from None
        finally:
            self._pending.pop(action_id, None)

    def _resolve(self, action_id: str, response: Response) -> None:
        future = self._pending.get(action_id)
        if future is None or future.done():
            return
        if response.status.lower() == "error":
            future.set_exception(_Refusal(response.keys.get("Message", "")))
        else:
            future.set_result(response)

    # -- dialer.ports.Pbx --
    async def originate(self, request: OriginateRequest) -> None:
        """One asynchronous Originate; once sent (or attempted) for a call_id, never again."""
        call_id = request.call_id
        if call_id in self.sent_originates:
            raise DuplicateOriginate(f"Originate for call {call_id}: already sent once, never resent")
        variables = {"RDV_ATTEMPT": call_id, "RDV_QUEUE": request.queue, **request.variables}
        for name, value in variables.items():
            if "," in value or "," in name:
                raise PbxError(f"Originate for call {call_id}: variable {name} must not contain a comma")
            _clean(f"Originate for call {call_id}", f"{name}={value}")
        keys = {
            "Channel": _clean("Originate", f"Local/{request.e164}@rdv-outbound"),
            "Context": self.options.originate_context,
            "Exten": self.options.originate_exten,
            "Priority": "1",
            "Async": "true",
            "Timeout": str(int(request.ring_timeout_s * 1000)),
            "CallerID": _clean("Originate", request.caller_id),
            "ChannelId": _clean("Originate", call_id),
            "OtherChannelId": f"{call_id}-2",
        }
        if not self.connected:
            raise PbxNotConnected(f"Originate for call {call_id}: not connected to the PBX at {self.where}")
        self.sent_originates.add(call_id)  # from here on, whatever happens, the engine reconciles
        action = Action("Originate", keys, variables)
        action_id_hint = f" for call {call_id}"
        await self._action("Originate", action, about=action_id_hint, on_id=lambda aid: self._remember(aid, call_id))

    def _remember(self, action_id: str, call_id: str) -> None:
        self._action_calls[action_id] = call_id
        if len(self._action_calls) > 100_000:  # keep the newest half: old calls have long had their response
            for stale in list(self._action_calls)[:50_000]:
                del self._action_calls[stale]

    async def hangup(self, channel: str, cause: int = 16) -> None:
        await self._action("Hangup", Action("Hangup", {"Channel": _clean("Hangup", channel), "Cause": str(cause)}),
                           about=f" of {channel}")

    async def queue_add(self, queue: str, interface: str, member_name: str, paused: bool = False) -> None:
        keys = {"Queue": queue, "Interface": interface, "MemberName": member_name, "Paused": str(paused).lower()}
        await self._action("QueueAdd", Action("QueueAdd", keys), about=f" of {interface} to {queue}")

    async def queue_remove(self, queue: str, interface: str) -> None:
        keys = {"Queue": queue, "Interface": interface}
        await self._action("QueueRemove", Action("QueueRemove", keys), about=f" of {interface} from {queue}")

    async def queue_pause(self, queue: str, interface: str, paused: bool, reason: str = "") -> None:
        keys = {"Queue": queue, "Interface": interface, "Paused": str(paused).lower(),
                "Reason": _clean("QueuePause", reason)}
        await self._action("QueuePause", Action("QueuePause", keys), about=f" of {interface} in {queue}")

    async def live_channels(self) -> list[LiveChannel]:
        """Every channel the PBX has now (CoreShowChannels), for reconciliation after a reconnect."""
        items = await self._list("CoreShowChannels", Action("CoreShowChannels"))
        return [live_channel_from(item) for item in items if item.name == "CoreShowChannel"]

    async def queue_members(self, queue: str) -> set[str] | None:
        """The interfaces of a queue's members (QueueStatus), or None when the PBX has no such queue."""
        items = await self._list("QueueStatus", Action("QueueStatus", {"Queue": _clean("QueueStatus", queue)}))
        # Asterisk answers a queue it does not have with an empty list: no QueueParams for it.
        if not any(item.name == "QueueParams" and item.get("Queue") == queue for item in items):
            return None
        # QueueStatus's QueueMember names the interface `Location` (the QueueMember* events say `Interface`).
        return {item.get("Location") or item.get("Interface") for item in items
                if item.name == "QueueMember" and item.get("Queue") == queue}  # fmt: skip

    async def _list(self, name: str, action: Any) -> list[Message]:
        """Send a list action and collect its events up to the `...Complete` one."""
        assert self._loop is not None
        items: list[Message] = []
        done: asyncio.Future[None] = self._loop.create_future()

        def collect(action_id: str) -> None:
            self._lists[action_id] = (items, done)

        try:
            await self._action(name, action, on_id=collect)
            await asyncio.wait_for(done, self.options.action_timeout_s)
        except TimeoutError:
            raise PbxTimeout(f"{name}: the list from {self.where} did not end "
                             f"within {self.options.action_timeout_s:.1f} s") from None
        finally:
            for action_id in [a for a, (lst, _) in self._lists.items() if lst is items]:
                del self._lists[action_id]
        return items

    def _deliver(self, messages: list[Message]) -> None:
        """Listener batches, in the loop: list items to their action, the rest mapped to dialer events."""
        at = self.clock.now()
        for message in messages:
            listing = self._lists.get(message.get("ActionID")) if self._lists else None
            if listing is not None:
                listing[0].append(message)
                if message.get("EventList") == "Complete" and not listing[1].done():
                    listing[1].set_result(None)
                continue
            try:
                for event in events_from_message(message, at, self._action_calls):
                    self._queue.put_nowait(event)
            except Exception:
                log.exception("AMI event %s could not be mapped; skipped", message.name)

    async def events(self) -> AsyncIterator[DialerEvent]:
        """Dialer events in arrival order, connection loss and restoration included, until `close()`."""
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    async def close(self) -> None:
        """Log off, stop reconnecting and end the event stream."""
        self._closed = True
        if self._supervisor is not None:
            self._supervisor.cancel()
        if self._client is not None and not self._lost.is_set():
            try:
                await self._action("Logoff", LogoffAction(), timeout_s=1.0)
            except PbxError:
                pass
        self._drop_client()
        self._queue.put_nowait(None)
