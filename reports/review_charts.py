"""The monthly review's charts as PNG images (matplotlib, no pyplot: figures are built and dropped per call)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from config.i18n import _, fmt_number, fmt_percent

INK = "#1f3b5c"
ACCENT = "#c9772b"
GRID = "#d9dee5"
SIZE = (7.2, 2.6)  # inches: the width of the page's text block at 100 dpi, a third of its height
DPI = 150


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.tick_params(labelsize=7, colors="#333333")
    return figure, axes


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


_PERCENT = FuncFormatter(lambda value, _pos: fmt_percent(value, digits=0))
_NUMBER = FuncFormatter(lambda value, _pos: fmt_number(int(value)))


def calls_and_rdvs(days: Sequence[str], dials: Sequence[int], rdvs: Sequence[int]) -> bytes:
    """Dials per day as bars, RDVs per day as a line on their own scale."""
    figure, axes = _figure()
    positions = range(len(days))
    axes.bar(positions, dials, color=INK, width=0.7, label=_("Dials"))
    axes.set_xticks(list(positions), list(days), rotation=0)
    axes.yaxis.set_major_formatter(_NUMBER)
    right = axes.twinx()
    right.plot(list(positions), rdvs, color=ACCENT, marker="o", markersize=3, linewidth=1.5, label=_("RDVs"))
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_ylim(bottom=0)
    right.spines[["top"]].set_visible(False)
    right.tick_params(labelsize=7, colors=ACCENT)
    lines, names = axes.get_legend_handles_labels()
    more, more_names = right.get_legend_handles_labels()
    axes.legend([*lines, *more], [*names, *more_names], fontsize=7, frameon=False, loc="lower left",
                bbox_to_anchor=(0, 1), ncol=2)
    return _png(figure)


def rates(labels: Sequence[str], values: Sequence[float], mean: float, mean_label: str) -> bytes:
    """A rate per segment (hour band, weekday) as bars, the month's rate as a dashed line."""
    figure, axes = _figure()
    positions = range(len(labels))
    axes.bar(positions, values, color=INK, width=0.6)
    axes.axhline(mean, color=ACCENT, linestyle="--", linewidth=1.2, label=mean_label)
    axes.set_xticks(list(positions), list(labels))
    axes.yaxis.set_major_formatter(_PERCENT)
    axes.set_ylim(0, max([*values, mean, 0.01]) * 1.15)
    axes.legend(fontsize=7, frameon=False, loc="lower right", bbox_to_anchor=(1, 1))
    return _png(figure)


def counts(labels: Sequence[str], values: Sequence[int]) -> bytes:
    """Counts per segment (RDVs per département, per month) as horizontal bars, largest on top."""
    figure = Figure(figsize=(SIZE[0], max(1.4, 0.28 * len(labels) + 0.5)), dpi=DPI)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=7, colors="#333333")
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color=INK, height=0.6)
    axes.set_yticks(positions, list(labels))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(_NUMBER)
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {fmt_number(value)}", va="center", fontsize=7, color="#333333")
    return _png(figure)
