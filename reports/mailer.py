"""Sending what the outbox holds: SMTP through the standard library, or `.eml` files into a folder.

`deliver_pending()` is what the scheduler calls: each due message is locked, handed to the transport and
its result recorded in the same transaction, so a crash leaves it pending (sent again, never lost).
Addresses never appear in logs: only outbox ids and server replies without recipients.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.i18n import _, fmt_os_error, ngettext
from config.settings import Settings
from reports.backoff import RetryPolicy, after_failure
from reports.outbox import FAILED, FILED, PENDING, SENT, OutboxMessage, due_ids

log = logging.getLogger(__name__)
ADDRESS = re.compile(r"[^\s<>\"',;:]+@[^\s<>\"',;:]+")


def scrub(reason: str) -> str:
    """A server reply without the e-mail addresses it may quote (kept out of logs and listings)."""
    return ADDRESS.sub("<address>", reason)


class DeliveryDeferred(OSError):
    """The server could not take the message now (4xx reply, connection lost): try again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryRejected(OSError):
    """The server refused the message (5xx reply)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    """What a transport needs of one outbox message."""

    outbox_id: int
    kind: str
    day: date | None
    mail_from: str
    to: tuple[str, ...]
    raw: bytes


class Transport(Protocol):
    status: str

    def deliver(self, envelope: Envelope) -> str:
        """Hand the message over; return where it went, or raise DeliveryDeferred / DeliveryRejected."""
        ...


class FolderTransport:
    """Writes each message as an `.eml` file: the embedded default when no SMTP server is configured."""

    status = FILED

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, envelope: Envelope) -> str:
        stamp = envelope.day.isoformat() + "-" if envelope.day else ""
        path = self.folder / f"{stamp}{envelope.kind}-{envelope.outbox_id:06d}.eml"
        partial = path.with_suffix(".eml.part")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(envelope.raw)
            # A reader of the folder never sees half a message.
            os.replace(partial, path)
        except OSError as exc:
            reason = _("cannot write {path}: {reason}").format(path=path, reason=fmt_os_error(exc))
            raise DeliveryDeferred(reason) from exc
        return str(path)


class SmtpTransport:
    """SMTP with STARTTLS and login when configured (smtplib)."""

    status = SENT

    def __init__(
        self, host: str, port: int = 587, username: str = "", password: str = "", starttls: bool = True,
        timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.starttls, self.timeout = starttls, timeout
        self.ssl_context = ssl_context

    def deliver(self, envelope: Envelope) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.sendmail(envelope.mail_from, list(envelope.to), envelope.raw)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _message in exc.recipients.values()})
            reason = ngettext("the recipient was refused ({codes})", "all {count} recipients were refused ({codes})",
                              len(exc.recipients)).format(count=len(exc.recipients), codes=", ".join(map(str, codes)))
            raise (DeliveryRejected if all(c >= 500 for c in codes) else DeliveryDeferred)(reason) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            reason = f"{exc.smtp_code} {text}".strip()
            raise (DeliveryRejected if exc.smtp_code >= 500 else DeliveryDeferred)(reason) from None
        except (smtplib.SMTPException, OSError) as exc:
            # smtplib's exceptions are OSErrors too: a refused connection and a dropped session alike.
            raise DeliveryDeferred(_("SMTP server {host}:{port}: {reason}").format(
                host=self.host, port=self.port, reason=fmt_os_error(exc))) from None
        return f"smtp://{self.host}:{self.port}"


def transport_from_settings(settings: Settings, folder: Path | None = None) -> Transport:
    """SMTP when a host is configured, else `.eml` files into `folder` (default: the settings' outbox folder)."""
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host, settings.smtp_port, settings.smtp_username, settings.smtp_password,
            settings.smtp_starttls,
        )
    return FolderTransport(folder or settings.outbox_dir)


@dataclass
class DeliveryReport:
    """Counts of one pass over the outbox."""

    delivered: int = 0
    deferred: int = 0
    failed: int = 0
    # (outbox id, reason) of each message not delivered in this pass, for the person who asked for it.
    problems: list[tuple[int, str]] = field(default_factory=list)


def deliver_pending(
    sessions: sessionmaker[Session], transport: Transport, now: datetime,
    policy: RetryPolicy = RetryPolicy(), limit: int = 100,
) -> DeliveryReport:
    """Try every due pending message once; record success, the next try, or the final failure."""
    report = DeliveryReport()
    with sessions() as session:
        ids = due_ids(session, now, limit)
    for outbox_id in ids:
        with sessions.begin() as session:
            row = session.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.id == outbox_id, OutboxMessage.status == PENDING)
                .with_for_update(skip_locked=True)
            )
            if row is None:  # another process took it
                continue
            _try_one(row, transport, now, policy, report)
    return report


def _try_one(row: OutboxMessage, transport: Transport, now: datetime, policy: RetryPolicy,
             report: DeliveryReport) -> None:
    envelope = Envelope(row.id, row.kind, row.day, row.mail_from, tuple(row.to), row.raw)
    row.attempts += 1
    try:
        row.delivered_to = transport.deliver(envelope)
    except (DeliveryDeferred, DeliveryRejected) as exc:
        if isinstance(exc, DeliveryRejected):
            row.permanent_failures += 1
        reason = scrub(exc.reason)[:2000]
        row.last_error = reason
        report.problems.append((row.id, reason))
        decision = after_failure(row.attempts, row.permanent_failures, policy, now)
        if decision.give_up:
            row.status, row.next_try_at = FAILED, None
            report.failed += 1
            log.error("outbox #%d failed for good after %d tries: %s", row.id, row.attempts, reason)
        else:
            row.next_try_at = decision.next_try_at
            report.deferred += 1
            log.warning("outbox #%d not delivered (try %d), next at %s: %s", row.id, row.attempts,
                        row.next_try_at, reason)
        return
    row.status, row.sent_at, row.next_try_at = transport.status, now, None
    report.delivered += 1
    log.info("outbox #%d delivered (%s) on try %d", row.id, row.kind, row.attempts)
