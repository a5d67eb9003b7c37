"""Money and counts: Decimal only, rounded once at the place a plan names, with the mode it names."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

CENT = Decimal("0.01")
# Plans name their rounding with these words; the Decimal modes behind them.
MODES = {
    "up": ROUND_CEILING,
    "down": ROUND_FLOOR,
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "away": ROUND_UP,
    "toward_zero": ROUND_DOWN,
}


class UnknownRounding(ValueError):
    """A rounding mode that plans do not know."""

    def __init__(self, mode: str) -> None:
        from config.i18n import _

        super().__init__(_("Unknown rounding mode: {mode} (known: {known})").format(mode=mode, known=", ".join(MODES)))


def mode(name: str) -> str:
    """The Decimal rounding constant a plan's word stands for."""
    try:
        return MODES[name]
    except KeyError:
        raise UnknownRounding(name) from None


def to_cents(amount: Decimal, rounding: str = "half_up") -> Decimal:
    """An amount rounded to the cent (money on an invoice always has two decimals)."""
    return amount.quantize(CENT, rounding=mode(rounding))


def round_to_unit(value: Decimal, unit: Decimal, rounding: str) -> Decimal:
    """`value` rounded to a multiple of `unit` (a quarter-hour, 30 seconds, one RDV)."""
    if unit <= 0:
        raise ValueError(f"rounding unit must be positive, not {unit}")
    return (value / unit).quantize(Decimal(1), rounding=mode(rounding)) * unit


def whole(value: Decimal, rounding: str) -> int:
    """A count rounded to a whole number (the weekly minimum of RDVs)."""
    return int(value.quantize(Decimal(1), rounding=mode(rounding)))


def cents(amount: Decimal) -> int:
    """Integer cents, as stored (exact on SQLite and PostgreSQL alike)."""
    return int(to_cents(amount) * 100)


def from_cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(CENT)
