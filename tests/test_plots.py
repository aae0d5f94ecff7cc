"""Figures of a run folder, checked on the matplotlib objects (not golden images)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

from sim.errors import InputError
from sim.plots import figures, plot_cmd, style
from sim.plots.plot_cmd import RunFolder, load_run_folder, plot_run_folder

try:
    from synthetic_run import KEY_DYADS, write_synthetic_run
except ImportError:  # tests/ imported as a package
    from tests.synthetic_run import KEY_DYADS, write_synthetic_run

DYAD_LABELS = ["Japan – South Korea", "Japan – United States", "South Korea – United States"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def run(run_dir: Path) -> RunFolder:
    return load_run_folder(run_dir)


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for leg in fig.findobj(Legend) for t in leg.get_texts()]


def axes_by_ylabel(fig: Figure, ylabel: str) -> list:
    return [ax for ax in fig.axes if ax.get_ylabel() == ylabel]


def axes_by_title(fig: Figure, title: str) -> list:
    return [ax for ax in fig.axes if ax.get_title(loc="left") == title]


def labelled_lines(ax) -> list[str]:
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def bands(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


# ---------------------------------------------------------------- trajectories
def test_trajectories_draw_a_median_and_two_bands_per_dyad(run: RunFolder) -> None:
    fig = figures.trajectory_figure(run.trajectories, run.manifest)
    assert "Tension and cooperation" in fig.get_suptitle()
    assert "Synthetic test scenario" in fig.get_suptitle()
    for column in ("tension", "cooperation"):
        panels = axes_by_ylabel(fig, column.capitalize())
        assert len(panels) == len(KEY_DYADS)  # one panel per dyad and variable
        for ax, label in zip(panels, DYAD_LABELS, strict=True):
            assert ax.get_title(loc="left") == f"{label}: {column} (0–1)"
            assert labelled_lines(ax) == [label]
            assert len(bands(ax)) == 2  # 50% and 90% of runs
            assert ax.get_ylim() == (0, 1)
    bottom = [ax for ax in fig.axes if ax.get_xlabel()]
    assert [ax.get_xlabel() for ax in bottom] == ["Month", "Month"]
    assert {"Ensemble median", "50% of runs", "90% of runs"} <= set(legend_texts(fig))


def test_trajectories_draw_only_the_dyads_asked_for(run: RunFolder) -> None:
    fig = figures.trajectory_figure(run.trajectories, run.manifest, dyads=["KOR-USA"])
    (ax,) = axes_by_ylabel(fig, "Tension")
    assert labelled_lines(ax) == ["South Korea – United States"]
    assert len(bands(ax)) == 2
    # Colours belong to the dyad, not to the drawing order.
    assert ax.get_lines()[0].get_color() == style.DYAD_PALETTE[2]


def test_trajectories_reject_unknown_dyads(run: RunFolder) -> None:
    with pytest.raises(ValueError, match="XXX-YYY"):
        figures.trajectory_figure(run.trajectories, run.manifest, dyads=["XXX-YYY"])


def test_trajectory_median_is_the_ensemble_median(run: RunFolder) -> None:
    fig = figures.trajectory_figure(run.trajectories, run.manifest, dyads=["JPN-KOR"])
    line = axes_by_ylabel(fig, "Tension")[0].get_lines()[0]
    expected = (run.trajectories[run.trajectories["dyad"] == "JPN-KOR"]
                .groupby("month")["tension"].median().to_numpy())
    np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), expected)


def test_trajectories_mark_scripted_events_and_shade_administrations(run: RunFolder) -> None:
    fig = figures.trajectory_figure(run.trajectories, run.manifest)
    texts = legend_texts(fig)
    assert any(t.startswith("Oct 2018: Supreme Court orders") for t in texts)
    assert any(t.startswith("Aug 2019: GSOMIA termination") for t in texts)
    for ax in axes_by_ylabel(fig, "Tension") + axes_by_ylabel(fig, "Cooperation"):
        verticals = [ln for ln in ax.get_lines() if ln.get_label().startswith("_")]
        assert len(verticals) == 2
    for strip in axes_by_title(fig, "Scripted events"):
        assert [t.get_text() for t in strip.texts] == ["1", "2"]
    strips = axes_by_title(fig, "Administrations")
    assert len(strips) == 2
    assert [t.get_text() for t in strips[0].get_yticklabels()] == ["South Korea", "Japan"]
    for strip in strips:
        assert len(strip.collections) == 3  # K1, K2, J1
        assert {"Leader K1", "Leader K2", "Leader J1"} <= {t.get_text() for t in strip.texts}


def test_close_events_are_stacked_not_overprinted() -> None:
    dates = style.month_starts(["2018-10", "2018-11", "2018-12", "2019-07"])
    assert figures.event_levels(dates, span_days=6 * 365) == [0, 1, 2, 0]


def test_dyad_colours_follow_key_dyad_order_and_actor_colours_the_manifest(run: RunFolder) -> None:
    colours = style.dyad_colours(["KOR-USA", "JPN-KOR"], run.manifest)
    assert colours["JPN-KOR"] == style.DYAD_PALETTE[0]
    assert colours["KOR-USA"] == style.DYAD_PALETTE[2]
    assert style.actor_colours(run.manifest)["KOR"] == "#0072B2"
    bare = {"actors": {"A": {}, "B": {"name": "Bee"}}}
    assert style.actor_colours(bare) == {"A": style.OKABE_ITO[0], "B": style.OKABE_ITO[1]}
    assert style.dyad_label("A-B", bare) == "A – Bee"


def test_dyad_ids_split_on_known_actor_ids() -> None:
    manifest = {"actors": {"KOR-GRP": {}, "JPN": {}}}
    assert style.dyad_actors("JPN-KOR-GRP", manifest) == ("JPN", "KOR-GRP")


# ---------------------------------------------------------------- heatmap
def test_heatmap_has_one_row_per_dyad_and_one_column_per_month(run: RunFolder) -> None:
    fig = figures.tension_heatmap(run.trajectories, run.manifest)
    ax = fig.axes[0]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert mesh.get_array().shape == (3, 24)
    assert [t.get_text() for t in ax.get_yticklabels()] == DYAD_LABELS
    assert ax.get_xlabel() == "Month" and ax.get_ylabel() == "Pair of actors"
    assert "median over runs" in fig.axes[1].get_ylabel()  # the colour bar
    assert fig.get_suptitle()


# ---------------------------------------------------------------- network
def test_network_has_a_panel_per_month_with_an_edge_per_dyad(run: RunFolder) -> None:
    fig = figures.network_figure(run.trajectories, run.manifest, ["2018-01", "2019-08"])
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["Jan 2018", "Aug 2019"]
    for ax in panels:
        edges = next(c for c in ax.collections if isinstance(c, LineCollection))
        assert len(edges.get_segments()) == 3
        labels = {t.get_text() for t in ax.texts}
        assert {"South Korea", "Japan", "United States"} <= labels
    assert any("Tension" in ax.get_ylabel() for ax in fig.axes)  # colour bar
    assert any("Cooperation" in leg.get_title().get_text() for leg in fig.findobj(Legend))


def test_network_edges_grow_with_cooperation(run: RunFolder) -> None:
    fig = figures.network_figure(run.trajectories, run.manifest, ["2019-08"])
    edges = next(c for c in fig.axes[0].collections if isinstance(c, LineCollection))
    coop = (run.trajectories[run.trajectories["month"] == "2019-08"]
            .groupby("dyad")["cooperation"].median())
    tension = (run.trajectories[run.trajectories["month"] == "2019-08"]
               .groupby("dyad")["tension"].median())
    drawn_order = tension.sort_values().index  # tense edges on top
    expected = [figures.edge_width(coop[d]) for d in drawn_order]
    np.testing.assert_allclose(edges.get_linewidths(), expected)


def test_default_network_months_are_start_peak_and_end(run: RunFolder) -> None:
    months = figures.default_network_months(run.trajectories, run.manifest)
    assert months[0] == "2018-01" and months[-1] == "2019-12" and len(months) == 3
    assert "2019-0" in months[1]  # the synthetic key dyad peaks in mid-2019


# ---------------------------------------------------------------- events
def test_event_timeline_has_a_row_per_actor_and_the_goldstein_sum(run: RunFolder) -> None:
    fig = figures.event_timeline(run.events, run.manifest, run.months)
    ylabels = [ax.get_ylabel() for ax in fig.axes]
    assert [y.replace("\n", " ") for y in ylabels[:4]] == [
        "South Korea", "Japan", "United States", "Scripted events"]
    assert ylabels[4].startswith("Goldstein sum")
    texts = legend_texts(fig)
    assert {"Verbal cooperation", "Material cooperation", "Verbal conflict",
            "Material conflict"} <= set(texts)
    assert fig.axes[-1].get_xlabel() == "Month"
    # Stacked steps of mean counts per run: their total is the actor's events over the runs.
    korea = fig.axes[0]
    total = sum(float((p.get_data().values - p.get_data().baseline).sum())
                for p in korea.patches)
    own = run.events[(run.events["actor"] == "KOR") & ~run.events["scripted"]]
    assert total == pytest.approx(len(own) / 5)


def test_goldstein_line_is_the_median_monthly_sum(run: RunFolder) -> None:
    fig = figures.event_timeline(run.events, run.manifest, run.months)
    line = fig.axes[-1].get_lines()[0]
    sums = run.events.groupby(["run", "month"])["goldstein"].sum().unstack(fill_value=0)
    np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float),
                               sums.median().to_numpy())


# ---------------------------------------------------------------- agreements
def test_survival_curves_by_kind_of_deal(run: RunFolder) -> None:
    fig = figures.agreement_survival(run.agreements, run.manifest, run.horizon)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Months since signing"
    assert "still in force" in ax.get_ylabel()
    assert "censored at Dec 2019" in ax.get_title(loc="left")
    labels = labelled_lines(ax)
    assert "Victim-inclusive (n=2, 1 ended)" in labels
    assert "Government-only (n=1, 1 ended)" in labels
    victims = next(ln for ln in ax.get_lines() if ln.get_label().startswith("Victim"))
    # 6 months (ended) and 12 months (censored): S drops to 1/2 at 6 and stays there.
    assert list(victims.get_xdata()) == [0, 6, 12]
    assert list(victims.get_ydata()) == [1, 0.5, 0.5]


def test_a_kind_of_deal_never_signed_is_named_in_the_legend(run: RunFolder) -> None:
    only_victims = run.agreements[run.agreements["victims_included"]]
    fig = figures.agreement_survival(only_victims, run.manifest, run.horizon)
    assert "Government-only (none signed)" in legend_texts(fig)


def test_durations_censor_deals_in_force_at_the_horizon(run: RunFolder) -> None:
    d = figures.agreement_durations(run.agreements, run.horizon)
    assert d["months"].tolist() == [11, 12, 6]
    assert d["observed"].tolist() == [True, False, True]


def test_kaplan_meier_matches_the_textbook_example() -> None:
    durations = pd.DataFrame({"months": [3.0, 5.0, 7.0], "observed": [True, False, True]})
    sf = figures.kaplan_meier(durations).sf
    np.testing.assert_allclose(sf.evaluate(np.array([0, 3, 5, 7])), [1, 2 / 3, 2 / 3, 0])


def test_survival_without_agreements_says_so(run: RunFolder) -> None:
    fig = figures.agreement_survival(run.agreements.iloc[:0], run.manifest, run.horizon)
    assert any("No agreement" in t.get_text() for t in fig.axes[0].texts)
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()


# ---------------------------------------------------------------- indices
def test_indices_figure(run: RunFolder) -> None:
    fig = figures.indices_figure(run.indices, run.manifest)
    top, bottom = fig.axes
    assert len(labelled_lines(top)) == 2 and len(bands(top)) == 4
    assert top.get_ylabel() == "Index (0–1)" and bottom.get_xlabel() == "Month"
    assert any("Agreements in force" in t for t in legend_texts(fig))


# ---------------------------------------------------------------- readability
def test_every_text_is_readable_at_slide_size(run: RunFolder) -> None:
    built = plot_cmd.build_figures(run)
    assert set(built) == {"trajectories", "tension_heatmap", "network", "indices", "events",
                          "agreements"}
    for name, fig in built.items():
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
        assert min(sizes) >= 9, name
        assert fig.get_suptitle(), name


# ---------------------------------------------------------------- files and errors
@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_plot_run_folder_writes_every_figure(run_dir: Path, fmt: str, magic: bytes) -> None:
    written = plot_run_folder(run_dir, fmt)
    assert len(written) == 6
    for path in written:
        assert path.parent == run_dir / "figures" and path.suffix == f".{fmt}"
        assert path.read_bytes().startswith(magic)


def test_plot_command(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    plot_cmd.configure(parser)
    args = parser.parse_args([str(run_dir), "--months", "2018-06,2019-06"])
    assert plot_cmd.run(args) == 0
    assert "network.png" in capsys.readouterr().out
    bad = parser.parse_args([str(run_dir), "--months", "2030-01"])
    with pytest.raises(InputError, match="--months.*2030-01"):
        plot_cmd.run(bad)


def test_cli_exits_2_on_a_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sim import cli

    try:
        cli.build_parser()
    except ImportError:  # other subcommands may not be written yet
        pytest.skip("sim.cli cannot build its parser yet")
    assert cli.main(["plot", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err


def broken_copy(run_dir: Path, tmp_path: Path) -> Path:
    for file in run_dir.glob("*.*"):
        (tmp_path / file.name).write_bytes(file.read_bytes())
    return tmp_path


def test_missing_manifest_names_the_file(run_dir: Path, tmp_path: Path) -> None:
    folder = broken_copy(run_dir, tmp_path)
    (folder / "manifest.json").unlink()
    with pytest.raises(InputError, match=r"manifest\.json: file not found"):
        load_run_folder(folder)


def test_missing_column_names_file_column_and_expectation(run_dir: Path, tmp_path: Path) -> None:
    folder = broken_copy(run_dir, tmp_path)
    table = pd.read_csv(folder / "trajectories.csv").drop(columns=["tension"])
    table.to_csv(folder / "trajectories.csv", index=False)
    with pytest.raises(InputError) as err:
        load_run_folder(folder)
    message = str(err.value)
    assert "trajectories.csv:1" in message and "missing column(s) tension" in message
    assert "expected run, month, dyad" in message


def test_bad_cells_are_located_and_all_problems_reported_at_once(
    run_dir: Path, tmp_path: Path
) -> None:
    folder = broken_copy(run_dir, tmp_path)
    table = pd.read_csv(folder / "agreements.csv", dtype=str, keep_default_na=False)
    table.loc[1, "signed"] = "Jan 2019"
    table.to_csv(folder / "agreements.csv", index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["actors"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError) as err:
        load_run_folder(folder)
    message = str(err.value)
    assert "agreements.csv:3: signed: expected a month as YYYY-MM" in message
    assert "manifest.json: actors: expected an object" in message


def test_invalid_json_and_not_a_folder(run_dir: Path, tmp_path: Path) -> None:
    folder = broken_copy(run_dir, tmp_path)
    (folder / "manifest.json").write_text('{"actors": {\n  "A": }')
    with pytest.raises(InputError, match=r"manifest\.json:2: not valid JSON"):
        load_run_folder(folder)
    with pytest.raises(InputError, match="not a directory"):
        load_run_folder(tmp_path / "nowhere")
    with pytest.raises(InputError, match="--format"):
        plot_run_folder(run_dir, "gif")


def test_a_bare_manifest_and_empty_logs_still_plot(run_dir: Path, tmp_path: Path) -> None:
    folder = broken_copy(run_dir, tmp_path)
    actors = json.loads((folder / "manifest.json").read_text())["actors"]
    (folder / "manifest.json").write_text(json.dumps({"actors": dict.fromkeys(actors, {})}))
    for name in ("events.csv", "agreements.csv"):
        pd.read_csv(folder / name, nrows=0).to_csv(folder / name, index=False)
    run = load_run_folder(folder)
    fig = figures.trajectory_figure(run.trajectories, run.manifest)
    assert len(axes_by_ylabel(fig, "Tension")) == 3  # all dyads when none are key
    timeline = figures.event_timeline(run.events, run.manifest, run.months)
    assert any("No events" in t.get_text() for t in timeline.axes[-1].texts)
    assert len(plot_run_folder(folder)) == 6


def test_ids_like_na_are_not_read_as_missing(run_dir: Path, tmp_path: Path) -> None:
    folder = broken_copy(run_dir, tmp_path)
    table = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    table.loc[0, "target"] = "NA"
    table.to_csv(folder / "events.csv", index=False)
    loaded = load_run_folder(folder)
    assert loaded.events.loc[0, "target"] == "NA"
    assert loaded.events["cameo"].str.startswith("0").any()  # CAMEO codes keep leading zeros


# ---------------------------------------------------------------- key acts of the actors
def test_key_acts_are_strong_one_off_acts_with_the_share_of_runs_by_month() -> None:
    months = ["2020-01", "2020-02", "2020-03", "2020-04"]
    rows = [(run, m, "JPN", "KOR", "export_controls", -5.0, False)  # once, in 3 of 4 runs
            for run, m in ((0, "2020-02"), (1, "2020-03"), (2, "2020-03"))]
    rows += [(run, m, "PRK", "JPN", "missile_test", -7.0, False)  # every month: routine
             for run in range(4) for m in months]
    rows += [(0, "2020-01", "KOR", "JPN", "statement", 1.0, False),  # weak
             (1, "2020-01", "COURT", "JPN", "ruling", -9.0, True)]  # scripted
    events = pd.DataFrame(rows, columns=["run", "month", "actor", "target", "action",
                                         "goldstein", "scripted"])
    manifest = {"runs": 4, "actors": {"JPN": {"name": "Tokyo (Japan)"}, "KOR": {}, "PRK": {}},
                "actions": {"export_controls": {"label": "tighten export controls"}}}
    acts = figures.key_acts(events, manifest, months)
    assert [a["label"] for a in acts] == ["Tokyo: tighten export controls"]
    assert list(acts[0]["shares"]) == [0.0, 0.25, 0.75, 0.75]
    assert acts[0]["month"] == "2020-03" and acts[0]["letter"] == "A"
    fig = figures.trajectory_figure(
        pd.DataFrame([(r, m, "JPN-KOR", 0.5, 0.5, 0.0, "") for r in range(4) for m in months],
                     columns=["run", "month", "dyad", "tension", "cooperation", "goldstein",
                              "ties"]), {**manifest, "key_dyads": ["JPN-KOR"]}, events=events)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert any(t.startswith("Key acts of the actors: share of runs") for t in titles)
    assert "Tokyo: tighten export controls (75% of runs by Apr 2020)" in " ".join(
        t.replace("\n", " ") for t in legend_texts(fig))


def test_the_plots_never_import_the_experiments() -> None:
    """sim.experiments draws with sim.plots.style: the other way round would be a cycle."""
    import ast

    folder = Path(figures.__file__).parent
    imported = [node.module if isinstance(node, ast.ImportFrom) else alias.name
                for file in folder.glob("*.py")
                for node in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in node.names]
    assert not [m for m in imported if m and m.startswith("sim.experiments")]
