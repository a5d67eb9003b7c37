"""Failures of a lead file as a whole, one class each; each message names the file and the problem.

They subclass ValueError or LookupError, which the CLI turns into one line and exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence

from config.i18n import _


class LeadFileError(ValueError):
    """A lead file that cannot be imported at all; nothing is stored."""


class UnreadableFile(LeadFileError):
    """The file cannot be opened or is not a CSV or XLSX file."""

    def __init__(self, filename: str, problem: str) -> None:
        super().__init__(_("{file}: cannot read the file: {problem}").format(file=filename, problem=problem))
        self.filename = filename


class EmptyFile(LeadFileError):
    """The file has no header or no data row."""

    def __init__(self, filename: str, problem: str) -> None:
        super().__init__(_("{file}: {problem}").format(file=filename, problem=problem))
        self.filename = filename


class NoPhoneColumn(LeadFileError):
    """No column could be recognised as a phone number."""

    def __init__(self, filename: str, headers: Sequence[str]) -> None:
        super().__init__(
            _("{file}: no phone column among {headers}; name one with --map \"Header=phone\"").format(
                file=filename, headers=", ".join(headers)
            )
        )
        self.filename = filename


class UnknownColumn(LeadFileError):
    """`--map` names a header that the file does not have."""

    def __init__(self, filename: str, header: str, headers: Sequence[str]) -> None:
        super().__init__(
            _("{file}: no column {header} (columns: {headers})").format(
                file=filename, header=header, headers=", ".join(headers)
            )
        )
        self.header = header


class SheetNotFound(LeadFileError):
    """`--sheet` names a sheet that the workbook does not have."""

    def __init__(self, filename: str, sheet: str, sheets: Sequence[str]) -> None:
        super().__init__(
            _("{file}: no sheet {sheet} (sheets: {sheets})").format(
                file=filename, sheet=sheet, sheets=", ".join(sheets)
            )
        )
        self.sheet = sheet


class HeaderRowNotFound(LeadFileError):
    """`--header-row` names a row that the file does not have, or a blank one."""

    def __init__(self, filename: str, row: int, blank: bool = False) -> None:
        message = _("{file}: row {row} is blank, it cannot be the header") if blank else _(
            "{file}: no row {row}, the file is shorter")
        super().__init__(message.format(file=filename, row=row))
        self.row = row


class UnknownField(LookupError):
    """`--map` names a field that leads do not have."""

    def __init__(self, name: str, valid: Sequence[str]) -> None:
        super().__init__(_("Unknown field {name} (valid fields: {valid})").format(name=name, valid=", ".join(valid)))
        self.name = name


class InvalidMapping(ValueError):
    """A `--map` option that is not `Header=field`."""

    def __init__(self, option: str) -> None:
        super().__init__(_("Invalid --map {option}: write \"Header=field\"").format(option=option))
        self.option = option


class ImportNotFound(LookupError):
    """No import with this number in the campaign."""

    def __init__(self, import_id: int | None) -> None:
        message = _("No lead import #{id} in this campaign") if import_id else _("No lead import in this campaign")
        super().__init__(message.format(id=import_id))
        self.import_id = import_id
