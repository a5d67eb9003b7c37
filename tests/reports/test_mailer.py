"""The mailer against a real SMTP server on loopback: delivery, retries with backoff, STARTTLS, folder mode."""

from __future__ import annotations

import email
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from reports.backoff import RetryPolicy
from reports.mailer import FolderTransport, SmtpTransport, deliver_pending
from reports.outbox import FAILED, FILED, PENDING, SENT, OutboxMessage, listed, store_message
from tests.reports.conftest import SmtpServer

T0 = datetime(2026, 11, 23, 18, 15, tzinfo=UTC)
POLICY = RetryPolicy(base=timedelta(minutes=1), cap=timedelta(minutes=10), max_permanent_failures=3)


def _message(n: int = 1) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Centre <rdv@centre.example>"
    message["To"] = "rdv@client.example, direction@client.example"
    message["Subject"] = f"Vos rendez-vous n°{n}"
    message["Message-ID"] = f"<m{n}@centre.example>"
    message.set_content("Bonjour,\n\nVoici vos rendez-vous.\n")
    return message


def _queue(sessions: sessionmaker[Session], count: int = 1) -> list[int]:
    with sessions.begin() as session:
        return [store_message(session, _message(n), kind="test", now=T0).id for n in range(1, count + 1)]


def _row(sessions: sessionmaker[Session], outbox_id: int) -> OutboxMessage:
    with sessions() as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        return row


def test_a_stored_message_reaches_the_smtp_server_once(
    sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    ids = _queue(sessions, 2)
    transport = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False)
    report = deliver_pending(sessions, transport, T0, POLICY)
    assert (report.delivered, report.deferred, report.failed) == (2, 0, 0)
    assert deliver_pending(sessions, transport, T0 + timedelta(hours=1), POLICY).delivered == 0
    assert len(smtp_server.recorder.received) == 2
    sender, recipients, raw = smtp_server.recorder.received[0]
    assert sender == "rdv@centre.example"
    assert recipients == ["rdv@client.example", "direction@client.example"]
    assert email.message_from_bytes(raw, policy=default)["Message-ID"] == "<m1@centre.example>"
    row = _row(sessions, ids[0])
    assert (row.status, row.attempts, row.sent_at, row.next_try_at) == (SENT, 1, T0, None)


def test_a_refusing_server_gets_the_message_later_with_growing_delays_and_nothing_lost(
    sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    (outbox_id,) = _queue(sessions)
    smtp_server.recorder.replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    transport = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False)

    assert deliver_pending(sessions, transport, T0, POLICY).deferred == 1
    row = _row(sessions, outbox_id)
    assert (row.status, row.attempts, row.next_try_at) == (PENDING, 1, T0 + timedelta(minutes=1))
    assert row.last_error == "451 4.3.0 Try again later"
    # Not due yet: the server is not asked again.
    assert deliver_pending(sessions, transport, T0 + timedelta(seconds=59), POLICY).deferred == 0
    assert smtp_server.recorder.tries == 1

    second = T0 + timedelta(minutes=1)
    assert deliver_pending(sessions, transport, second, POLICY).deferred == 1
    assert _row(sessions, outbox_id).next_try_at == second + timedelta(minutes=2)

    third = second + timedelta(minutes=2)
    assert deliver_pending(sessions, transport, third, POLICY).delivered == 1
    row = _row(sessions, outbox_id)
    assert (row.status, row.attempts, row.sent_at) == (SENT, 3, third)
    assert [email.message_from_bytes(r[2], policy=default)["Subject"] for r in smtp_server.recorder.received] == [
        "Vos rendez-vous n°1"
    ]


def test_a_server_that_is_down_defers_the_message(sessions: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    (outbox_id,) = _queue(sessions)
    closed = SmtpTransport("127.0.0.1", 1, starttls=False, timeout=5)
    assert deliver_pending(sessions, closed, T0, POLICY).deferred == 1
    assert _row(sessions, outbox_id).last_error == "serveur SMTP 127.0.0.1:1 : connexion refusée"
    open_server = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False)
    assert deliver_pending(sessions, open_server, T0 + timedelta(minutes=1), POLICY).delivered == 1


def test_a_permanent_refusal_ends_as_failed_with_the_reason_and_stays_listed(
    sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    (outbox_id,) = _queue(sessions)
    smtp_server.recorder.replies = ["554 5.7.1 Message from rdv@centre.example rejected as spam"] * 3
    transport = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False)
    moment = T0
    for _ in range(2):
        assert deliver_pending(sessions, transport, moment, POLICY).deferred == 1
        moment = _row(sessions, outbox_id).next_try_at or moment
    assert deliver_pending(sessions, transport, moment, POLICY).failed == 1
    row = _row(sessions, outbox_id)
    assert (row.status, row.attempts, row.permanent_failures, row.next_try_at) == (FAILED, 3, 3, None)
    # The reason is kept without the addresses a server may quote.
    assert row.last_error == "554 5.7.1 Message from <address> rejected as spam"
    assert smtp_server.recorder.received == []
    with sessions() as session:
        assert [m.id for m in listed(session)] == [outbox_id]
    assert deliver_pending(sessions, transport, moment + timedelta(days=1), POLICY).failed == 0


def test_starttls_and_login_are_used_when_configured(
    sessions: sessionmaker[Session], starttls_server: SmtpServer, self_signed: tuple[Path, Path]
) -> None:
    _queue(sessions)
    trusted = ssl.create_default_context(cafile=str(self_signed[0]))
    transport = SmtpTransport(starttls_server.host, starttls_server.port, username="centre", password="s3cret",
                              starttls=True, ssl_context=trusted)
    assert deliver_pending(sessions, transport, T0, POLICY).delivered == 1
    assert starttls_server.logins == ["centre"]
    assert len(starttls_server.recorder.received) == 1


def test_a_wrong_password_is_a_refusal_and_nothing_is_sent(
    sessions: sessionmaker[Session], starttls_server: SmtpServer, self_signed: tuple[Path, Path]
) -> None:
    (outbox_id,) = _queue(sessions)
    trusted = ssl.create_default_context(cafile=str(self_signed[0]))
    transport = SmtpTransport(starttls_server.host, starttls_server.port, username="centre", password="wrong",
                              starttls=True, ssl_context=trusted)
    assert deliver_pending(sessions, transport, T0, POLICY).deferred == 1
    row = _row(sessions, outbox_id)
    assert row.permanent_failures == 1 and row.last_error.startswith("535")
    assert starttls_server.recorder.received == []


def test_without_smtp_messages_are_written_as_eml_files(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ids = _queue(sessions, 2)
    out = tmp_path / "outbox"
    assert deliver_pending(sessions, FolderTransport(out), T0, POLICY).delivered == 2
    files = sorted(out.glob("*.eml"))
    assert [f.name for f in files] == [f"test-{ids[0]:06d}.eml", f"test-{ids[1]:06d}.eml"]
    parsed = email.message_from_bytes(files[1].read_bytes(), policy=default)
    assert parsed["Subject"] == "Vos rendez-vous n°2"
    assert parsed.get_content().startswith("Bonjour")
    row = _row(sessions, ids[0])
    assert (row.status, row.delivered_to) == (FILED, str(files[0]))
    assert list(out.glob("*.part")) == []


def test_a_folder_that_cannot_be_written_defers_the_message(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    (outbox_id,) = _queue(sessions)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert deliver_pending(sessions, FolderTransport(blocker), T0, POLICY).deferred == 1
    assert _row(sessions, outbox_id).status == PENDING
