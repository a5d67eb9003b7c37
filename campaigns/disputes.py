"""Disputes: a client contests an RDV in a thread of messages with files; a supervisor answers and settles it.

The settlement moves the appointment through the same lifecycle as `rdv appointments set`: accepted, the RDV
is cancelled (not billable); refused, it stays as it is; a false cancellation ("fausse chute") needs a proof
(reference, note and file) and records who decided. Files are checked by their content, not their name, and
stored under the data folder by SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import CANCELLED, CANCELLED_BY_CLIENT, FALSE_CANCELLATION, Proof, check_transition
from campaigns.appointment_services import change_state, get_appointment
from campaigns.portal_models import Dispute, DisputeAttachment, DisputeMessage
from config.i18n import _

MAX_BYTES = 5 * 1024 * 1024
FILES_DIR = "disputes"
OPEN = "open"
ACCEPTED = "accepted"
REFUSED = "refused"
DECISIONS = (ACCEPTED, REFUSED, FALSE_CANCELLATION)
GROUNDS: dict[str, Callable[[], str]] = {
    "not_conforming": lambda: _("not conforming"),
    "wrong_address": lambda: _("wrong address"),
    "duplicate": lambda: _("duplicate"),
    "out_of_area": lambda: _("outside the sales area"),
    "other": lambda: _("other"),
}
STATUS: dict[str, Callable[[], str]] = {
    # Whole phrases, not bare words: "refused" already means a prospect's refusal elsewhere in the catalogue.
    OPEN: lambda: _("dispute open"),
    ACCEPTED: lambda: _("dispute accepted"),
    REFUSED: lambda: _("dispute refused"),
    FALSE_CANCELLATION: lambda: _("false cancellation (fausse chute)"),
}
# What a file's first bytes must be for each type a dispute accepts.
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


class DisputeNotFound(LookupError):
    """No dispute has this id (or it is not the caller's)."""

    def __init__(self, dispute_id: int) -> None:
        super().__init__(_("Unknown dispute: {id}").format(id=dispute_id))


class DisputeClosed(ValueError):
    """A dispute already settled, or an RDV that has one open already."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidDispute(ValueError):
    """A dispute, message or decision with a field missing or not in the list."""

    def __init__(self, field: str, value: str = "") -> None:
        what = {"ground": _("the ground"), "message": _("the message"), "decision": _("the decision"),
                "reason": _("the reason")}.get(field, field)
        super().__init__(_("Dispute: {what} is missing or not in the list ({value}).").format(
            what=what, value=value or "—"))
        self.field = field


class InvalidAttachment(ValueError):
    """A file too big, empty, or whose content is not a PDF, PNG or JPEG."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(_("File {name}: {problem}").format(name=name, problem=problem))


@dataclass(frozen=True)
class StoredFile:
    file_name: str
    media_type: str
    size: int
    sha256: str
    path: str


def media_type_of(name: str, data: bytes) -> str:
    """The file's type read from its content; refuses anything else than PDF, PNG and JPEG, or too big."""
    if not data:
        raise InvalidAttachment(name, _("the file is empty"))
    if len(data) > MAX_BYTES:
        raise InvalidAttachment(name, _("larger than {n} MB").format(n=MAX_BYTES // (1024 * 1024)))
    for signature, media_type in SIGNATURES:
        if data.startswith(signature):
            return media_type
    raise InvalidAttachment(name, _("only PDF, PNG and JPEG files are accepted"))


def store_file(data_dir: Path, name: str, data: bytes) -> StoredFile:
    """Check the file and write it once under `<data>/disputes/<sha256>`; the same content is stored once."""
    media_type = media_type_of(name, data)
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{FILES_DIR}/{digest[:2]}/{digest}"
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    clean = Path(name.replace("\\", "/")).name.strip()[:200] or digest[:12]
    return StoredFile(clean, media_type, len(data), digest, relative)


def _message(dispute: Dispute, author: str, role: str, body: str, now: datetime,
             files: Sequence[StoredFile]) -> DisputeMessage:
    message = DisputeMessage(author=author, role=role, body=body.strip(), at=now)
    message.attachments = [DisputeAttachment(file_name=f.file_name, media_type=f.media_type, size=f.size,
                                             sha256=f.sha256, path=f.path) for f in files]  # fmt: skip
    dispute.messages.append(message)
    return message


def open_dispute(session: Session, appointment_id: int, ground: str, body: str, *, by: str, now: datetime,
                 files: Sequence[StoredFile] = ()) -> Dispute:
    """A client's contest of an RDV, with its first message; one open dispute per RDV at a time."""
    if ground not in GROUNDS:
        raise InvalidDispute("ground", ground)
    if not body.strip():
        raise InvalidDispute("message")
    get_appointment(session, appointment_id, lock=True)
    already = session.scalar(select(Dispute.id).where(Dispute.appointment_id == appointment_id,
                                                      Dispute.status == OPEN))  # fmt: skip
    if already is not None:
        raise DisputeClosed(_("This RDV already has an open dispute (no. {id}).").format(id=already))
    dispute = Dispute(appointment_id=appointment_id, ground=ground, status=OPEN, opened_by=by, opened_at=now)
    _message(dispute, by, "client", body, now, files)
    session.add(dispute)
    session.flush()
    return dispute


def get_dispute(session: Session, dispute_id: int) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise DisputeNotFound(dispute_id)
    return dispute


def add_message(session: Session, dispute_id: int, body: str, *, by: str, role: str, now: datetime,
                files: Sequence[StoredFile] = ()) -> DisputeMessage:
    """A message in the thread (client or supervisor), while the dispute is open."""
    dispute = get_dispute(session, dispute_id)
    if dispute.status != OPEN:
        raise DisputeClosed(_("This dispute is settled; open a new one if needed."))
    if not body.strip() and not files:
        raise InvalidDispute("message")
    message = _message(dispute, by, role, body, now, files)
    session.flush()
    return message


def settle(session: Session, dispute_id: int, decision: str, reason: str, *, by: str, now: datetime,
           proof_reference: str = "", proof_file: StoredFile | None = None) -> Dispute:
    """Close the dispute with `decision` and move the RDV accordingly (same rules as the CLI)."""
    dispute = get_dispute(session, dispute_id)
    if dispute.status != OPEN:
        raise DisputeClosed(_("This dispute is settled already."))
    if decision not in DECISIONS:
        raise InvalidDispute("decision", decision)
    if not reason.strip():
        raise InvalidDispute("reason")
    appointment = get_appointment(session, dispute.appointment_id, lock=True)
    note = _("dispute no. {id}: {reason}").format(id=dispute.id, reason=reason.strip())
    if decision == ACCEPTED:
        if appointment.state != CANCELLED_BY_CLIENT:
            check_transition(appointment.state, CANCELLED_BY_CLIENT)
            change_state(session, appointment.id, CANCELLED_BY_CLIENT, by=by, now=now, note=note)
        change_state(session, appointment.id, CANCELLED, by=by, now=now, note=note)
    elif decision == FALSE_CANCELLATION:
        proof = Proof(proof_reference, reason, proof_file.file_name if proof_file else "")
        change_state(session, appointment.id, FALSE_CANCELLATION, by=by, now=now, note=note, proof=proof)
    _message(dispute, by, "supervisor", reason, now, [proof_file] if proof_file else [])
    dispute.status, dispute.decided_by, dispute.decided_at = decision, by, now
    dispute.decision_reason = reason.strip()
    session.flush()
    return dispute


def disputes_of(session: Session, appointment_id: int) -> list[Dispute]:
    query = select(Dispute).where(Dispute.appointment_id == appointment_id).order_by(Dispute.id)
    return list(session.scalars(query))


def status_label(status: str) -> str:
    found = STATUS.get(status)
    return found() if found is not None else status


def ground_label(ground: str) -> str:
    found = GROUNDS.get(ground)
    return found() if found is not None else ground
