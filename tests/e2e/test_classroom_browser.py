"""A whole class in real browsers: the projector and 30 students on phone-sized screens (390 × 844).

The students join by the link the projector's QR code carries (the code filled in, they type a name),
then play one round of each game: "Guess the next word", "Be the sampler" and "The class is the
sampler". Every count is checked on the projector and in the database, no student may see an
exception, and the slowest student's time from the teacher's click to their page showing the round
is printed. With 31 browser pages and the server on this machine's cores, that time measures the
machine as much as the app: the test only waits for what it needs, it never asserts on it.

A second test drops a student's connection in the middle of a round (Playwright's offline switch):
back online, they keep their name and their vote, and see the reveal that happened meanwhile.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pagekit import assert_no_exception, expect, expect_idle, expect_shown

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOAD_TIMEOUT_MS = 180_000
LIVE_TIMEOUT_MS = 120_000  # a round redraws every 2 s; 31 pages on a small machine get room
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STUDENTS = int(os.environ.get("MIRROR_E2E_STUDENTS", "30"))  # fewer only to debug the test itself
PHONE = {"width": 390, "height": 844}


def new_page(browser, url: str, viewport: dict[str, int]):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url, wait_until="domcontentloaded")
    return context, page


def open_class(browser, base_url: str, passcode: str):
    """The teacher signs in and opens a class; (context, projector page, code, the join link's path)."""
    context, projector = new_page(browser, f"{base_url}/Teacher", {"width": 1280, "height": 1000})
    box = projector.get_by_label("Teacher passcode")
    expect_shown(projector, box, LOAD_TIMEOUT_MS)
    box.fill(passcode)
    projector.get_by_role("button", name="Sign in").click()
    expect_shown(projector, projector.get_by_role("button", name="Sign out"), LOAD_TIMEOUT_MS)
    projector.get_by_test_id("stSidebarNav").get_by_text("Projector").click()
    opener = projector.get_by_role("button", name="Open a class")
    expect_shown(projector, opener, LOAD_TIMEOUT_MS)
    opener.click()
    heading = projector.get_by_text(re.compile(r"Class code: [A-Z]{4}"))
    expect_shown(projector, heading, LOAD_TIMEOUT_MS)
    code = re.search(r"[A-Z]{4}$", heading.inner_text().strip()).group(0)
    # The QR code's link, as its caption spells it; the server listens on 127.0.0.1 here, so the link's
    # path and query are opened there (the address part is tested in test_join).
    link = projector.get_by_test_id("stImageCaption").inner_text().strip()
    assert link.endswith(f"/Class?join={code}"), link
    parts = urlsplit(link)
    return context, projector, code, f"{parts.path}?{parts.query}"


def start_round(projector, game: str, prompt: str) -> None:
    projector.get_by_test_id("stRadio").get_by_text(game).click()
    expect_idle(projector, LOAD_TIMEOUT_MS)
    projector.get_by_role("textbox", name="Prompt").fill(prompt)
    projector.get_by_role("button", name="Start a round").click()


def until_all_show(pages, text: str | re.Pattern, clicked_at: float) -> list[float]:
    """Seconds from `clicked_at` until each page shows `text` (each page looked at in turn, so a time is
    at most one pass over the pages late)."""
    seen: dict[int, float] = {}
    deadline = time.monotonic() + LIVE_TIMEOUT_MS / 1000
    while len(seen) < len(pages):
        for n, page in enumerate(pages):
            if n not in seen and page.get_by_text(text).first.is_visible():
                seen[n] = time.monotonic() - clicked_at
        if time.monotonic() > deadline:
            stuck = []
            for n, page in enumerate(pages):
                if n not in seen:
                    app = page.get_by_test_id("stApp")
                    stuck.append(f"student {n + 1}: script {app.get_attribute('data-test-script-state')}, "
                                 f"connection {app.get_attribute('data-test-connection-state')}, page says: "
                                 f"{page.get_by_test_id('stMain').inner_text()[:400]!r}")
                    page.screenshot(path=str(ARTIFACTS / f"classroom-student-{n + 1}-stuck.png"), full_page=True)
            pytest.fail(f"{len(stuck)} students never saw {text!r}:\n" + "\n".join(stuck))
        time.sleep(0.2)
    for page in pages:
        assert_no_exception(page)
    return [seen[n] for n in range(len(pages))]


def metric(projector, label: str):
    return projector.get_by_test_id("stMetric").filter(has_text=label)


def ballots(database: str, code: str) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT r.game, v.guess FROM votes v JOIN rounds r ON r.id = v.round_id "
                            "WHERE r.code = ? ORDER BY r.id", (code,)).fetchall()


def test_thirty_students_on_phones_play_each_game(class_server, teacher_passcode, chromium_browser, artifacts_dir):
    base_url, database = class_server
    contexts = []
    timings: dict[str, float] = {}
    try:
        context, projector, code, join_path = open_class(chromium_browser, base_url, teacher_passcode)
        contexts.append(context)

        students = []
        for n in range(STUDENTS):  # every phone opens the link first; the pages load side by side
            context, page = new_page(chromium_browser, f"{base_url}{join_path}", PHONE)
            contexts.append(context)
            students.append(page)
        for n, page in enumerate(students):
            name = page.get_by_role("textbox", name="Your name")
            expect_shown(page, name, LOAD_TIMEOUT_MS)
            expect_idle(page, LOAD_TIMEOUT_MS)  # the first run is over: the form is the one that stays
            expect(page.get_by_role("textbox", name="Class code")).to_have_value(code)  # filled in by the link
            name.fill(f"Student {n + 1:02d}")
            page.get_by_role("button", name="Join").click()
        for n, page in enumerate(students):
            try:
                expect_shown(page, page.get_by_text("Waiting for your teacher"), 60_000)
            except AssertionError:
                app = page.get_by_test_id("stApp")
                print("STUCK", n, page.url, app.get_attribute("data-test-script-state"),
                      app.get_attribute("data-test-connection-state"))
                page.screenshot(path=str(artifacts_dir / f"classroom-stuck-{n}.png"), full_page=True)
                import subprocess
                subprocess.run(["pkill", "-ABRT", "-f", f"server.port {urlsplit(base_url).port}"])
                raise
        print(f"classroom: {STUDENTS} students joined")
        # A student's view has no mirror sidebar, and no way to open one.
        phone = students[0]
        expect(phone.get_by_test_id("stSidebar")).to_be_hidden()
        expect(phone.get_by_test_id("stExpandSidebarButton")).to_be_hidden()
        expect(phone.get_by_role("slider")).to_have_count(0)
        expect(metric(projector, "Guesses")).to_have_count(0)

        # 1. Guess the next word.
        clicked = time.monotonic()
        start_round(projector, "Guess the next word", "The capital of France is")
        timings["guess round reaches every phone"] = max(until_all_show(students, "Your guess: the next word", clicked))
        for n, page in enumerate(students):
            page.get_by_role("textbox", name="Your guess").fill("Paris" if n % 3 else "Lyon")
            page.get_by_role("button", name="Send my guess").click()
        for page in students:
            expect_shown(page, page.get_by_text(re.compile("Your guess: (Paris|Lyon)")), LIVE_TIMEOUT_MS)
        expect(metric(projector, "Guesses")).to_contain_text(f"{STUDENTS} of {STUDENTS}", timeout=LIVE_TIMEOUT_MS)
        clicked = time.monotonic()
        projector.get_by_role("button", name="Reveal").click()
        timings["guess reveal reaches every phone"] = max(until_all_show(students, "most likely next word", clicked))
        expect_shown(projector, projector.get_by_text("Class score"), LOAD_TIMEOUT_MS)
        phone.screenshot(path=str(artifacts_dir / "classroom-phone-guess-reveal.png"), full_page=True)

        # 2. Be the sampler: 20 vote for the second candidate, 10 for the first.
        clicked = time.monotonic()
        start_round(projector, "Be the sampler", "Once upon a time there was a")
        vote_hint = "Which token should the mirror write next?"
        timings["vote round reaches every phone"] = max(until_all_show(students, vote_hint, clicked))
        phone.screenshot(path=str(artifacts_dir / "classroom-phone-vote.png"), full_page=True)
        for n, page in enumerate(students):
            page.get_by_test_id("stButton").get_by_role("button").nth(1 if n % 3 else 0).click()
        for page in students:
            expect_shown(page, page.get_by_text("Your vote:"), LIVE_TIMEOUT_MS)
        expect(metric(projector, "Votes")).to_contain_text(f"{STUDENTS} of {STUDENTS}", timeout=LIVE_TIMEOUT_MS)
        clicked = time.monotonic()
        projector.get_by_role("button", name="Reveal").click()
        timings["vote reveal reaches every phone"] = max(until_all_show(students, "The class chose", clicked))
        majority = STUDENTS - len(range(0, STUDENTS, 3))
        expect_shown(projector, projector.get_by_text(f"({majority} votes)"), LOAD_TIMEOUT_MS)
        expect_shown(projector, projector.get_by_text("the mirror goes on"), LOAD_TIMEOUT_MS)

        # 3. The class is the sampler.
        clicked = time.monotonic()
        start_round(projector, "The class is the sampler", "My favourite animal is the")
        timings["draw round reaches every phone"] = max(until_all_show(students, "Draw my token", clicked))
        for page in students:
            page.get_by_role("button", name="Draw my token").click()
        for page in students:
            expect_shown(page, page.get_by_text("You drew"), LIVE_TIMEOUT_MS)
        expect(metric(projector, "Draws")).to_contain_text(f"{STUDENTS} of {STUDENTS}", timeout=LIVE_TIMEOUT_MS)
        expect(metric(projector, "Distance")).to_contain_text("%", timeout=LIVE_TIMEOUT_MS)
        phone.screenshot(path=str(artifacts_dir / "classroom-phone-draw.png"), full_page=True)
        expect_idle(projector, LOAD_TIMEOUT_MS)
        expect_shown(projector, projector.get_by_test_id("stVegaLiteChart").locator("canvas, svg").first,
                     LOAD_TIMEOUT_MS)
        projector.get_by_test_id("stVegaLiteChart").first.scroll_into_view_if_needed()
        projector.screenshot(path=str(artifacts_dir / "classroom-projector-draws.png"))

        counted = ballots(database, code)
        assert [game for game, _ in counted] == ["guess"] * STUDENTS + ["vote"] * STUDENTS + ["draw"] * STUDENTS
        assert sorted(g for game, g in counted if game == "guess").count("Lyon") == STUDENTS // 3
        for page in students:
            assert_no_exception(page)

        from test_accessibility_browser import serious_violations

        bad = serious_violations(projector, artifacts_dir / "axe-classroom-projector.json")
        bad += serious_violations(phone, artifacts_dir / "axe-classroom-phone.json")
        assert not bad, "the classroom:\n" + "\n".join(bad)
    except BaseException:
        for n, context in enumerate(contexts[:2]):  # the projector and the first phone, as they were
            context.pages[0].screenshot(path=str(artifacts_dir / f"classroom-failure-{n}.png"), full_page=True)
        raise
    finally:
        for context in contexts:
            context.close()
        for what, seconds in timings.items():
            print(f"classroom, {STUDENTS} students: slowest student, {what}: {seconds:.1f} s (31 pages on this machine)")


def test_a_student_whose_connection_drops_keeps_name_and_vote(class_server, teacher_passcode, chromium_browser):
    base_url, _ = class_server
    contexts = []
    try:
        context, projector, code, join_path = open_class(chromium_browser, base_url, teacher_passcode)
        contexts.append(context)
        context = chromium_browser.new_context(viewport=PHONE)
        contexts.append(context)
        student = context.new_page()
        sockets = []  # the page's WebSocket to the server, passed through so the test can drop it

        def pass_through(socket) -> None:
            socket.connect_to_server()
            sockets.append(socket)

        student.route_web_socket("**/_stcore/stream", pass_through)
        student.goto(f"{base_url}{join_path}", wait_until="domcontentloaded")
        expect_shown(student, student.get_by_role("textbox", name="Your name"), LOAD_TIMEOUT_MS)
        student.get_by_role("textbox", name="Your name").fill("Ada")
        student.get_by_role("button", name="Join").click()
        expect_shown(student, student.get_by_text("Waiting for your teacher"), LOAD_TIMEOUT_MS)

        start_round(projector, "Be the sampler", "Once upon a time there was a")
        expect_shown(student, student.get_by_text("Which token should the mirror write next?"), LIVE_TIMEOUT_MS)
        student.get_by_test_id("stButton").get_by_role("button").first.click()
        expect_shown(student, student.get_by_text("Your vote:"), LIVE_TIMEOUT_MS)
        vote = student.get_by_text("Your vote:").inner_text()

        # The Wi-Fi drops: offline, and the open connection cut (going offline alone keeps an open
        # WebSocket). The page knows it lost the server; the teacher reveals meanwhile.
        context.set_offline(True)
        for socket in sockets:
            socket.close()
        app = student.get_by_test_id("stApp")
        expect(app).not_to_have_attribute("data-test-connection-state", "CONNECTED", timeout=LIVE_TIMEOUT_MS)
        expect(metric(projector, "Votes")).to_contain_text("1 of 1", timeout=LIVE_TIMEOUT_MS)
        projector.get_by_role("button", name="Reveal").click()
        expect_shown(projector, projector.get_by_text("The class chose"), LOAD_TIMEOUT_MS)
        time.sleep(5)  # a few seconds without a connection
        expect(app).not_to_have_attribute("data-test-connection-state", "CONNECTED")
        context.set_offline(False)
        expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=LIVE_TIMEOUT_MS)

        expect_shown(student, student.get_by_text("The class chose"), LIVE_TIMEOUT_MS)
        expect_shown(student, student.get_by_text(f"Class {code} · you are Ada"), LIVE_TIMEOUT_MS)
        token = re.search(r"Your vote: (.+?)\.", vote).group(1)
        expect_shown(student, student.get_by_text(f"You voted {token}"), LIVE_TIMEOUT_MS)
        assert_no_exception(student)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """The app on a database of its own, with the teacher passcode; (base URL, database file)."""
    from conftest import TEACHER_PASSCODE, serve_app

    database = tmp_path_factory.mktemp("class") / "mirror.sqlite3"
    with serve_app("streamlit-class.log", MIRROR_DATABASE_URL=f"sqlite:///{database}",
                   MIRROR_TEACHER_PASSCODE=TEACHER_PASSCODE) as base_url:
        yield base_url, str(database)
