"""A real SMTP server (aiosmtpd) on loopback for the mailer tests, with scripted replies and optional STARTTLS."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Recorder:
    """Accepts messages, or answers the next scripted reply (e.g. `451 …`) first."""

    replies: list[str] = field(default_factory=list)
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    tries: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tries += 1
        if self.replies:
            return self.replies.pop(0)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 OK queued"


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: Recorder
    logins: list[str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _authenticator(logins: list[str]) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"centre", b"s3cret")
        if ok:
            logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on an ephemeral loopback port."""
    recorder, logins = Recorder(), list[str]()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, recorder, logins)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
         "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def starttls_server(self_signed: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS, then a login (centre / s3cret)."""
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder, logins = Recorder(), list[str]()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=_free_port(), tls_context=context, require_starttls=True,
        auth_required=True, authenticator=_authenticator(logins),
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, recorder, logins)
    finally:
        controller.stop()
