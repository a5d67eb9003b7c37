"""The soak's books: counts read back with SQL, the PBXs' originates and the SMTP server's inbox, reconciled.

Each check is a name, the figure it shows and the problems it found (empty: it reconciles).
"""

from __future__ import annotations

import email
import email.policy
import io
from collections import Counter
from dataclasses import dataclass, field

from openpyxl import load_workbook
from sqlalchemy import Engine, text


@dataclass
class Check:
    name: str
    figure: str
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # what the test asserts the run did at all


ATTEMPTS = text("SELECT id, action_id, outcome, ended_at, state, dialer_id, created_at FROM attempts")
OVERLAPS = text("""
    SELECT count(*) FROM attempts a JOIN attempts b ON a.lead_id = b.lead_id AND a.id < b.id
    WHERE b.created_at < coalesce(a.ended_at, 'infinity') AND a.created_at < coalesce(b.ended_at, 'infinity')
""")
LEAD_COUNTS = text("""
    SELECT count(*) FROM leads l
    LEFT JOIN (SELECT lead_id, count(*) AS n FROM attempts GROUP BY lead_id) a ON a.lead_id = l.id
    WHERE l.attempts <> coalesce(a.n, 0)
""")


def mailed_calls(raw: bytes) -> list[int]:
    """The call (attempt id, last column) of every RDV row of a daily e-mail's XLSX attachment."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    calls: list[int] = []
    for part in message.iter_attachments():  # type: ignore[attr-defined]
        if str(part.get_filename() or "").endswith(".xlsx"):
            sheet = load_workbook(io.BytesIO(part.get_content()), read_only=True).active
            rows = list(sheet.iter_rows(values_only=True))
            calls += [int(row[-1]) for row in rows[1:] if row and row[-1] not in (None, "")]
    return calls


def _attempts(engine: Engine, originates: dict[str, int]) -> list[Check]:
    with engine.connect() as conn:
        rows = conn.execute(ATTEMPTS).all()
        overlaps = conn.execute(OVERLAPS).scalar_one()
        miscounted = conn.execute(LEAD_COUNTS).scalar_one()
    outcomes = Counter(row.outcome or "(open)" for row in rows)
    ids = {row.action_id for row in rows}
    dial = Check("dials", f"{len(rows)} attempts, {len(originates)} originated on the PBXs; "
                          + ", ".join(f"{o} {n}" for o, n in sorted(outcomes.items())))  # fmt: skip
    dial.counts = {"attempts": len(rows), "originated": len(originates), "failed": outcomes["failed"]}
    if open_ := [r for r in rows if not r.outcome or r.ended_at is None]:
        found = [(r.id, r.dialer_id, r.state, f"{r.created_at:%H:%M:%S} UTC") for r in open_[:3]]
        dial.problems.append(f"{len(open_)} attempts left open (no outcome or no end): {found}")
    if twice := [call for call, count in originates.items() if count > 1]:
        dial.problems.append(f"{len(twice)} calls originated twice: {twice[:5]}")
    if orphans := sorted(set(originates) - ids):
        dial.problems.append(f"{len(orphans)} originates without an attempt row: {orphans[:5]}")
    never = [r for r in rows if r.action_id not in originates and r.outcome != "failed"]
    if never:
        dial.problems.append(f"{len(never)} attempts never reached a PBX yet ended otherwise than failed")
    leads = Check("leads", f"{overlaps} leads in two calls at once, {miscounted} leads whose count of attempts "
                           "differs from their attempt rows")  # fmt: skip
    if overlaps:
        leads.problems.append(f"{overlaps} pairs of attempts of one lead live at once")
    if miscounted:
        leads.problems.append(f"{miscounted} leads count attempts they do not have (or miss some)")
    return [dial, leads]


def _mails(engine: Engine, received: list[bytes]) -> list[Check]:
    with engine.connect() as conn:
        outbox = conn.execute(text("SELECT id, kind, status, message_id, created_at FROM outbox_messages")).all()
        rdvs = conn.execute(text("SELECT id, attempt_id, taken_at, sent_message_id FROM appointments")).all()
    daily = {row.id: row for row in outbox if row.kind == "daily_rdv"}
    ids = Counter(str(email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"]) for raw in received)
    mail = Check("mails", f"{len(outbox)} outbox rows ({len(daily)} daily), {len(received)} messages received")
    mail.counts = {"outbox": len(outbox), "received": len(received)}
    if unsent := [row.id for row in outbox if row.status != "sent"]:
        mail.problems.append(f"{len(unsent)} outbox rows not sent: {unsent[:5]}")
    if twice := [mid for mid, count in ids.items() if count > 1]:
        mail.problems.append(f"{len(twice)} messages delivered more than once: {twice[:3]}")
    if missing := [row.id for row in outbox if row.status == "sent" and ids[row.message_id] != 1]:
        mail.problems.append(f"{len(missing)} outbox rows marked sent that the server did not receive once")
    if len(received) != len(outbox):
        mail.problems.append(f"{len(received)} received for {len(outbox)} outbox rows")
    in_mails = Counter(call for raw in received for call in mailed_calls(raw))
    sent = [r for r in rdvs if r.sent_message_id is not None]
    rdv = Check("rdvs", f"{len(rdvs)} RDVs booked, {len(sent)} in a daily e-mail, {len(rdvs) - len(sent)} after it")
    rdv.counts = {"booked": len(rdvs), "mailed": len(sent)}
    if wrong := [r.id for r in sent if in_mails[r.attempt_id] != 1]:
        rdv.problems.append(f"{len(wrong)} RDVs marked sent not in exactly one received e-mail: {wrong[:5]}")
    if strays := set(in_mails) - {r.attempt_id for r in sent}:
        rdv.problems.append(f"{len(strays)} RDV rows in e-mails for RDVs not marked sent")
    last_mail = max((row.created_at for row in daily.values()), default=None)
    if late := [r.id for r in rdvs if r.sent_message_id is None and (last_mail is None or r.taken_at <= last_mail)]:
        rdv.problems.append(f"{len(late)} RDVs taken before the daily e-mail but in none: {late[:5]}")
    return [mail, rdv]


def _jobs(engine: Engine) -> list[Check]:
    with engine.connect() as conn:
        fires = conn.execute(text("SELECT job_id, fire_at, run_by, finished_at FROM job_fires")).all()
        days = conn.execute(text("SELECT campaign_id, day, count(*) AS n FROM outbox_messages "
                                 "WHERE kind = 'daily_rdv' GROUP BY campaign_id, day")).all()  # fmt: skip
    per_job = Counter(row.job_id.split(":")[0] for row in fires)
    runners = Counter(row.run_by for row in fires)
    jobs = Check("jobs", f"{len(fires)} job runs ({', '.join(f'{j} {n}' for j, n in sorted(per_job.items()))}); "
                         f"by {dict(sorted(runners.items()))}")  # fmt: skip
    if twice := [key for key, n in Counter((r.job_id, r.fire_at) for r in fires).items() if n > 1]:
        jobs.problems.append(f"{len(twice)} fire times run twice: {twice[:3]}")
    if unfinished := [(r.job_id, r.fire_at.isoformat()) for r in fires if r.finished_at is None]:
        jobs.problems.append(f"{len(unfinished)} runs never finished: {unfinished[:3]}")
    if doubled := [(d.campaign_id, d.day.isoformat()) for d in days if d.n > 1]:
        jobs.problems.append(f"daily e-mail stored twice for {doubled}")
    if not days:
        jobs.problems.append("no daily e-mail was stored: the run did not reach the mail time")
    return [jobs]


def reconcile(engine: Engine, originates: dict[str, int], received: list[bytes]) -> list[Check]:
    """Every check of the soak, over the database, the PBXs' originates and the SMTP server's inbox."""
    return [*_attempts(engine, originates), *_mails(engine, received), *_jobs(engine)]
