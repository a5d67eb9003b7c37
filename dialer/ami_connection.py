"""The AMI connection: asterisk-ami's client with its listener, sender and ActionID counter made safe.

One of the AMI adapter modules (with `dialer.ami` and `dialer.ami_actions`), the only ones that import
`asterisk.ami`. The listener socket has no timeout (the library's 3 s timeout kills its listener thread
after any quiet spell; `dialer.ami`'s ping watchdog finds dead peers instead); bytes are parsed by
`dialer.amiwire`, never by the library's reader; no callback can raise into the listener thread;
`sendall` under a lock; a locked ActionID counter unique per connection.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from asterisk.ami import AMIClient, Response

from dialer.amiwire import AmiParser, Message

log = logging.getLogger(__name__)


class ReliableClient(AMIClient):  # type: ignore[misc]
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
