"""Import a lead file into a campaign, all or nothing, with its quality report and rejects file.

One transaction holds the whole import: a failure at any row, or a killed process, leaves the
database as it was, and the rejects file appears only once the leads are committed. Rows stream
through in batches, so memory holds one batch plus the set of numbers already seen.

Decisions, each counted in the report and written with its reason to the rejects file:
- a row sharing any number with an earlier row, or with a lead already in the campaign, is a
  duplicate (one number, one prospect: two leads must not ring the same line);
- a row with any number on the internal do-not-call list (the client's or everyone's) is rejected,
  not stored as a lead, so that no later status change can ever make it dialable.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.i18n import _
from leads import dnc, store
from leads.columns import ColumnMapping, looks_like_header, resolve
from leads.consent import consent_state, may_be_called, record_of
from leads.consent_store import record_imported_consents
from leads.csv_records import BrokenRow
from leads.errors import EmptyFile
from leads.reader import Source, open_source
from leads.report import QualityReport, label
from leads.rows import Draft, Rejection, RowBuilder
from leads.statistics import refresh_after_import
from reports.exports import neutralise

Progress = Callable[[int, int], None]
# Longer than any cell a lead file means to hold (a name, an address, a long comment): a file broken elsewhere.
MAX_CELL = 5000


@dataclass(frozen=True)
class ImportTarget:
    """The campaign that receives the leads, as plain values (leads never imports campaigns).

    When the campaign's profile requires consent, a lead without provable consent (`leads.consent`) nor a
    contract exemption the profile accepts is stored as `no_consent`, a status the hopper never scans.
    """

    campaign_id: int
    client_id: int
    timezone: str = "Europe/Paris"
    consent_required: bool = False
    contract_exempts: bool = True
    # The key of the hashed opposition lists (`leads.dnc`); empty: those lists are not checked.
    dnc_key: str = ""

    def without_consent(self, values: dict[str, Any], now: datetime) -> bool:
        """Whether the profile forbids calling a lead with these values for want of consent."""
        return self.consent_required and not may_be_called(record_of(values), now, self.contract_exempts)


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file: phone region, explicit column mapping, sheet, header row (found if None), batch."""

    region: str = "FR"
    mapping: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    header_row: int | None = None
    batch: int = store.BATCH


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    report: QualityReport
    rejects_path: Path


def rejects_path_for(path: Path) -> Path:
    """`fichier.csv` → `fichier.rejets.csv`, beside the input."""
    return path.with_name(f"{path.stem}.rejets.csv")


def import_leads(
    sessions: sessionmaker[Session], target: ImportTarget, path: Path, options: ImportOptions, now: datetime,
    progress: Progress | None = None, waiting: Callable[[], None] | None = None,
) -> ImportResult:
    """Import `path` into the campaign; raises a LeadFileError (nothing stored) if it cannot be read.

    `waiting` is called if another import holds the database (SQLite) or the campaign (PostgreSQL).
    """
    is_header = partial(looks_like_header, explicit=options.mapping)
    source = open_source(path, options.sheet, options.header_row, is_header)
    mapping = resolve(str(path), source.headers, options.mapping)
    rejects_path = rejects_path_for(path)
    unfinished = rejects_path.with_name(rejects_path.name + ".part")
    try:
        with unfinished.open("w", encoding="utf-8-sig", newline="") as handle:
            rejects = _Rejects(csv.writer(handle, delimiter=source.delimiter or ";"))
            rejects.writerow([*mapping.headers, _("row"), _("reason")])
            with sessions.begin() as session:
                run = _Run(session, target, source, mapping, options, now, rejects, progress, waiting)
                import_id, report = run.execute()
                record_imported_consents(session, import_id, target.client_id, now)
                report.rejects_file = str(rejects_path)
                store.finish_import(session, import_id, report)
        os.replace(unfinished, rejects_path)
    finally:
        unfinished.unlink(missing_ok=True)
    refresh_after_import(sessions, report.leads_created)
    return ImportResult(import_id, report, rejects_path)


class _Rejects:
    """The rejects file, which people open in a spreadsheet: a cell it would evaluate (a web form's `=HYPERLINK…`)
    is written neutralised, as every export is (`reports.exports.neutralise`); a number keeps its meaning
    (`'+33 6…` is read back as the number at the next import)."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def writerow(self, cells: list[Any]) -> None:
        self.writer.writerow([neutralise(cell) for cell in cells])


class _Run:
    """The state of one import while rows stream through."""

    def __init__(
        self, session: Session, target: ImportTarget, source: Source, mapping: ColumnMapping,
        options: ImportOptions, now: datetime, rejects: Any, progress: Progress | None,
        waiting: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.target = target
        self.source = source
        self.mapping = mapping
        self.options = options
        self.now = now
        self.rejects = rejects
        self.progress = progress
        self.waiting = waiting
        self.builder = RowBuilder(mapping, options.region, target.timezone, now, store.text_limits())
        self.width = len(mapping.headers)
        self.report = QualityReport(
            file=source.path.name, kind=source.kind, encoding=source.encoding, delimiter=source.delimiter,
            sheet=source.sheet, columns=mapping.describe(), custom_fields=[h for _i, h in mapping.custom],
            header_row=source.header_row,
        )
        self.seen: dict[str, int] = {}
        self.pending: Future[None] | None = None
        self.pool: ThreadPoolExecutor

    def execute(self) -> tuple[int, QualityReport]:
        session, target = self.session, self.target
        store.lock_campaign(session, target.campaign_id, self.waiting)
        self.report.already_imported = store.imports_of_file(session, target.campaign_id, self.source.sha256)
        self.existing = store.campaign_numbers(session, target.campaign_id)
        self.blocked = store.do_not_call_numbers(session, target.client_id)
        self.hashed = dnc.blocked_digests(session, target.client_id) if target.dnc_key else set()
        self.import_id = store.start_import(
            session, target.campaign_id, self.source.path.name, self.source.sha256, self.now
        )
        self.lead_ids = store.IdBlock(session, store.LEADS)
        self.phone_ids = store.IdBlock(session, store.PHONES)
        self.defaults = store.lead_defaults(self.now)
        self.defaults.update(campaign_id=target.campaign_id, import_id=self.import_id)
        self.lead_writer = store.BulkWriter(session, store.LEADS)
        self.phone_writer = store.BulkWriter(session, store.PHONES)
        if self.progress is not None:
            self.progress(0, self.source.rows_hint)
        # Rows are read and checked here while the previous batch is written on a second thread:
        # the database driver releases the GIL while it stores rows, so both cores work.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lead-writer") as self.pool:
            try:
                batch: list[tuple[int, list[str]]] = []
                for row in self.source.rows():
                    batch.append(row)
                    if len(batch) >= self.options.batch:
                        self._write(batch)
                        batch = []
                self._write(batch)
            except BaseException:
                if self.pending is not None:
                    self.pending.exception()  # the session must be idle before the transaction rolls back
                raise
            self._wait()
        if self.report.rows_read == 0:
            raise EmptyFile(str(self.source.path), _("no data row under the header"))
        return self.import_id, self.report

    def _write(self, batch: list[tuple[int, list[str]]]) -> None:
        if not batch:
            return
        drafts: list[Draft] = []
        for number, cells in batch:
            outcome = self._check(number, cells)
            if isinstance(outcome, Rejection):
                self._reject(number, cells, outcome)
            else:
                drafts.append(outcome)
                for dropped in outcome.dropped:
                    self._note_dropped(number, cells, dropped)
        for draft in drafts:
            self._count(draft)
        self._wait()
        self.pending = self.pool.submit(self._insert, drafts)
        self.report.rows_read += len(batch)
        if self.progress is not None:
            self.progress(self.report.rows_read, self.source.rows_hint)

    def _check(self, number: int, cells: list[str]) -> Draft | Rejection:
        if isinstance(cells, BrokenRow):
            if len(self.report.broken_quotes) < 20:
                self.report.broken_quotes.append(cells.first_line)
            return Rejection("broken_quoting", value=f"{cells.first_line}-{cells.last_line}")
        if max(map(len, cells), default=0) > MAX_CELL:
            return Rejection("cell_too_long")
        if len(cells) > self.width and any(cells[self.width:]):
            return Rejection("too_many_cells")
        outcome = self.builder.build(cells)
        if isinstance(outcome, Rejection):
            return outcome
        numbers = [phone.e164 for phone, _header in outcome.phones]
        if self.blocked and any(n in self.blocked for n in numbers):
            return Rejection("do_not_call")
        if self.hashed and any(dnc.digest(n, self.target.dnc_key) in self.hashed for n in numbers):
            return Rejection("do_not_call")
        for n in numbers:
            if n in self.seen:
                return Rejection("duplicate_in_file", value=str(self.seen[n]))
            if n in self.existing:
                return Rejection("duplicate_in_campaign")
        for n in numbers:
            self.seen[n] = number
        return outcome

    def _reject(self, number: int, cells: list[str], rejection: Rejection) -> None:
        self.report.rejected[rejection.reason] += 1
        reason = label(rejection.reason)
        if rejection.reason == "duplicate_in_file":
            reason = _("duplicate of row {row}").format(row=rejection.value)
        elif rejection.reason == "broken_quoting":
            first, _sep, last = rejection.value.partition("-")
            reason = _("a quote opened on line {first} runs to line {last}: this line is set aside, the lines "
                       "after it were read again").format(first=first, last=last)
        elif rejection.column:
            reason = f"{reason} ({rejection.column})"
        self.rejects.writerow([*cells[: self.width], number, reason])

    def _note_dropped(self, number: int, cells: list[str], dropped: Rejection) -> None:
        """A number of a kept row that cannot be dialled: listed, so that it does not vanish without a trace."""
        reason = _("lead kept, number {value} dropped: {reason} ({column})").format(
            value=dropped.value, reason=label(dropped.reason), column=dropped.column
        )
        self.rejects.writerow([*cells[: self.width], number, reason])

    def _wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _count(self, draft: Draft) -> None:
        report = self.report
        report.leads_created += 1
        report.phones_created += len(draft.phones)
        report.phone_types[draft.values["phone_type"]] += 1
        report.departements[draft.departement or "?"] += 1
        report.secondary_phones_dropped += draft.dropped_phones
        # The same rule as the campaign check and the hopper (L. 223-1): see leads.consent.
        report.consent[consent_state(record_of(draft.values), self.now, self.target.contract_exempts)] += 1

    def _insert(self, drafts: list[Draft]) -> None:
        """Store a batch (on the writer thread, the only user of the session meanwhile)."""
        if not drafts:
            return
        lead_ids = self.lead_ids.take(len(drafts))
        phone_count = sum(len(d.phones) for d in drafts)
        phone_ids = iter(self.phone_ids.take(phone_count))
        leads: list[dict[str, Any]] = []
        phones: list[dict[str, Any]] = []
        campaign_id = self.target.campaign_id
        for lead_id, draft in zip(lead_ids, drafts, strict=True):
            values = self.defaults.copy()
            values.update(draft.values)
            values["id"] = lead_id
            if self.target.without_consent(values, self.now):
                values["status"] = "no_consent"
            leads.append(values)
            for rank, (phone, header) in enumerate(draft.phones):
                phones.append({
                    "id": next(phone_ids), "lead_id": lead_id, "campaign_id": campaign_id, "e164": phone.e164,
                    "line_type": phone.line_type, "region": phone.region, "timezone": phone.timezone,
                    "rank": rank, "source_column": header[:200],
                })
        self.lead_writer.write(leads)
        self.phone_writer.write(phones)
