"""Money is integer cents; the Image2ART document shows prices in whole currency units."""

from __future__ import annotations


def whole_units(cents: int) -> int:
    """Cents to whole currency units, rounding half up (3950 → 40, 3949 → 39)."""
    return (cents + 50) // 100


def apply_basis_points(cents: int, basis_points: int) -> int:
    """Raise (or lower) an amount by basis points (2500 = +25 %), rounding half up to the cent."""
    return (cents * (10_000 + basis_points) + 5_000) // 10_000


def parse_percent(text: str) -> int:
    """``"25"``, ``"25%"`` or ``"12.5%"`` → basis points; raises ValueError naming the value."""
    value = text.strip().removesuffix("%").strip()
    try:
        number = round(float(value) * 100)
    except ValueError:
        raise ValueError(f"{text!r} is not a percentage") from None
    if not -9_000 <= number <= 100_000:
        raise ValueError(f"{text!r} is outside -90% … 1000%")
    return number


def parse_amount(text: str) -> int:
    """``"139"`` or ``"139.50"`` (whole units) → cents; raises ValueError naming the value."""
    value = text.strip()
    whole, _, frac = value.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise ValueError(f"{text!r} is not an amount such as 139 or 139.50")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)
