"""The quality report of one lead file ("contrôle qualité du fichier"): counts kept as plain JSON."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from config.i18n import _
from leads.phone import REASONS as PHONE_REASONS

# Every reason a row gives no lead. English labels are the msgids; `label()` translates them.
REASONS = {
    **{code: text for code, text in PHONE_REASONS.items() if code != "empty"},
    "no_phone": "no phone number",
    "bad_consent_date": "unreadable consent date",
    "future_consent_date": "consent date in the future",
    "bad_contract_flag": "unreadable contract-in-progress flag",
    "too_many_cells": "more cells than headers",
    "broken_quoting": "broken quoting",
    "cell_too_long": "cell longer than 5,000 characters",
    "do_not_call": "on do-not-call list",
    "duplicate_in_file": "duplicate in the file",
    "duplicate_in_campaign": "already in the campaign",
}
LINE_TYPE_LABELS = {
    "mobile": "mobile", "fixed": "fixed line", "fixed_or_mobile": "fixed line or mobile", "voip": "VoIP",
    "toll_free": "toll-free", "premium": "premium rate", "shared_cost": "shared cost", "personal": "personal",
    "pager": "pager", "uan": "UAN", "voicemail": "voicemail", "unknown": "unknown",
}
DUPLICATES = ("duplicate_in_file", "duplicate_in_campaign")


def label(reason: str) -> str:
    """The translated text of a rejection reason."""
    return _(REASONS.get(reason, reason))


def line_type_label(kind: str) -> str:
    """The translated name of a line type."""
    return _(LINE_TYPE_LABELS.get(kind, kind))


@dataclass
class QualityReport:
    """Counts of one import; `rejected` includes duplicates, which `duplicates` also counts apart."""

    file: str = ""
    kind: str = ""
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    custom_fields: list[str] = field(default_factory=list)
    rows_read: int = 0
    leads_created: int = 0
    phones_created: int = 0
    secondary_phones_dropped: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    phone_types: Counter[str] = field(default_factory=Counter)
    departements: Counter[str] = field(default_factory=Counter)
    consent: Counter[str] = field(default_factory=Counter)
    rejects_file: str = ""
    already_imported: list[int] = field(default_factory=list)
    header_row: int = 1
    broken_quotes: list[int] = field(default_factory=list)  # first lines of the first unclosed quotes

    @property
    def duplicates(self) -> int:
        return sum(self.rejected[r] for r in DUPLICATES)

    @property
    def rejected_rows(self) -> int:
        """Rows refused for a reason other than being a duplicate."""
        return sum(self.rejected.values()) - self.duplicates

    @property
    def usable_rate(self) -> float:
        """Leads created ÷ rows read: the share of the file that can be dialled."""
        return self.leads_created / self.rows_read if self.rows_read else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "kind": self.kind, "encoding": self.encoding, "delimiter": self.delimiter,
            "sheet": self.sheet, "columns": self.columns, "custom_fields": self.custom_fields,
            "rows_read": self.rows_read, "leads_created": self.leads_created,
            "phones_created": self.phones_created, "secondary_phones_dropped": self.secondary_phones_dropped,
            "duplicates_in_file": self.rejected["duplicate_in_file"],
            "duplicates_in_campaign": self.rejected["duplicate_in_campaign"],
            "rejected": dict(self.rejected.most_common()), "usable_rate": round(self.usable_rate, 4),
            "phone_types": dict(self.phone_types.most_common()),
            "departements": dict(sorted(self.departements.items())),
            "consent": dict(self.consent), "rejects_file": self.rejects_file,
            "already_imported": self.already_imported, "header_row": self.header_row,
            "broken_quotes": self.broken_quotes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QualityReport:
        simple = {k: data[k] for k in (
            "file", "kind", "encoding", "delimiter", "sheet", "columns", "custom_fields", "rows_read",
            "leads_created", "phones_created", "secondary_phones_dropped", "rejects_file", "already_imported",
            "header_row", "broken_quotes",
        ) if k in data}
        return cls(
            **simple,
            rejected=Counter(data.get("rejected", {})),
            phone_types=Counter(data.get("phone_types", {})),
            departements=Counter(data.get("departements", {})),
            consent=Counter(data.get("consent", {})),
        )
