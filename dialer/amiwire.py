"""The Asterisk Manager Interface wire format: an incremental parser and a serializer.

Pure: no sockets, no AMI library. A message is a list of `Key: Value` lines ended by CRLF and separated
by a blank line; keys may repeat (several `Variable:` or `ChanVariable:` lines), so a message keeps
every pair in order. The connection starts with a one-line banner `Asterisk Call Manager/x.y.z`.
Malformed lines are logged and skipped: one bad byte from the PBX must never stop the event stream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

BANNER_PREFIX = "Asterisk Call Manager/"
END_COMMAND = "--END COMMAND--"
# A message or an unterminated line larger than these is garbage, not AMI: drop it rather than grow forever.
MAX_LINE_BYTES = 64 * 1024
MAX_FIELDS = 2000


class Message:
    """One AMI message (action, response, event or banner): ordered pairs, repeated keys kept."""

    __slots__ = ("fields", "body", "_first")

    def __init__(self, fields: list[tuple[str, str]], body: list[str] | None = None) -> None:
        self.fields = fields
        self.body = body or []
        self._first = dict(reversed(fields))  # the first value of a repeated key wins

    @classmethod
    def of(cls, *pairs: tuple[str, str], **keys: str) -> Message:
        """A message from pairs then keyword keys, in that order."""
        return cls([*pairs, *keys.items()])

    @property
    def kind(self) -> str:
        """`event`, `response`, `action` or `banner`, from the first key."""
        return self.fields[0][0].lower() if self.fields else ""

    @property
    def name(self) -> str:
        """The value of the first key: the event name, the response status or the action name."""
        return self.fields[0][1] if self.fields else ""

    def get(self, key: str, default: str = "") -> str:
        """The first value of `key`, or `default`."""
        return self._first.get(key, default)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated key, in order."""
        return [value for name, value in self.fields if name == key]

    def __contains__(self, key: object) -> bool:
        return key in self._first

    def keys(self) -> list[str]:
        """Keys in wire order (repeats included)."""
        return [key for key, _ in self.fields]

    def variables(self) -> dict[str, str]:
        """`Variable:`/`ChanVariable:` lines of the form `NAME=value`, as a mapping."""
        found: dict[str, str] = {}
        for key, value in self.fields:
            if key in ("Variable", "ChanVariable"):
                name, _, val = value.partition("=")
                found[name] = val
        return found

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self.fields == other.fields and self.body == other.body

    def __hash__(self) -> int:
        return hash(tuple(self.fields))

    def __repr__(self) -> str:
        return f"Message({self.fields!r})"


def banner(version: str = "11.0.0") -> Message:
    """The greeting line a server sends first (Asterisk 22.10.1 says AMI 11.0.0)."""
    return Message([("Banner", f"{BANNER_PREFIX}{version}")])


def serialize(message: Message | Iterable[tuple[str, str]]) -> bytes:
    """Wire bytes of one message; a banner is one line, anything else ends with a blank line."""
    fields = message.fields if isinstance(message, Message) else list(message)
    if len(fields) == 1 and fields[0][0] == "Banner":
        return (fields[0][1] + "\r\n").encode()
    parts = []
    for key, value in fields:
        if "\n" in value or "\r" in value or "\n" in key or "\r" in key:
            raise ValueError(f"AMI field {key!r} contains a line break, which would split the message")
        parts.append(f"{key}: {value}\r\n")
    if isinstance(message, Message) and message.body:
        parts.extend(line + "\r\n" for line in message.body)
        parts.append(END_COMMAND + "\r\n")
    parts.append("\r\n")
    return "".join(parts).encode()


class AmiParser:
    """Feed bytes as they arrive, get whole messages back; keeps partial lines between calls."""

    def __init__(self, expect_banner: bool = True) -> None:
        self._buffer = bytearray()
        self._expect_banner = expect_banner
        self._fields: list[tuple[str, str]] = []
        self._body: list[str] = []
        self._follows = False
        self._slow = expect_banner  # banner and `Response: Follows` bodies take the line-by-line path
        self.version = ""
        self.skipped = 0

    def feed(self, data: bytes) -> list[Message]:
        """Messages completed by `data`, in order."""
        buffer = self._buffer
        buffer += data
        end = buffer.rfind(b"\n")
        if end < 0:
            if len(buffer) > MAX_LINE_BYTES:
                self._skip(f"{len(buffer)} bytes without a line end")
                buffer.clear()
            return []
        text = buffer[: end + 1].decode("utf-8", "replace")
        del buffer[: end + 1]
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        out: list[Message] = []
        if text.startswith("\n"):
            # The previous read ended with a line end, so this is the blank line that closes a message.
            if self._fields:
                self._finish(out)
            text = text.lstrip("\n")
        # Whole messages at once (split on the blank line) rather than line by line: the hot path of the dialer.
        parts = text.split("\n\n")
        tail = parts.pop()
        for part in parts:
            self._lines(part.split("\n"), out)
            if self._fields:
                self._finish(out)
        if tail:
            self._lines(tail.split("\n"), out)
        return out

    def _lines(self, lines: list[str], out: list[Message]) -> None:
        fields = self._fields
        for line in lines:
            if not line:
                continue
            if self._slow:
                self._line(line, out)
                fields = self._fields
                continue
            key, sep, value = line.partition(": ")
            if sep and key and " " not in key:
                if not fields and key == "Response" and value == "Follows":
                    self._follows = self._slow = True
                fields.append((key, value))
            else:
                self._line(line, out)
                fields = self._fields
        if len(fields) > MAX_FIELDS:
            self._skip(f"message of more than {MAX_FIELDS} fields")
            self._fields = []

    def _line(self, line: str, out: list[Message]) -> None:
        if self._expect_banner:
            self._expect_banner = False
            self._slow = self._follows
            if line.startswith(BANNER_PREFIX):
                self.version = line[len(BANNER_PREFIX) :]
                out.append(Message([("Banner", line)]))
                return
            log.warning("AMI stream did not start with a banner; parsing it anyway")
        key, sep, value = line.partition(":")
        is_pair = bool(sep and key) and " " not in key
        if self._follows:
            # Old-style `Response: Follows`: raw command output up to the end marker, after the header keys.
            if line == END_COMMAND:
                self._finish(out)
                return
            if self._body or not is_pair:
                self._body.append(line)
                return
        elif not is_pair:
            self._skip(f"line without 'Key: Value' ({len(line)} chars)")
            return
        if value.startswith(" "):
            value = value[1:]
        if not self._fields and key == "Response" and value == "Follows":
            self._follows = self._slow = True
        self._fields.append((key, value))

    def _finish(self, out: list[Message]) -> None:
        out.append(Message(self._fields, self._body))
        self._fields = []
        self._body = []
        self._follows = self._slow = False

    def _skip(self, why: str) -> None:
        self.skipped += 1
        log.warning("AMI: skipped malformed input: %s", why)


def parse_all(data: bytes, expect_banner: bool = False) -> list[Message]:
    """Every message of a complete stream (a file of recorded traffic), the last one even without a blank line."""
    parser = AmiParser(expect_banner=expect_banner)
    messages = parser.feed(data)
    return messages + parser.feed(b"\r\n\r\n" if not data.endswith(b"\n") else b"\r\n")
