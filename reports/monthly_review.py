"""The monthly review ("bilan") and the contract's final report as a PDF (WeasyPrint from a Jinja2 template).

The contract asks for a review at the end of every month with a quantitative and a qualitative analysis that
serves as the basis for recommendations; the answering-service model contract adds a final report at the end.
The content is computed in `reports.review_content`, worded in `reports.review_view`, laid out here.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from campaigns.appointment_rules import state_label
from config.i18n import _, current_lang, fmt_date, fmt_number, fmt_percent
from reports.review_content import ReviewContent
from reports.review_view import (
    MAX_AREAS,
    MAX_LISTS,
    breakdown_rows,
    charts,
    departement_label,
    headlines,
    hour_label,
    month_title,
    service_rows,
    weekday_label,
)

_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]))


def period_text(content: ReviewContent) -> str:
    """`décembre 2026` for a month, `du 2 novembre 2026 au 31 janvier 2027` for a contract."""
    if not content.final:
        return month_title(content.first)
    return _("from {first} to {last}").format(first=fmt_date(content.first, "long"),
                                              last=fmt_date(content.last, "long"))


def title(content: ReviewContent) -> str:
    if content.final:
        return _("Final report")
    return _("Monthly review – {month}").format(month=month_title(content.first))


def _intro(content: ReviewContent) -> list[str]:
    f, campaign = content.figures, content.facts.campaign
    lines = [_("Hello,")]
    if content.final:
        lines.append(_("As our work together on your campaign “{campaign}” comes to its end, we are pleased to send "
                       "you its final report, {period}.").format(campaign=campaign, period=period_text(content)))
    else:
        lines.append(_("We are pleased to send you the review of your campaign “{campaign}” for {month}.").format(
            campaign=campaign, month=month_title(content.first)))
    if not f.dials:
        lines.append(_("No call was made over the period: the figures below will fill in as soon as calls resume."))
        return lines
    lines.append(_("Over the period, our teleoperators made {dials} calls, talked with {argued} of your prospects "
                   "and set {rdvs} appointments, {conform} of which meet every criterion agreed with you.").format(
        dials=fmt_number(f.dials), argued=fmt_number(f.argued_contacts), rdvs=fmt_number(f.rdvs),
        conform=fmt_number(content.conform)))
    previous = content.previous
    if previous is not None:
        if f.rdvs > previous.rdvs:
            lines.append(_("That is {more} more than the month before ({before}): thank you for your trust, which "
                           "this progress rewards.").format(more=fmt_number(f.rdvs - previous.rdvs),
                                                            before=fmt_number(previous.rdvs)))
        elif f.rdvs < previous.rdvs:
            lines.append(_("The month before counted {before}: you will find below what we propose to regain "
                           "that pace.").format(before=fmt_number(previous.rdvs)))
        else:
            lines.append(_("That is as many as the month before."))
    return lines


def _closing(content: ReviewContent) -> list[str]:
    if content.final:
        return [_("We thank you warmly for the trust you placed in our team throughout this campaign."),
                _("The recommendations above can serve as the basis of your next campaigns; we would be glad to "
                  "discuss them with you.")]
    return [_("We would be glad to discuss this review with you and to agree together on the follow-up to "
              "these proposals."),
            _("We remain at your disposal for any question.")]


def _labels() -> dict[str, str]:
    return {
        "figures": _("The period in figures"), "figure": _("Indicator"), "value": _("This month"),
        "value_final": _("Whole campaign"), "previous": _("Previous month"), "change": _("Change"),
        "per_day": _("Calls and appointments day by day"), "per_month": _("Month by month"),
        "when": _("When your prospects answer"), "hours": _("By hour band (the prospect's local time)"),
        "weekdays": _("By weekday"), "segment_hour": _("Hour band"), "segment_day": _("Day"),
        "dials": _("Dials"), "answer_rate": _("Answer rate"), "argued": _("Argued contacts"), "rdvs": _("RDVs"),
        "conversion": _("Conversion"), "where": _("Where your appointments come from"),
        "areas": _("Appointments by département"), "area": _("Département"), "lists": _("By lead file"),
        "list": _("Lead file"), "leads": _("Leads"), "unreached": _("Never reached"), "month": _("Month"),
        "qualitative": _("What your prospects tell us"), "refusals": _("Reasons given by prospects who declined"),
        "reason": _("Reason"), "calls": _("Calls"), "share": _("Share"),
        "ends": _("Where the conversations end"), "unmet": _("Criteria most often not met"),
        "criterion": _("Criterion"), "times": _("Appointments"), "quality": _("After the visits: quality control"),
        "comments": _("Comments after the visits"), "service": _("Service levels"),
        "indicator": _("Indicator"), "slot": _("Slot"), "target": _("Target"), "measured": _("Measured"),
        "met": _("Result"), "recommendations": _("Our recommendations"),
        "recommendations_final": _("Our recommendations for your next campaigns"), "why": _("Why:"),
        "none": _("Nothing to report for this period."),
        "no_reco": _("The figures of the period are even across hours, days, lists and départements: we are "
                     "carrying on with the campaign on the same basis."), "regards": _("Kind regards,"),
    }


def _qualitative(content: ReviewContent) -> dict[str, Any]:
    labels = content.facts.labels
    ends = content.ends
    total = ends.conversations
    qc = content.quality
    return {
        "refusals": [[labels.get(str(code), str(code)), fmt_number(int(r.calls)), fmt_percent(r.share)]
                     for code, r in content.refusals.iterrows()],
        "ends": [[name, fmt_number(count), fmt_percent(count / total) if total else "—"] for name, count in (
            (_("At the greeting, before the pitch"), ends.at_greeting),
            (_("After the pitch, with a refusal"), sum(ends.refusals.values())),
            (_("With a callback agreed"), ends.callbacks), (_("With an appointment"), ends.rdvs),
            (_("Otherwise (wrong number, not qualified)"), total - ends.at_greeting - sum(ends.refusals.values())
             - ends.callbacks - ends.rdvs))],
        "unmet": [[criterion, fmt_number(count)] for criterion, count in content.unmet[:6]],
        "quality": [
            _("You reported {visited} visits and {cancelled} cancellations (chutes) over the period.").format(
                visited=fmt_number(qc.visited), cancelled=fmt_number(qc.reported_cancelled)),
            _("Quality control gave {ruled} verdicts: {validated} appointments validated, {upheld} cancellations "
              "upheld and {false} false cancellations (fausses chutes) proven, which count as valid "
              "appointments.").format(
                ruled=fmt_number(qc.ruled), validated=fmt_number(qc.validated), upheld=fmt_number(qc.cancelled),
                false=fmt_number(qc.false_cancellations)),
        ],
        "comments": [{"when": fmt_date(c.day.date(), "long"), "reference": c.reference, "note": c.note,
                      "state": state_label(c.state)} for c in content.comments],
    }


def _view(content: ReviewContent) -> dict[str, Any]:
    areas = content.departements[content.departements["dials"] > 0].head(MAX_AREAS)
    lists = content.lists[content.lists["leads"] > 0].head(MAX_LISTS)
    service = service_rows(content.service, content.facts.sends_as_taken)
    return {
        "lang": current_lang(), "t": _labels(), "title": title(content), "period": period_text(content),
        "client": content.facts.client, "campaign": content.facts.campaign, "final": content.final,
        "compared": content.previous is not None,
        "confidential": _("Confidential – {client}").format(client=content.facts.client),
        "intro": _intro(content), "closing": _closing(content), "signature": _("The appointment-setting team"),
        "headlines": headlines(content.figures, content.previous), "charts": charts(content),
        "hours": breakdown_rows(content.hour_bands[content.hour_bands["dials"] > 0], hour_label),
        "weekdays": breakdown_rows(content.weekdays[content.weekdays["dials"] > 0], weekday_label),
        "areas": breakdown_rows(areas, departement_label),
        "lists": [[str(name) or "—", fmt_number(int(r.leads)), fmt_number(int(r.unreached)), fmt_number(int(r.rdvs)),
                   fmt_percent(r.conversion)] for name, r in lists.iterrows()],  # fmt: skip
        "months": [[month_title(r.month), fmt_number(int(r.dials)), fmt_percent(r.answer_rate),
                    fmt_number(int(r.argued)), fmt_number(int(r.rdvs)), fmt_percent(r.conversion)]
                   for r in content.per_month.itertuples()] if content.final else [],
        "service": service[0], "service_note": service[1], "recommendations": content.recommendations,
        **_qualitative(content),
    }  # fmt: skip


def review_html(content: ReviewContent) -> str:
    """The HTML the PDF is printed from (also handy to look at in a browser)."""
    return _env.get_template("monthly_review.html").render(**_view(content))


def review_pdf(content: ReviewContent) -> bytes:
    """The review as a PDF."""
    # Imported here: WeasyPrint loads Pango at import, which commands that never print should not pay for.
    from weasyprint import HTML

    result = HTML(string=review_html(content)).write_pdf()
    assert result is not None
    return bytes(result)
