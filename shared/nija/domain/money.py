"""Decimal helpers: money and quantities never touch float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

ZERO = Decimal("0")
MAX_MAGNITUDE = 18  # no price or quantity on any market needs more than 10^18 or less than 10^-18


def to_decimal(value: object) -> Decimal:
    """Parse a JSON string or number into a Decimal without passing through binary float error."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError("the number must be finite")
    if result and not -MAX_MAGNITUDE <= result.adjusted() <= MAX_MAGNITUDE:
        raise ValueError("the number is out of range")
    return result


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def fmt(value: Decimal) -> str:
    """Canonical text for a Decimal: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
