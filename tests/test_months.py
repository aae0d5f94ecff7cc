"""Month arithmetic (sim.months): differences, shifts, ranges, halves and quarters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sim import months

MONTH = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1900, 2200), st.integers(1, 12))


def test_months_between_counts_across_years():
    assert months.months_between("2018-11", "2019-02") == 3
    assert months.months_between("2019-02", "2018-11") == -3
    assert months.months_between("2020-05", "2020-05") == 0


def test_month_range_is_inclusive_and_crosses_years():
    assert months.month_range("2018-11", "2019-02") == ["2018-11", "2018-12", "2019-01",
                                                       "2019-02"]
    assert months.month_range("2019-02", "2018-11") == []


def test_halves_and_quarters():
    assert [months.half_year(m) for m in ("2019-01", "2019-06", "2019-07", "2019-12")] == [
        "2019H1", "2019H1", "2019H2", "2019H2"]
    assert [months.quarter(m) for m in ("2019-01", "2019-03", "2019-04", "2019-12")] == [
        "2019Q1", "2019Q1", "2019Q2", "2019Q4"]
    assert months.first_month_of_half("2019H2") == "2019-07"
    assert months.first_month_of_half("2019H1") == "2019-01"


@given(MONTH, st.integers(-600, 600))
def test_shift_and_difference_are_inverse(month, k):
    shifted = months.shift_month(month, k)
    assert months.months_between(month, shifted) == k
    assert months.month_of(months.month_number(shifted)) == shifted
