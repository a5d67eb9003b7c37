"""The AMI session under the adapter: one connection to one PBX, kept alive and ready.

One of the AMI adapter modules (`dialer.ami`, `dialer.ami_session`, `dialer.ami_readiness`, `dialer.ami_connection`,
`dialer.ami_actions`), the only ones that import `asterisk.ami`:
- a lost connection (peer closed, ping unanswered, Asterisk restarted) is re-opened with exponential
  backoff (cap + jitter); the engine is told by ConnectionLost / ConnectionRestored;
- nothing but Login and Ping is sent before Asterisk says `FullyBooted` on the session: between the login
  and that event app_queue's commands and the dialplan do not exist yet (real Asterisk 22 answered
  "Invalid/unknown command" and "Extension does not exist."); ConnectionRestored comes only once booted;
- an action refused because the PBX was booting or shutting down (a Shutdown event, or the session lost,
  explains the refusal) is sent again after the next FullyBooted: it was not acted upon;
- every action has a deadline and fails with a PbxError subclass naming the action and the reason, with
  phone numbers masked (a channel name carries the callee's number).
Network deadlines (ping, action timeouts, backoff, boot) are wall-clock seconds whatever the Clock says:
they protect a TCP connection, not a simulated call. Event times (`at`) come from the Clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from asterisk.ami import Action, LoginAction, LogoffAction, Response

from config.clock import Clock
from dialer import ami_actions as acts
from dialer.ami_actions import masked
from dialer.ami_connection import ReliableClient
from dialer.ami_readiness import Readiness
from dialer.amiwire import Message
from dialer.ports import (
    ConnectionLost,
    ConnectionRestored,
    DialerEvent,
    PbxAuthFailed,
    PbxError,
    PbxNotConnected,
    PbxRefused,
    PbxTimeout,
    PbxUnreachable,
)

log = logging.getLogger(__name__)


class _Refusal(Exception):
    """`Response: Error` on the wire; turned into PbxRefused with the action's name by `_action`."""


@dataclass(frozen=True)
class AmiOptions:
    """Deadlines (wall seconds) and dialplan names; the defaults suit a real Asterisk on a LAN."""

    action_timeout_s: float = 5.0
    ping_interval_s: float = 5.0
    ping_timeout_s: float = 3.0
    connect_timeout_s: float = 5.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    # How long a session may take from login to FullyBooted, and an action refused as "not ready" may wait.
    boot_timeout_s: float = 30.0
    # After a "not ready" refusal, how long to wait for the Shutdown or the closed connection that explains it.
    not_ready_grace_s: float = 1.0
    originate_context: str = "rdv-outbound"
    originate_exten: str = "amd"


class AmiSession:
    """One AMI user's session to one PBX, kept alive: (re)connection, watchdog, readiness, actions with
    deadlines, list actions and the event queue. `dialer.ami.AmiPbx` adds the dialer's actions on top."""

    def __init__(self, host: str, port: int, username: str, secret: str, clock: Clock,
                 options: AmiOptions | None = None, seed: int | None = None) -> None:
        self.host, self.port, self.username, self._secret, self.clock = host, port, username, secret, clock
        self.options = options or AmiOptions()
        self._rng = random.Random(seed)
        self._client: ReliableClient | None = None
        self._queue: asyncio.Queue[DialerEvent | None] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future[Response]] = {}
        self._lists: dict[str, tuple[list[Message], asyncio.Future[None]]] = {}
        self.ready = Readiness(self.where, self.options.boot_timeout_s, self.options.not_ready_grace_s)
        self._lost = self.ready.lost
        self._supervisor: asyncio.Task[None] | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._client is not None and not self._lost.is_set()

    @property
    def booted(self) -> bool:
        """Connected, and Asterisk said FullyBooted on this session (and no Shutdown since)."""
        return self.connected and self.ready.booted.is_set()

    async def connect(self) -> None:
        """Open the first session up to FullyBooted (errors raised: unreachable, refused login, never booted);
        later losses are healed alone."""
        self._loop = asyncio.get_running_loop()
        await self._open()
        self._supervisor = self._loop.create_task(self._supervise(), name=f"ami-watchdog-{self.where}")

    # -- connection --
    async def _open(self) -> None:
        assert self._loop is not None
        self.ready.opened()
        # A clock that simulates time (the demo's) is told when the listener works for the loop.
        working = getattr(self.clock, "working", nullcontext)
        client = ReliableClient(self.host, self.port, self.options.connect_timeout_s, self._from_thread(self._deliver),
                                self._from_thread(self._closed_by_peer), working)
        try:
            await self._loop.run_in_executor(None, client.connect)
            greeted = await self._loop.run_in_executor(None, client.greeted.wait, self.options.connect_timeout_s)
        except OSError as exc:
            raise PbxUnreachable.from_os_error(self.where, exc) from exc
        if not greeted:
            client.disconnect()
            raise PbxUnreachable(self.where, "no_banner")
        self._client = client
        try:
            await self._action("Login", LoginAction(self.username, self._secret), client=client)
            await self.ready.until_booted(self._loop.time() + self.options.boot_timeout_s, "Login",
                                          connected=lambda: self.connected)
        except PbxRefused as exc:
            self._drop_client()
            raise PbxAuthFailed(f"AMI login as {self.username!r} refused by {self.where}: {exc}", self.where,
                                self.username) from None
        except PbxError:
            self._drop_client()
            raise
        await self._after_open()

    async def _after_open(self) -> None:
        """A session is up and booted, before anyone is told: what must be true again on it."""

    async def _on_beat(self) -> None:
        """Each watchdog beat with a live session."""

    def _deliver(self, messages: list[Message]) -> None:
        """Listener batches, in the loop (overridden by the adapter)."""
        for message in messages:
            self._take_session_message(message)

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
        self.ready.went_away()
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
                async with asyncio.timeout(self.options.ping_interval_s):
                    await self._lost.wait()
            except TimeoutError:
                try:
                    await self._action("Ping", Action("Ping"), timeout_s=self.options.ping_timeout_s)
                except PbxError as exc:
                    if not self._lost.is_set():
                        self._mark_lost(f"ping failed: {exc}")
                else:
                    await self._on_beat()
                    continue
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

    async def _act(self, name: str, action: Any, about: str = "",
                   on_id: Callable[[str], None] | None = None) -> Response:
        """An action of the dialer: sent once booted, and sent again after the next FullyBooted if the PBX
        refused it as booting or shutting down."""
        assert self._loop is not None
        deadline = self._loop.time() + self.options.boot_timeout_s
        while True:
            await self.ready.until_booted(deadline, name, about, connected=lambda: self.connected)
            boots = self.ready.boots
            try:
                return await self._action(name, action, about=about, on_id=on_id)
            except PbxRefused as exc:
                if not acts.not_ready(exc.pbx_message) or not await self.ready.down_since(boots):
                    raise
                log.info("%s%s refused while the PBX was not ready (%s); sent again after FullyBooted",
                         name, masked(about), masked(exc.pbx_message))
                await self.ready.until_rebooted(boots, deadline, f"{name}{masked(about)}",
                                                ready=lambda: self.booted and not self._closed)

    # -- one action --
    async def _action(self, name: str, action: Any, timeout_s: float | None = None,
                      client: ReliableClient | None = None, about: str = "",
                      on_id: Callable[[str], None] | None = None) -> Response:
        """Send one action and wait for its response; PbxError subclasses say what went wrong."""
        assert self._loop is not None
        client = client or self._client
        about = masked(about)
        if client is None or (self._lost.is_set() and name != "Login"):
            raise PbxNotConnected(f"{name}{about}: not connected to the PBX at {self.where} (reconnecting)")
        action_id = client.next_action_id()
        action.keys["ActionID"] = action_id
        if on_id is not None:
            on_id(action_id)
        future: asyncio.Future[Response] = self._loop.create_future()
        self._pending[action_id] = future
        resolve = self._from_thread(self._resolve)
        try:
            await self._loop.run_in_executor(None, client.send_action, action, lambda r: resolve(action_id, r))
            async with asyncio.timeout(timeout_s or self.options.action_timeout_s):
                return await asyncio.shield(future)
        except _Refusal as exc:
            text = exc.args[0]
            raise PbxRefused(f"{name}{about}: the PBX said {masked(text)!r}", pbx_message=text) from None
        except TimeoutError:
            client._futures.pop(action_id, None)
            raise PbxTimeout(f"{name}{about} ({action_id}): no answer from {self.where} "
                             f"within {timeout_s or self.options.action_timeout_s:.1f} s") from None
        except OSError as exc:
            raise PbxNotConnected(f"{name}{about}: could not be sent to {self.where}: {exc}") from None
        finally:
            self._pending.pop(action_id, None)
            # A loss during the send also fails the future, which nobody awaits then: asyncio would log that
            # as an unretrieved error (a traceback at ERROR per action in flight at each AMI cut).
            if future.done() and not future.cancelled():
                future.exception()

    def _resolve(self, action_id: str, response: Response) -> None:
        future = self._pending.get(action_id)
        if future is None or future.done():
            return
        if response.status.lower() == "error":
            future.set_exception(_Refusal(response.keys.get("Message", "")))
        else:
            future.set_result(response)

    async def _list(self, name: str, action: Any, about: str = "") -> list[Message]:
        """A list action (EventList): the items up to the `...Complete` event."""
        assert self._loop is not None
        items: list[Message] = []
        done: asyncio.Future[None] = self._loop.create_future()

        def collect(action_id: str) -> None:
            self._lists[action_id] = (items, done)

        try:
            await self._act(name, action, about=about, on_id=collect)
            async with asyncio.timeout(self.options.action_timeout_s):
                await done
        except TimeoutError:
            raise PbxTimeout(f"{name}{about}: the list from {self.where} did not end "
                             f"within {self.options.action_timeout_s:.1f} s") from None
        finally:
            for action_id in [a for a, (lst, _) in self._lists.items() if lst is items]:
                del self._lists[action_id]
        return items


    def _take_session_message(self, message: Message) -> bool:
        """List items go to their action, FullyBooted/Shutdown to the readiness state; True if taken."""
        listing = self._lists.get(message.get("ActionID")) if self._lists else None
        if listing is not None:
            listing[0].append(message)
            if message.get("EventList") == "Complete" and not listing[1].done():
                listing[1].set_result(None)
            return True
        return self.ready.take(message)

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

