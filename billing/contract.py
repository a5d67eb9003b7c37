"""A client's billing contract file (TOML): seller, buyer, plan, tax regime, alerts; checked in full on load."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billing.parties import Party, party_from_mapping
from billing.plans import InvalidPlan, Plan, plan_from_mapping
from billing.tax import MissingIdentifier, Regime, regime, regime_for
from config.i18n import _


class InvalidContract(ValueError):
    """A contract file that cannot be read or lacks something an invoice needs."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(_("Contract file {source}: {problem}").format(source=source, problem=problem))


@dataclass(frozen=True)
class Contract:
    """The parsed terms of a client contract."""

    seller: Party
    buyer: Party
    plan: Plan
    regime: Regime
    timezone: str
    alert_emails: tuple[str, ...]
    series: str = "F"
    credit_series: str = "AV"


def parse_contract(raw: Mapping[str, Any], buyer_defaults: Mapping[str, str] | None = None) -> Contract:
    """The terms of a contract mapping; raises a one-line error naming the field at fault."""
    seller = party_from_mapping(raw.get("seller", {}), "seller")
    buyer = party_from_mapping(raw.get("buyer", {}), "buyer", buyer_defaults)
    plan = plan_from_mapping(raw.get("plan", {}))
    chosen = regime(str(raw["regime"])) if raw.get("regime") else regime_for(seller.country, buyer.country,
                                                                               buyer.is_business)
    if chosen.needs_buyer_vat and not buyer.vat_number:
        raise MissingIdentifier(_("buyer"), _("VAT number"))
    if buyer.country == "FR" and buyer.is_business and not buyer.siren:
        raise MissingIdentifier(_("buyer"), "SIREN")
    zone = str(raw.get("timezone", "Europe/Paris"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPlan("timezone", _("unknown time zone {zone}").format(zone=zone)) from None
    emails = tuple(str(e).strip() for e in raw.get("alert_emails", []) if str(e).strip())
    return Contract(seller, buyer, plan, chosen, zone, emails, str(raw.get("series", "F")),
                    str(raw.get("credit_series", "AV")))


def read_contract(path: Path, buyer_defaults: Mapping[str, str] | None = None) -> tuple[dict[str, Any], Contract]:
    """The raw mapping (kept as stored) and the parsed terms of a contract file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidContract(str(path), str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidContract(str(path), str(exc)) from None
    try:
        return raw, parse_contract(raw, buyer_defaults)
    except ValueError as exc:
        raise InvalidContract(path.name, str(exc)) from None
