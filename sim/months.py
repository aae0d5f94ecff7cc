"""Month arithmetic on ``YYYY-MM`` strings: the one place the calendar is computed.

Months are counted as ``year * 12 + month - 1`` so that differences and shifts are plain integer
arithmetic; halves (``2019H2``) and quarters (``2019Q3``) group months for the history scores.
"""

from __future__ import annotations

MONTHS_PER_YEAR = 12
MONTHS_PER_QUARTER = 3
MONTHS_PER_HALF = 6


def month_number(month: str) -> int:
    """'2019-08' -> the count of months since year 0 (24235)."""
    year, mon = map(int, month.split("-"))
    return year * MONTHS_PER_YEAR + mon - 1


def month_of(number: int) -> str:
    """The inverse of :func:`month_number`."""
    return f"{number // MONTHS_PER_YEAR:04d}-{number % MONTHS_PER_YEAR + 1:02d}"


def months_between(a: str, b: str) -> int:
    """Whole months from ``a`` to ``b`` (negative when ``b`` is earlier)."""
    return month_number(b) - month_number(a)


def shift_month(month: str, months: int) -> str:
    """The month ``months`` after ``month`` (before it if negative)."""
    return month_of(month_number(month) + months)


def month_range(start: str, end: str) -> list[str]:
    """All months from ``start`` to ``end`` inclusive."""
    return [month_of(n) for n in range(month_number(start), month_number(end) + 1)]


def half_year(month: str) -> str:
    """'2019-08' -> '2019H2'."""
    return f"{month[:4]}H{(int(month[5:7]) - 1) // MONTHS_PER_HALF + 1}"


def quarter(month: str) -> str:
    """'2019-08' -> '2019Q3'."""
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // MONTHS_PER_QUARTER + 1}"


def first_month_of_half(half: str) -> str:
    """'2019H2' -> '2019-07'."""
    return shift_month(f"{half[:4]}-01", (int(half[-1]) - 1) * MONTHS_PER_HALF)
