"""Which leads a consent recorded after import is for: lead ids given on the command line, or a CSV/XLSX file
with a column of lead ids or of phone numbers; each wanted row is matched to the campaign's leads.

A row that matches no lead is reported with where it came from and why, and then nothing is recorded at all:
consent is a legal fact, a half-applied list would be worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.i18n import _
from leads.columns import ALIASES, header_key
from leads.errors import LeadFileError
from leads.models import Lead, LeadPhone
from leads.phone import InvalidPhoneNumber, mask, normalise
from leads.reader import open_source

# Headers of a column of lead ids (as `header_key` writes them).
ID_HEADERS = {"id", "id fiche", "fiche", "n fiche", "no fiche", "numero de fiche", "numero fiche", "lead",
              "lead id", "identifiant", "identifiant fiche", "ref fiche"}
PHONE_HEADERS = {header_key(alias) for alias in ALIASES["phone"]}


@dataclass(frozen=True)
class Wanted:
    """One lead asked for: by id or by phone, and where the request came from (shown if it matches nothing)."""

    where: str
    lead_id: int | None = None
    e164: str = ""
    shown: str = ""  # the value as it may be shown (a phone masked)
    problem: str = ""  # why it cannot match, known before looking (an invalid phone)


class NoTargetColumn(LeadFileError):
    """A consent file with neither a column of lead ids nor one of phones."""

    def __init__(self, filename: str, headers: list[str]) -> None:
        super().__init__(_("{file}: no column of lead ids (\"id\", \"fiche\") nor of phone numbers among "
                           "{headers}").format(file=filename, headers=", ".join(headers)))


class UnmatchedTargets(LookupError):
    """Some wanted rows match no lead of the campaign; nothing was recorded."""

    def __init__(self, unmatched: list[tuple[Wanted, str]]) -> None:
        lines = [_("{where}: {value}: {reason}").format(where=w.where, value=w.shown, reason=reason)
                 for w, reason in unmatched]
        super().__init__("\n".join(lines))
        self.unmatched = unmatched


class NotALeadId(ValueError):
    """A command-line target that is neither a file nor a lead id."""

    def __init__(self, value: str) -> None:
        super().__init__(_("'{value}' is neither a file nor a lead id").format(value=value))


def parse_targets(values: list[str], region: str = "FR") -> list[Wanted]:
    """The leads wanted by command-line values: each is a file (see the module) or a lead id."""
    wanted: list[Wanted] = []
    for value in values:
        path = Path(value)
        if path.is_file():
            wanted += read_file(path, region)
        elif value.strip().isdigit():
            wanted.append(Wanted(_("lead id {id}").format(id=value.strip()), lead_id=int(value), shown=value.strip()))
        else:
            raise NotALeadId(value)
    return wanted


def read_file(path: Path, region: str = "FR") -> list[Wanted]:
    """The rows of a consent file: its lead id column if it has one, else its first phone column."""
    source = open_source(path)
    column = target_column(path, source.headers)
    return [target_of(cells, column, _("{file} row {row}").format(file=path.name, row=number), region)
            for number, cells in source.rows()]


def target_column(path: Path, headers: list[str]) -> tuple[int, bool]:
    """Which column names the lead (its index, and whether it holds lead ids rather than phones)."""
    keys = [header_key(h) for h in headers]
    by_id = next((i for i, key in enumerate(keys) if key in ID_HEADERS), None)
    if by_id is not None:
        return by_id, True
    by_phone = next((i for i, key in enumerate(keys) if key in PHONE_HEADERS), None)
    if by_phone is None:
        raise NoTargetColumn(path.name, headers)
    return by_phone, False


def target_of(cells: list[str], column: tuple[int, bool], where: str, region: str) -> Wanted:
    """The lead a row of a consent file names, by id or by phone."""
    index, by_id = column
    raw = cells[index].strip() if index < len(cells) else ""
    if by_id:
        ok = raw.isdigit()
        return Wanted(where, int(raw) if ok else None, shown=raw or "—", problem="" if ok else _("not a lead id"))
    try:
        e164 = normalise(raw, region).e164
    except InvalidPhoneNumber as exc:
        return Wanted(where, shown=_("phone on that row"), problem=str(exc))
    return Wanted(where, e164=e164, shown=mask(e164))


def match_leads(session: Session, campaign_id: int, wanted: list[Wanted]) -> set[int]:
    """The ids of the campaign's leads wanted (a phone matches every lead with that number, main or not);
    raises UnmatchedTargets listing every row that matches none."""
    return set().union(*match_each(session, campaign_id, wanted))


def match_each(session: Session, campaign_id: int, wanted: list[Wanted]) -> list[set[int]]:
    """The leads each wanted row matches, in order; raises UnmatchedTargets listing every row that matches none."""
    known_ids = _known_ids(session, campaign_id, sorted({w.lead_id for w in wanted if w.lead_id is not None}))
    by_phone = _leads_by_phone(session, campaign_id, sorted({w.e164 for w in wanted if w.e164}))
    unmatched: list[tuple[Wanted, str]] = []
    found: list[set[int]] = []
    for w in wanted:
        if w.problem:
            unmatched.append((w, w.problem))
        elif w.lead_id is not None and w.lead_id not in known_ids:
            unmatched.append((w, _("no lead with this id in the campaign")))
        elif w.e164 and w.e164 not in by_phone:
            unmatched.append((w, _("no lead with this number in the campaign")))
        else:
            found.append({w.lead_id} if w.lead_id is not None else by_phone[w.e164])
    if unmatched:
        raise UnmatchedTargets(unmatched)
    return found


# A few thousand values per IN list: SQLite binds at most 32,766 parameters per statement.
_CHUNK = 5000


def _known_ids(session: Session, campaign_id: int, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        found.update(session.scalars(select(Lead.id).where(Lead.campaign_id == campaign_id,
                                                           Lead.id.in_(ids[start:start + _CHUNK]))))
    return found


def _leads_by_phone(session: Session, campaign_id: int, phones: list[str]) -> dict[str, set[int]]:
    """Phone → the campaign's leads with it (every phone of a lead, the main one included, is a LeadPhone)."""
    found: dict[str, set[int]] = {}
    for start in range(0, len(phones), _CHUNK):
        rows = session.execute(select(LeadPhone.e164, LeadPhone.lead_id).where(
            LeadPhone.campaign_id == campaign_id, LeadPhone.e164.in_(phones[start:start + _CHUNK])))
        for e164, lead_id in rows:
            found.setdefault(e164, set()).add(lead_id)
    return found
