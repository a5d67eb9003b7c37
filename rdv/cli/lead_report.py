"""How a lead file's quality report and the import's progress look on the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from config.i18n import _, fmt_number, fmt_percent, ngettext
from leads.consent import ConsentState
from leads.importer import Progress as ProgressCallback
from leads.report import QualityReport, label, line_type_label

TOP_DEPARTEMENTS = 15


def _share(count: int, total: int) -> str:
    return fmt_percent(count / total) if total else "—"


def render(console: Console, report: QualityReport, import_id: int, all_departements: bool = False) -> None:
    """The "contrôle qualité du fichier": summary, rejections, phone types, départements."""
    title = _("Lead file quality check — import #{id}: {file}").format(id=import_id, file=report.file)
    summary = Table(title=title, show_header=False, title_justify="left")
    summary.add_column(style="bold")
    summary.add_column(justify="right", overflow="fold")
    read = report.rows_read
    if report.kind == "xlsx":
        summary.add_row(_("Sheet"), report.sheet)
    else:
        delimiter = {"\t": _("tab")}.get(report.delimiter, report.delimiter)
        summary.add_row(_("Encoding / delimiter"), f"{report.encoding} / {delimiter}")
    if report.header_row > 1:
        summary.add_row(_("Header row"), fmt_number(report.header_row))
    summary.add_row(_("Rows read"), fmt_number(read))
    summary.add_row(_("Leads created"), fmt_number(report.leads_created))
    summary.add_row(_("Duplicates in the file"), fmt_number(report.rejected["duplicate_in_file"]))
    summary.add_row(_("Already in the campaign"), fmt_number(report.rejected["duplicate_in_campaign"]))
    summary.add_row(_("Rejected rows"), fmt_number(report.rejected_rows))
    summary.add_row(_("Usable rate"), fmt_percent(report.usable_rate))
    summary.add_row(_("Phone numbers stored"), fmt_number(report.phones_created))
    if report.secondary_phones_dropped:
        summary.add_row(_("Numbers dropped, lead kept (see the rejects file)"),
                        fmt_number(report.secondary_phones_dropped))
    _consent_rows(summary, report)
    if report.rejects_file:
        summary.add_row(_("Rejects file"), report.rejects_file)
    console.print(summary)
    if report.already_imported:
        ids = ", ".join(f"#{i}" for i in report.already_imported)
        console.print(_("Note: this same file was already imported ({ids}); its leads were not added twice.")
                      .format(ids=ids))
    if report.broken_quotes:
        lines = ", ".join(fmt_number(n) for n in report.broken_quotes[:5])
        console.print(_("Warning: the file's quoting is broken: a quote opened at line {lines} is not closed on "
                        "that row. Those lines are in the rejects file; the rows after them were read.")
                      .format(lines=lines), style="bold")
    if report.rejected:
        table = Table(_("Reason"), _("Rows"), _("Share"), title=_("Rows not loaded"), title_justify="left")
        for reason, count in report.rejected.most_common():
            table.add_row(label(reason), fmt_number(count), _share(count, read))
        console.print(table)
    created = report.leads_created
    if report.phone_types:
        table = Table(_("Line type"), _("Leads"), _("Share"), title=_("Main phone by line type"),
                      title_justify="left")
        for kind, count in report.phone_types.most_common():
            table.add_row(line_type_label(kind), fmt_number(count), _share(count, created))
        console.print(table)
    if report.departements:
        table = Table(_("Département"), _("Leads"), _("Share"), title=_("Leads by département"),
                      title_justify="left")
        ranked = report.departements.most_common()
        shown = ranked if all_departements else ranked[:TOP_DEPARTEMENTS]
        for code, count in shown:
            table.add_row(_("unknown") if code == "?" else code, fmt_number(count), _share(count, created))
        rest = ranked[len(shown):]
        if rest:
            others = sum(count for _code, count in rest)
            others_label = ngettext("{n} other département", "{n} other départements", len(rest)).format(n=len(rest))
            table.add_row(others_label, fmt_number(others), _share(others, created))
        console.print(table)


def _consent_rows(summary: Table, report: QualityReport) -> None:
    """The leads by consent state, as `rdv campaign check` and the hopper count them (`leads.consent`)."""
    consent = report.consent
    if "recorded" in consent:  # a report stored before consent was counted in full: only dates were counted
        summary.add_row(_("With recorded consent"), fmt_number(consent["recorded"]))
        summary.add_row(_("Contract in progress (no consent needed)"), fmt_number(consent["contract"]))
        summary.add_row(_("Neither consent nor contract"), fmt_number(consent["none"]))
        return
    missing = consent[ConsentState.INCOMPLETE] + consent[ConsentState.NONE]
    summary.add_row(_("Provable consent (date, source and proof)"), fmt_number(consent[ConsentState.PROVEN]))
    summary.add_row(_("No provable consent, contract in progress"), fmt_number(consent[ConsentState.CONTRACT]))
    summary.add_row(_("Neither provable consent nor contract"), fmt_number(missing))
    if consent[ConsentState.INCOMPLETE]:
        summary.add_row(_("  of which incomplete consent (date, source or proof missing)"),
                        fmt_number(consent[ConsentState.INCOMPLETE]))


@contextmanager
def progress_bar(console: Console, interactive: bool) -> Iterator[ProgressCallback]:
    """A rich progress bar on a terminal; a plain count every 100,000 rows otherwise."""
    if not interactive:
        step = [100_000]

        def plain(done: int, _hint: int) -> None:
            if done >= step[0]:
                console.print(ngettext("{n} row read", "{n} rows read", done).format(n=fmt_number(done)))
                step[0] = (done // 100_000 + 1) * 100_000

        yield plain
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(_("Importing"), total=None)

        def update(done: int, hint: int) -> None:
            bar.update(task, completed=done, total=max(hint, done) or None)

        yield update
