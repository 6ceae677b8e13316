"""How tokenplan writes numbers for people: significant digits without an exponent, and large amounts scaled
to thousands, millions, billions or trillions (the console, the study table and the plots' axes)."""

from __future__ import annotations

import math

#: significant digits of an amount under 1,000 (a cost per million tokens: ``0.04035 USD``)
DIGITS = 4
#: at most this many decimals: what rounds to 0 there is shown as ``0`` (solver noise such as -1e-9)
MAX_DECIMALS = 6
#: the scales of large amounts, largest first
SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def significant(value: float, digits: int = DIGITS) -> str:
    """``0.04035``, ``462.5``, ``5.000``, ``0``: ``digits`` significant digits in fixed notation (never an
    exponent), at most :data:`MAX_DECIMALS` decimals; what rounds to zero there is ``0``."""
    if not math.isfinite(value):
        return str(value)
    value = float(f"{value:.{digits}g}")  # 999.96 -> 1000: the decimals follow the rounded value
    if value == 0:
        return "0"
    decimals = min(MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(abs(value)))))
    text = f"{value:,.{decimals}f}"
    return "0" if float(text.replace(",", "")) == 0 else text


def scaled(value: float) -> tuple[float, str]:
    """``value`` in its scale: ``(462.496, "M")`` for 462,496,000; ``(value, "")`` under 1,000."""
    for size, suffix in SCALES:
        if abs(value) >= size:
            return value / size, suffix
    return value, ""
