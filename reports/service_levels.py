"""Service levels of the answering-service model contract, where they apply to outbound appointment setting.

Each indicator has a target, a measured value and whether it was met, computed from the KPI frames
(`reports.kpis`): the answer rate per slot (hour band), the delay from an RDV being taken to the client
receiving it (when the campaign sends RDVs as they are taken), and the quality of qualification (required
fields complete, criteria met). Pure: frames and targets in, one frame out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import time

import pandas as pd

from campaigns.settings import CampaignSettings
from reports import kpis

ANSWER_RATE = "answer_rate"
TRANSMISSION = "transmission"
COMPLETENESS = "completeness"
CONFORMITY = "conformity"
COLUMNS = ["indicator", "slot", "target", "measured", "met", "count"]


@dataclass(frozen=True)
class Targets:
    """The thresholds agreed with the client; the defaults are the model contract's examples."""

    # Human answers ÷ dials in every slot.
    answer_rate: float = 0.20
    # RDVs taken in business hours that reach the client within `transmission_minutes` ÷ those RDVs.
    transmission_minutes: float = 10.0
    transmission_share: float = 0.95
    # RDV sheets with every required field ÷ RDVs; RDVs meeting every criterion ÷ RDVs.
    completeness: float = 0.98
    conformity: float = 0.90

    @classmethod
    def of(cls, settings: CampaignSettings) -> Targets:
        """The campaign's targets, as set in its settings (`sla_*`)."""
        return cls(settings.sla_answer_rate, float(settings.sla_transmission_minutes),
                   settings.sla_transmission_share, settings.sla_completeness, settings.sla_conformity)  # fmt: skip


def _row(indicator: str, slot: str, target: float, measured: float | None, count: int) -> dict[str, object]:
    met = None if measured is None else measured >= target
    return {"indicator": indicator, "slot": slot, "target": target, "measured": measured, "met": met,
            "count": count}  # fmt: skip


def answer_rate_rows(attempts: pd.DataFrame, boundaries: Sequence[time], target: float) -> list[dict[str, object]]:
    """One row per hour band with dials: answer rate = human answers ÷ dials in that band."""
    table = kpis.by_hour_band(attempts, _no_appointments(), (), boundaries)
    return [_row(ANSWER_RATE, str(band), target, float(line.answer_rate), int(line.dials))
            for band, line in table.iterrows() if line.dials]  # fmt: skip


def _no_appointments() -> pd.DataFrame:
    return pd.DataFrame({"local_at": pd.Series([], dtype="datetime64[ns]")})


def transmission_row(appointments: pd.DataFrame, targets: Targets, sends_as_taken: bool) -> dict[str, object]:
    """Share of the RDVs taken in business hours that reached the client within the target delay; not measured
    (None) when the campaign sends its RDVs in the daily e-mail instead."""
    slot = f"< {targets.transmission_minutes:g} min"
    if not sends_as_taken:
        return _row(TRANSMISSION, slot, targets.transmission_share, None, 0)
    taken = appointments[appointments["business_hours"]]
    delays = taken["transmission_s"]
    on_time = int((delays <= targets.transmission_minutes * 60).sum())  # NaN (not delivered yet) is late
    return _row(TRANSMISSION, slot, targets.transmission_share, kpis.ratio(on_time, len(taken)) if len(taken)
                else None, len(taken))  # fmt: skip


def service_levels(attempts: pd.DataFrame, appointments: pd.DataFrame, *, boundaries: Sequence[time],
                   sends_as_taken: bool, targets: Targets = Targets()) -> pd.DataFrame:
    """Every service level of a period: columns indicator, slot, target, measured (NaN when there was nothing
    to measure), met (None then) and count (the dials or RDVs measured)."""
    rows = answer_rate_rows(attempts, boundaries, targets.answer_rate)
    rows.append(transmission_row(appointments, targets, sends_as_taken))
    count = len(appointments)
    rows.append(_row(COMPLETENESS, "", targets.completeness, kpis.completeness_rate(appointments) if count
                     else None, count))  # fmt: skip
    rows.append(_row(CONFORMITY, "", targets.conformity, kpis.conformity_rate(appointments) if count else None,
                     count))  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def met_share(levels: pd.DataFrame, indicators: Collection[str] | None = None) -> float:
    """Share of the measured service levels (optionally of some indicators) that were met."""
    measured = levels[levels["met"].notna()]
    if indicators is not None:
        measured = measured[measured["indicator"].isin(list(indicators))]
    return kpis.ratio(int(measured["met"].astype(bool).sum()), len(measured))
