"""The weekly dashboard's charts as PNG pictures for the e-mail (matplotlib, no display needed).

The XLSX carries native Excel charts of the same tables instead (`reports.weekly_xlsx`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: a service has no display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from config.i18n import _, fmt_percent  # noqa: E402
from reports.weekly_dashboard import WeeklyDashboard  # noqa: E402

BLUE, ORANGE, GREY = "#1F4E79", "#E07B00", "#8A96A3"
SIZE = (7.2, 3.0)  # inches at 100 dpi: 720 px wide, the e-mail's width
DAY_INITIALS = (lambda: _("Mon"), lambda: _("Tue"), lambda: _("Wed"), lambda: _("Thu"), lambda: _("Fri"),
                lambda: _("Sat"), lambda: _("Sun"))  # fmt: skip


@dataclass(frozen=True)
class Chart:
    """One picture: its content id in the e-mail, its alternative text and its PNG bytes."""

    cid: str
    title: str
    png: bytes


def _figure(height: float = SIZE[1]) -> tuple[Figure, plt.Axes]:
    figure, axes = plt.subplots(figsize=(SIZE[0], height), dpi=100)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#e3e8ee", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _empty(axes: plt.Axes) -> None:
    axes.text(0.5, 0.5, _("No call this week"), ha="center", va="center", transform=axes.transAxes, color=GREY)
    axes.set_xticks([])
    axes.set_yticks([])


def days_chart(board: WeeklyDashboard) -> Chart:
    """Calls (bars) and appointments (line, right axis) per day of the week."""
    frame = board.by_day()
    figure, axes = _figure()
    labels = [f"{DAY_INITIALS[d.weekday()]()} {d.day}" for d in frame.index]
    axes.bar(labels, frame["dials"], color=BLUE, label=_("Calls"))
    axes.set_ylabel(_("Calls"))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    right = axes.twinx()
    right.plot(labels, frame["rdvs"], color=ORANGE, marker="o", linewidth=2, label=_("Appointments"))
    right.set_ylabel(_("Appointments"))
    right.set_ylim(bottom=0, top=max(1, int(frame["rdvs"].max()) + 1))
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.spines[["top"]].set_visible(False)
    handles = axes.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    axes.legend(handles, [str(h.get_label()) for h in handles], loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2,
                frameon=False, fontsize=9)  # above the plot, right of the title: never over a bar
    title = _("Calls and appointments per day")
    axes.set_title(title, loc="left", fontsize=11)
    return Chart("days", title, _png(figure))


def hours_chart(board: WeeklyDashboard) -> Chart:
    """Answer rate per hour of the callee's day."""
    frame = board.by_hour()
    figure, axes = _figure()
    title = _("Answer rate by hour of the day")
    if frame.empty:
        _empty(axes)
    else:
        labels = [_("{hour} h").format(hour=int(h)) for h in frame.index]
        axes.bar(labels, frame["answer_rate"], color=BLUE)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_percent(v, 0)))
        axes.set_ylim(0, max(0.05, float(frame["answer_rate"].max()) * 1.2))
    axes.set_title(title, loc="left", fontsize=11)
    return Chart("hours", title, _png(figure))


def departements_chart(board: WeeklyDashboard, top: int = 12) -> Chart:
    """Appointments per département (the `top` first)."""
    frame = board.by_departement()
    frame = frame[frame["rdvs"] > 0].head(top).iloc[::-1]
    figure, axes = _figure(min(SIZE[1] * 1.5, 1.2 + 0.32 * max(len(frame), 2)))  # bars of one height, few or many
    title = _("Appointments by département")
    if frame.empty:
        axes.text(0.5, 0.5, _("No appointment this week"), ha="center", va="center", transform=axes.transAxes,
                  color=GREY)  # fmt: skip
        axes.set_xticks([])
        axes.set_yticks([])
    else:
        axes.barh([code or _("Unknown") for code in frame.index], frame["rdvs"], color=ORANGE, height=0.6)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(axis="y", visible=False)
        axes.grid(axis="x", color="#e3e8ee", linewidth=0.8)
    axes.set_title(title, loc="left", fontsize=11)
    return Chart("departements", title, _png(figure))


def charts(board: WeeklyDashboard) -> list[Chart]:
    """The e-mail's three charts, in reading order."""
    return [days_chart(board), hours_chart(board), departements_chart(board)]
