"""Codes stored by the dialer and the hopper, as a client reads them in an export (through the catalogue)."""

from __future__ import annotations

from collections.abc import Callable

from campaigns.dispositions import LABELS as DISPOSITIONS
from config.i18n import _
from leads.phone import display

OUTCOMES: dict[str, Callable[[], str]] = {
    "no_answer": lambda: _("No answer"),
    "busy": lambda: _("Busy"),
    "congestion": lambda: _("Network congestion"),
    "invalid": lambda: _("Number not in service"),
    "machine": lambda: _("Answering machine"),
    "dropped": lambda: _("Abandoned (no teleoperator free)"),
    "connected": lambda: _("Talked to a teleoperator"),
    "failed": lambda: _("Call failed"),
}

LEAD_STATUSES: dict[str, Callable[[], str]] = {
    "new": lambda: _("Not called yet"),
    "retry": lambda: _("To call again"),
    "callback": lambda: _("Callback booked"),
    "final": lambda: _("Finished"),
    "exhausted": lambda: _("All attempts used"),
    "dnc": lambda: _("Do not call"),
    "no_consent": lambda: _("Set aside: no provable consent"),
}


def outcome_label(code: str | None) -> str:
    """The label of an attempt's outcome, or of the agent's disposition a lead's last outcome may be (refused,
    appointment …); an unknown code as it is, nothing for an attempt still running."""
    if not code:
        return ""
    found = OUTCOMES.get(code) or DISPOSITIONS.get(code)
    return found() if found is not None else code


def status_label(code: str | None) -> str:
    """The label of a lead's status."""
    if not code:
        return ""
    found = LEAD_STATUSES.get(code)
    return found() if found is not None else code


def phone_cell(e164: str | None) -> str:
    """A number as a French client dials it: `06 12 34 56 78`, `00 44 20 7946 0958` abroad.

    Never `+33612345678` in a file for people: French Excel and LibreOffice read a CSV cell `+33612345678`
    as the number 33612345678 (shown `3,36E+10`, the `+` lost), and a `+` followed by spaces as a formula.
    Spaces keep the cell text in both, and `00` is what one dials from France.
    """
    if not e164:
        return ""
    if (national := _french_plan(e164)) is not None:
        return national
    shown = display(e164)
    return "00 " + shown[1:] if shown.startswith("+") else shown


_OVERSEAS = ("+262", "+590", "+594", "+596")


def _french_plan(e164: str) -> str | None:
    """What `display` gives for a nine-digit French-plan number, without parsing it (an export has millions).

    Mainland numbers read in pairs (`06 12 34 56 78`), overseas ones four then pairs (`0590 12 34 56`); the
    library's own format for anything else, service numbers (`0 800 12 34 56`) included.
    """
    if len(e164) == 12 and e164.startswith("+33") and e164[3:].isdigit() and e164[3] != "8":  # 08: `0 800 …`
        national = "0" + e164[3:]
        return " ".join(national[i:i + 2] for i in range(0, 10, 2))
    if len(e164) == 13 and e164.startswith(_OVERSEAS) and e164[4:].isdigit():
        national = "0" + e164[4:]
        return f"{national[:4]} {national[4:6]} {national[6:8]} {national[8:]}"
    return None

# The headline figures (`reports.kpis.Figures` fields) as the client reads them: one wording in the weekly
# dashboard and the monthly review, the words of the design ("appel", "fiche", "décroché", "DMT").
FIGURES: dict[str, Callable[[], str]] = {
    "dials": lambda: _("Calls made"),
    "leads_worked": lambda: _("Leads called"),
    "answered": lambda: _("Calls answered"),
    "answer_rate": lambda: _("Answer rate"),
    "right_party_contacts": lambda: _("Right-party contacts"),
    "argued_contacts": lambda: _("Argued contacts"),
    "rdvs": lambda: _("Appointments set"),
    "conversion": lambda: _("Conversion (appointments ÷ argued contacts)"),
    "conformity_rate": lambda: _("Appointments meeting every criterion"),
    "agent_hours": lambda: _("Teleoperator hours"),
    "occupancy": lambda: _("Teleoperator occupancy (calls and wrap-up ÷ hours logged in)"),
    "rdvs_per_agent_hour": lambda: _("Appointments per teleoperator hour"),
    "handling_time_s": lambda: _("Average handling time (talk + wrap-up)"),
    "list_penetration": lambda: _("List penetration (leads fully worked)"),
}
