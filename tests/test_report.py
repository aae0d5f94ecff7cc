"""The HTML report: the story first (question, key numbers, trajectories with the key acts),
the technical record folded at the end; self-contained, every figure embedded (the files already
drawn, never drawn twice), the logs listed and filterable."""

from __future__ import annotations

import argparse
import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from sim import report
from sim.errors import InputError
from sim.plots.plot_cmd import load_run_folder

try:
    from synthetic_run import write_synthetic_run
except ImportError:  # tests/ imported as a package
    from tests.synthetic_run import write_synthetic_run

FIGURE_COUNT = 6


class Tags(HTMLParser):
    """Collects tags with their attributes, and checks that containers are closed."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in {"section", "table", "tr", "figure", "select", "script", "div"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"section", "table", "tr", "figure", "select", "script", "div"}:
            assert self.open.pop() == tag

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def page(run_dir: Path) -> str:
    path = report.write_report(run_dir)
    assert path == run_dir / "report.html"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tags(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    assert parser.open == []
    return parser


def test_every_figure_is_embedded_as_a_png(tags: Tags) -> None:
    images = tags.find("img")
    assert len(images) == FIGURE_COUNT
    for img in images:
        src = img["src"] or ""
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")
        assert img["alt"]


def test_the_page_references_nothing_outside_itself(page: str, tags: Tags) -> None:
    # Base64 data may spell anything by chance: look at the page without it.
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", page)
    assert "http" not in text.lower()
    assert not tags.find("link") and not tags.find("iframe")
    assert all(not s.get("src") for s in tags.find("script"))
    assert all((a.get("href") or "").startswith("#") for a in tags.find("a"))
    assert "@import" not in text and "url(" not in text
    assert not re.search(r'src="(?!data:)', text)


def test_the_story_comes_before_the_technical_record(page: str) -> None:
    order = [page.index(f'id="{part}"') for part in
             ("numbers", "story", "fig-trajectories", "figures", "record", "run", "agreements",
              "events")]
    assert order == sorted(order)
    record = page[page.index('id="record"'):]
    assert record.count("<details") == 3 and "open" not in record.split(">")[0]
    assert "Goldstein score, a standard rating" in page  # jargon explained where it appears
    assert "QuadClass scheme used in conflict research" in page


def test_figures_already_drawn_are_embedded_not_drawn_again(tmp_path: Path) -> None:
    folder = write_synthetic_run(tmp_path / "run")
    (folder / "figures").mkdir()
    marker = b"\x89PNG\r\n\x1a\nalready drawn"
    for name in report.FIGURE_ORDER:
        (folder / "figures" / f"{name}.png").write_bytes(marker + name.encode())
    page = report.write_report(folder).read_text(encoding="utf-8")
    for name in report.FIGURE_ORDER:
        assert base64.b64encode(marker + name.encode()).decode() in page


def test_what_was_run_is_stated(page: str) -> None:
    assert "<h1>Synthetic test scenario</h1>" in page
    assert "testing figures &amp; the &lt;report&gt;" in page  # escaped, not markup
    for text in ("How to mend ties", "usip-2023-mend-ties", "us_mediation", "passive",
                 "choice_temperature", "0.25", "jk-dispute-sim 0.1.0", "scenarios/synthetic.yaml",
                 "2018-01 to 2019-12"):
        assert text in page, text
    assert "<tr><td>Seed</td><td>7</td></tr>" in page


def test_key_numbers(run_dir: Path, page: str) -> None:
    traj = pd.read_csv(run_dir / "trajectories.csv")
    key = traj[traj["dyad"] == "JPN-KOR"].groupby("month")["tension"].mean()
    assert f"{key['2018-01']:.2f} → {key['2019-12']:.2f}" in page
    assert "Japan – South Korea: mean tension 2018-01 → 2019-12" in page
    assert f"{key.max():.2f} in {key.idxmax()}" in page  # the peak
    assert "3 in 5 runs (0.60 per run)" in page
    assert "1 of 3 (33%)" in page  # still in force at the horizon


def test_agreements_table(page: str) -> None:
    section = page[page.index('<details id="agreements">'):page.index('<details id="events">')]
    assert section.count("<tr>") == 1 + 3
    assert "Japan, South Korea, United States" in section
    assert "<td>in force</td>" in section
    assert "compensation=0.5; apology=0.7" in section


def test_event_log_lists_decisions_with_their_utilities(run_dir: Path, tags: Tags,
                                                        page: str) -> None:
    events = pd.read_csv(run_dir / "events.csv")
    rows = [t for t in tags.find("tr") if "data-actor" in t]
    assert len(rows) == len(events)
    assert {r["data-actor"] for r in rows} == set(events["actor"])
    first = events[~events["scripted"]].iloc[0]
    assert f'<td class="num">{first["u_reciprocity"]:.3f}</td>' in page
    for header in ("utility", "position", "reciprocity", "domestic", "alliance", "threat", "cost"):
        assert f"<th>{header}</th>" in page


def test_event_log_is_filterable_by_actor_and_month(tags: Tags, page: str) -> None:
    selects = {s["id"] for s in tags.find("select")}
    assert selects == {"filter-actor", "filter-month"}
    options = {o["value"] for o in tags.find("option")}
    assert {"", "KOR", "JPN", "USA", "COURT-KOR", "2018-01", "2019-12"} <= options
    script = page[page.index("<script>"):page.index("</script>")]
    assert "filter-actor" in script and "dataset.month" in script


def test_large_event_logs_list_run_0_only(run_dir: Path) -> None:
    html = report.render_report(load_run_folder(run_dir), max_event_rows=50)
    tags = Tags()
    tags.feed(html)
    rows = [t for t in tags.find("tr") if "data-actor" in t]
    events = pd.read_csv(run_dir / "events.csv")
    assert len(rows) == int((events["run"] == 0).sum())
    assert "only run 0" in html


def test_report_command_and_bad_folder(run_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    report.configure(parser)
    assert report.run(parser.parse_args([str(run_dir)])) == 0
    assert "report.html" in capsys.readouterr().out
    with pytest.raises(InputError, match=r"manifest\.json: file not found"):
        report.write_report(tmp_path)
