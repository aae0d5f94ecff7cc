"""The classroom web app end to end in headless Chromium (Debian's ``chromium``, driven by
Playwright's Python package): the instructor creates a game, two teams join with their codes
from separate browser sessions, each plays a turn, the month is carried out and the plots
redraw, the instructor ends the game and downloads the debrief. Then the flows that once
confused a class: a form submitted after the month turned over, a doubled request, a draft that
must survive a refresh and a pause, a late team told what the model played for it.

Set ``CLASSROOM_SCREENSHOTS=DIR`` to keep screenshots of the pages in DIR.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KEY = "test-instructor-key"
SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "classroom.yaml"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (/usr/bin/chromium): "
                                       "apt-get install chromium")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def server(tmp_path):
    from sim.classroom.server import create_app, serving

    app = create_app(tmp_path / "games", KEY, SCENARIO, restore=False)
    with serving(app) as url:
        yield url, app


def shoot(page, name: str) -> None:
    folder = os.environ.get("CLASSROOM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def create_game(page, url: str) -> dict[str, str]:
    """The instructor starts a game in which teams play Seoul and Tokyo; returns actor -> code."""
    page.goto(f"{url}/instructor?key={KEY}")
    page.select_option("#scenario", value="classroom.yaml")
    shoot(page, "1-instructor-home")
    page.click("#next")
    for actor in ("USA", "VICTIMS"):  # the model plays these two
        page.uncheck(f'input[name=players][value="{actor}"]')
    page.fill("#minutes", "0")
    shoot(page, "2-new-game")
    page.click("#create")
    page.wait_for_selector("#codes")
    return {cell.get_attribute("data-actor"): cell.inner_text().strip()
            for cell in page.query_selector_all("td.code")}


def two_teams(browser, url: str):
    """A game with two teams (Seoul and Tokyo): the instructor's page and the teams' pages."""
    instructor = browser.new_context().new_page()
    codes = create_game(instructor, url)
    seoul = join(browser.new_context(), url, codes["KOR"])
    tokyo = join(browser.new_context(), url, codes["JPN"])
    return instructor, seoul, tokyo


def the_room(app):
    return next(iter(app.state.classroom.classroom.rooms.values()))


def join(context, url: str, code: str):
    page = context.new_page()
    page.goto(url)
    page.fill("#code", code)
    page.click("button[type=submit]")
    page.wait_for_selector("#move-form")
    return page


def play_first_option_with(page, text: str) -> None:
    """Pick the first move whose label contains ``text`` and submit it."""
    page.locator("label.option", has_text=text).first.locator("input").check()
    page.click("#submit-move")


def test_instructor_and_two_teams_play_a_month_and_download_the_debrief(browser, server,
                                                                        tmp_path):
    url, app = server
    instructor = browser.new_context(accept_downloads=True).new_page()
    codes = create_game(instructor, url)
    assert set(codes) == {"KOR", "JPN"}
    shoot(instructor, "3-dashboard")

    seoul = join(browser.new_context(), url, codes["KOR"])
    tokyo = join(browser.new_context(), url, codes["JPN"])
    first_plot = seoul.get_attribute("img.plot", "src")
    assert "Month 1 of 12" in seoul.inner_text("#turn")
    shoot(seoul, "4-team-seoul")

    play_first_option_with(seoul, "summit")
    seoul.wait_for_selector("#submitted")
    assert "summit" in seoul.inner_text("#submitted")
    play_first_option_with(tokyo, "praise")  # the last team moves: the month is carried out

    # the pages refresh themselves: month 2, new plots, the teams' moves in the event log
    seoul.wait_for_function("document.querySelector('#turn').innerText.includes('Month 2 of')",
                            timeout=15000)
    seoul.wait_for_function(f"document.querySelector('img.plot').src.indexOf({first_plot!r}) < 0",
                            timeout=15000)
    assert "team" in seoul.inner_text("#situation")
    svg = seoul.request.get(seoul.evaluate("document.querySelector('img.plot').src"))
    assert svg.ok and b"<svg" in svg.body()
    instructor.wait_for_function(
        "document.querySelector('#status-box').innerText.includes('Month 2 of 12')", timeout=15000)
    shoot(seoul, "5-team-seoul-month2")
    shoot(instructor, "6-dashboard-month2")

    instructor.once("dialog", lambda dialog: dialog.accept())
    instructor.click("#end")
    tokyo.wait_for_selector("#game-over", timeout=15000)
    link = instructor.wait_for_selector("#download-debrief", timeout=90000)
    with instructor.expect_download() as info:
        link.click()
    saved = tmp_path / "debrief.html"
    info.value.save_as(saved)
    report = saved.read_text(encoding="utf-8")
    assert "<h2>Your turns: what the model's own actor would have done</h2>" in report
    assert report.index('id="advice"') < report.index('id="numbers"') < report.index('id="record"')
    assert "summit" in report and "2023-01" in report
    assert "Ensemble" not in report and "1 runs" not in report and "50% of runs" not in report
    shoot(instructor, "7-dashboard-over")


def test_a_form_sent_after_the_month_turned_over_is_refused_and_says_so(browser, server):
    url, app = server
    instructor, seoul, tokyo = two_teams(browser, url)
    tokyo.route("**/state", lambda route: route.abort())  # a slow network: no refresh
    tokyo.locator("label.option", has_text="export").first.locator("input").check()
    shown = tokyo.locator("label.option", has_text="export").first.inner_text().strip()
    play_first_option_with(seoul, "summit")
    seoul.wait_for_selector("#submitted")
    instructor.click("#advance")  # the model plays for Tokyo; month 2 begins
    instructor.wait_for_function(
        "document.querySelector('#status-box').innerText.includes('Month 2 of 12')", timeout=15000)
    tokyo.click("#submit-move")  # Tokyo's month-1 form, sent in month 2
    flash = tokyo.inner_text(".flash")
    assert "which has closed" in flash and "2023-02" in flash, flash
    shoot(tokyo, "8-team-stale-form")
    room = the_room(app)
    assert "JPN" not in room.game.history[0].moves and not room.game.current.moves
    assert not any("Tokyo has moved" in line for line in room.log)
    assert "did not move in time in 2023-01: the model played" in tokyo.inner_text("#turn")
    assert shown  # the option Tokyo saw was never recorded under another name


def test_a_doubled_request_is_recorded_once_as_shown(browser, server):
    url, app = server
    _, seoul, tokyo = two_teams(browser, url)
    play_first_option_with(seoul, "summit")
    seoul.wait_for_selector("#submitted")
    label = tokyo.locator("label.option", has_text="praise").first
    label.locator("input").check()
    shown = label.inner_text().strip()
    tokyo.evaluate("""() => {
        const form = document.querySelector('#move-form');
        const body = new URLSearchParams(new FormData(form));
        return Promise.all([fetch(form.action, {method: 'POST', body}),
                            new Promise(r => setTimeout(r, 50)).then(
                                () => fetch(form.action, {method: 'POST', body}))]);
    }""")
    room = the_room(app)
    assert room.game.month == "2023-02" and not room.game.current.moves
    from sim.classroom.views import option_text

    assert option_text(room.game, room.game.history[0].moves["JPN"].option) == shown
    assert sum("Tokyo has moved" in line for line in room.log) == 1


def test_a_draft_survives_a_refresh_and_a_pause(browser, server):
    url, _ = server
    instructor, seoul, _ = two_teams(browser, url)
    choice = seoul.locator("label.option", has_text="summit").first.locator("input")
    choice.check()
    seoul.check("#propose")
    seoul.fill("#term-compensation", "0.85")
    seoul.reload()
    assert seoul.locator("label.option", has_text="summit").first.locator("input").is_checked()
    assert seoul.is_checked("#propose")
    assert seoul.input_value("#term-compensation") == "0.85"
    instructor.click("#pause")
    seoul.wait_for_selector(".banner.paused", timeout=15000)
    assert seoul.locator("label.option", has_text="summit").first.locator("input").is_checked()
    assert seoul.input_value("#term-compensation") == "0.85"
    shoot(seoul, "9-team-paused-draft")
