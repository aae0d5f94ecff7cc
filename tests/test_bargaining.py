"""Tests of the expected-utility bargaining kernel and the ``sim bargain`` command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.cli
from sim.bargaining import (
    bargaining_round,
    pairwise_median,
    pairwise_votes,
    run_rounds,
    weighted_mean,
)

ROOT = Path(__file__).resolve().parents[1]
EC_CSV = ROOT / "scenarios" / "bargaining" / "european_community.csv"

# MODEL.md section 8: Scholz, Calbert & Smith (2011) replication of BDM's EC example.
EC_C = np.array([0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08])
EC_X = np.array([4, 7, 4, 4, 10, 10, 10, 7, 4, 7], dtype=float)
EC_S = np.array([0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7])


# ---------------------------------------------------------------------------------------------
# The European Community reference numbers
# ---------------------------------------------------------------------------------------------


def test_ec_weighted_mean_before_any_round() -> None:
    assert round(weighted_mean(EC_C, EC_X, EC_S), 3) == 7.390


def test_ec_pairwise_median_before_any_round() -> None:
    assert pairwise_median(EC_C, EC_X, EC_S) == 7.0


def test_ec_median_beats_every_other_position() -> None:
    net = pairwise_votes(EC_C, EC_X, EC_S, span=6.0).sum(axis=0)
    winner = np.flatnonzero(EC_X == 7.0)[0]
    others = EC_X != 7.0
    assert np.all(net[winner, others] > 0)


def test_ec_run_reports_round_zero_and_forecast() -> None:
    result = run_rounds(EC_C, EC_X, EC_S, rounds=5)
    assert result.history.shape == (6, 10)
    np.testing.assert_array_equal(result.history[0], EC_X)
    assert round(result.means[0], 3) == 7.390
    assert result.medians[0] == 7.0
    assert result.forecast == pytest.approx(result.means[-1])
    assert 4.0 <= result.forecast <= 10.0


# ---------------------------------------------------------------------------------------------
# Invariants (hypothesis)
# ---------------------------------------------------------------------------------------------

unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)


@st.composite
def tables(draw: st.DrawFn, max_actors: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, max_actors))
    c = np.array(draw(st.lists(unit, min_size=n, max_size=n)))
    x = np.array(draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n)))
    s = np.array(draw(st.lists(unit, min_size=n, max_size=n)))
    return c, x, s


def _moved(before: np.ndarray, after: np.ndarray) -> float:
    return float(np.abs(after - before).sum())


@settings(max_examples=150, deadline=None)
@given(tables(), st.integers(1, 4))
def test_positions_stay_in_range_and_finite(table: tuple, rounds: int) -> None:
    c, x, s = table
    result = run_rounds(c, x, s, rounds=rounds)
    assert np.all(np.isfinite(result.history))
    assert np.all(result.history >= x.min() - 1e-9)
    assert np.all(result.history <= x.max() + 1e-9)
    assert np.all((result.means >= x.min() - 1e-9) & (result.means <= x.max() + 1e-9))


@settings(max_examples=100, deadline=None)
@given(tables())
def test_mean_between_min_and_max(table: tuple) -> None:
    c, x, s = table
    assert x.min() - 1e-9 <= weighted_mean(c, x, s) <= x.max() + 1e-9


@settings(max_examples=100, deadline=None)
@given(tables())
def test_median_is_an_actor_position_no_one_beats(table: tuple) -> None:
    c, x, s = table
    median = pairwise_median(c, x, s)
    assert median in x
    if np.ptp(x) > 0:
        net = pairwise_votes(c, x, s, span=float(np.ptp(x))).sum(axis=0)
        winner = int(np.flatnonzero(x == median)[0])
        assert np.all(net[winner] >= -1e-12)


@settings(max_examples=50, deadline=None)
@given(tables(), st.floats(-5, 5))
def test_identical_positions_do_not_move(table: tuple, where: float) -> None:
    c, _, s = table
    x = np.full(len(c), where)
    result = bargaining_round(c, x, s)
    np.testing.assert_array_equal(result.position, x)


@settings(max_examples=100, deadline=None)
@given(tables())
def test_full_mistrust_freezes_positions(table: tuple) -> None:
    c, x, s = table
    result = bargaining_round(c, x, s, mistrust=np.ones((len(c), len(c))))
    np.testing.assert_allclose(result.position, x)


@settings(max_examples=100, deadline=None)
@given(tables())
def test_half_mistrust_moves_less_than_none(table: tuple) -> None:
    c, x, s = table
    n = len(c)
    free = _moved(x, bargaining_round(c, x, s, mistrust=np.zeros((n, n))).position)
    half = _moved(x, bargaining_round(c, x, s, mistrust=np.full((n, n), 0.5)).position)
    assert half <= free + 1e-12
    if free > 1e-9:
        assert half < free


@settings(max_examples=50, deadline=None)
@given(tables(), tables())
def test_dimensions_are_bargained_independently(first: tuple, second: tuple) -> None:
    c, x1, s1 = first
    n = len(c)
    x2 = np.resize(second[1], n)
    s2 = np.resize(second[2], n)
    both = run_rounds(c, np.column_stack([x1, x2]), np.column_stack([s1, s2]), rounds=2)
    one = run_rounds(c, x1, s1, rounds=2)
    two = run_rounds(c, x2, s2, rounds=2)
    np.testing.assert_allclose(both.history[:, :, 0], one.history)
    np.testing.assert_allclose(both.history[:, :, 1], two.history)


def test_two_dimensional_input_gives_per_dimension_summaries() -> None:
    x = np.column_stack([EC_X, 14.0 - EC_X])
    s = np.column_stack([EC_S, EC_S])
    means = weighted_mean(EC_C, x, s)
    medians = pairwise_median(EC_C, x, s)
    np.testing.assert_allclose(means, [7.38996, 14.0 - 7.38996], atol=1e-5)
    np.testing.assert_allclose(medians, [7.0, 7.0])
    result = bargaining_round(EC_C, x, s, mistrust=np.zeros((10, 10)))
    assert result.position.shape == (10, 2)
    assert result.outcome.shape == (10, 2)


# ---------------------------------------------------------------------------------------------
# The `sim bargain` command
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """``sim.cli.main`` restricted to ``bargain``, so other commands' state cannot break it."""
    monkeypatch.setattr(sim.cli, "COMMANDS", {"bargain": sim.cli.COMMANDS["bargain"]})
    return sim.cli.main


def _round_rows(output: str) -> list[list[str]]:
    """Cells of the rows that start with a round number."""
    rows = [line.split() for line in output.splitlines()]
    return [cells for cells in rows if cells and cells[0].isdigit()]


def test_cli_ec_round_zero(cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["bargain", str(EC_CSV)]) == 0
    out = capsys.readouterr().out
    header = next(line.split() for line in out.splitlines() if line.strip().startswith("round"))
    assert header[-2:] == ["mean", "median"] and "Netherlands" in header
    round0 = _round_rows(out)[0]
    assert round0[0] == "0"
    assert round0[-2:] == ["7.390", "7.000"]
    assert "forecast" in out


def test_cli_rounds_option(cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["bargain", str(EC_CSV), "--rounds", "2"]) == 0
    rows = _round_rows(capsys.readouterr().out)
    assert [r[0] for r in rows] == ["0", "1", "2"]


def test_cli_rounds_matches_kernel(cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["bargain", str(EC_CSV), "--rounds", "3"]) == 0
    rows = _round_rows(capsys.readouterr().out)
    expected = run_rounds(EC_C, EC_X, EC_S, rounds=3)
    for k, row in enumerate(rows):
        np.testing.assert_allclose([float(v) for v in row[1:11]], expected.history[k], atol=5e-4)


def test_cli_multi_dimensional(cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        "actor,capability,position:trade,salience:trade,position:security,salience:security\n"
        "A,1,0.1,0.9,0.8,0.5\nB,2,0.9,0.5,0.2,0.7\nC,1.5,0.5,0.6,0.5,0.2\n"
    )
    assert cli(["bargain", str(path), "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "issue: trade" in out and "issue: security" in out
    assert len(_round_rows(out)) == 4  # rounds 0 and 1, two issues
    assert "trade = " in out and "security = " in out


GOOD_HEADER = "actor,capability,position,salience\n"

MALFORMED = {
    "missing column": ("actor,capability,position\nA,1,1\nB,1,2\n", ":1: salience: missing"),
    "non-numeric": (GOOD_HEADER + "A,lots,1,0.5\nB,1,2,0.5\n", ":2: capability: expected a number"),
    "nan": (GOOD_HEADER + "A,1,1,0.5\nB,1,nan,0.5\n", ":3: position: expected a finite"),
    "inf": (GOOD_HEADER + "A,1,1,inf\nB,1,2,0.5\n", ":2: salience: expected a finite"),
    "negative capability": (GOOD_HEADER + "A,1,1,0.5\nB,-2,2,0.5\n", ":3: capability: must be >="),
    "salience above 1": (GOOD_HEADER + "A,1,1,0.5\nB,1,2,1.2\n", ":3: salience: must be <= 1"),
    "salience below 0": (GOOD_HEADER + "A,1,1,-0.1\nB,1,2,1\n", ":2: salience: must be >= 0"),
    "empty table": (GOOD_HEADER, ":1: actor: need at least 2 actors"),
    "empty file": ("", "empty table"),
    "one actor": (GOOD_HEADER + "A,1,1,0.5\n", ":2: actor: need at least 2 actors"),
    "short row": (GOOD_HEADER + "A,1,1,0.5\nB,1,2\n", ":3: expected 4 fields"),
    "unpaired issue": (
        "actor,capability,position:trade,salience:trade,position:apology\nA,1,1,1,1\nB,1,2,1,1\n",
        ":1: salience:apology: missing column",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_cli_malformed_table(
    case: str, cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = MALFORMED[case]
    path = tmp_path / "actors.csv"
    path.write_text(text)
    assert cli(["bargain", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and message in err
    assert "Traceback" not in err


def test_cli_missing_file(cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    assert cli(["bargain", str(missing)]) == 2
    assert f"{missing}: file not found" in capsys.readouterr().err


def test_cli_reports_every_problem_at_once(
    cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "actors.csv"
    path.write_text(GOOD_HEADER + "A,x,1,0.5\nB,1,2,7\n")
    assert cli(["bargain", str(path)]) == 2
    err = capsys.readouterr().err
    assert ":2: capability:" in err and ":3: salience:" in err
