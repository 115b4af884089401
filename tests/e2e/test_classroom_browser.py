"""A class in real browsers: the teacher's projector and three students, one round of "Guess the next word".

The projector's guess count and the students' pages update by themselves (no reload): they redraw
every few seconds from the database. Contract: the Teacher page's "Teacher passcode" and "Sign in",
the Projector's "Open a class", "Class code: `XXXX`", "Prompt", "Start a round", the "Guesses" metric
and "Reveal"; the Class page's "Class code", "Your name", "Join", "Your guess" and "Send my guess".
"""

from __future__ import annotations

import re

import pytest
from pagekit import expect, expect_idle, expect_shown

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOAD_TIMEOUT_MS = 120_000
LIVE_TIMEOUT_MS = 60_000  # a fragment redraws every 2 s; a slow machine gets room
PROMPT = "The capital of France is"
STUDENTS = ("Ada", "Bo", "Cy")


def new_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url, wait_until="domcontentloaded")
    return context, page


def test_a_round_with_three_students_counts_live_and_reveals(own_database_server, teacher_passcode, chromium_browser,
                                                             artifacts_dir):
    contexts = []
    try:
        context, projector = new_page(chromium_browser, f"{own_database_server}/Teacher")
        contexts.append(context)
        passcode = projector.get_by_label("Teacher passcode")
        expect_shown(projector, passcode, LOAD_TIMEOUT_MS)
        passcode.fill(teacher_passcode)
        projector.get_by_role("button", name="Sign in").click()
        expect_shown(projector, projector.get_by_role("button", name="Sign out"), LOAD_TIMEOUT_MS)
        projector.get_by_test_id("stSidebarNav").get_by_text("Projector").click()
        open_class = projector.get_by_role("button", name="Open a class")
        expect_shown(projector, open_class, LOAD_TIMEOUT_MS)
        open_class.click()
        heading = projector.get_by_text(re.compile(r"Class code: [A-Z]{4}"))
        expect_shown(projector, heading, LOAD_TIMEOUT_MS)
        code = re.search(r"[A-Z]{4}$", heading.inner_text().strip()).group(0)

        students = []
        for name in STUDENTS:
            context, page = new_page(chromium_browser, f"{own_database_server}/Class")
            contexts.append(context)
            expect_shown(page, page.get_by_role("textbox", name="Class code"), LOAD_TIMEOUT_MS)
            page.get_by_role("textbox", name="Class code").fill(code)
            page.get_by_role("textbox", name="Your name").fill(name)
            page.get_by_role("button", name="Join").click()
            expect_shown(page, page.get_by_text("Waiting for your teacher"), LOAD_TIMEOUT_MS)
            students.append(page)

        projector.get_by_role("textbox", name="Prompt").fill(PROMPT)
        projector.get_by_role("button", name="Start a round").click()
        expect(projector.get_by_test_id("stMetric")).to_contain_text("0 of 3", timeout=LIVE_TIMEOUT_MS)
        for page, guess in zip(students, ("Paris", "Paris", "Lyon")):
            box = page.get_by_role("textbox", name="Your guess")
            expect_shown(page, box, LIVE_TIMEOUT_MS)  # the round reached the student's page by itself
            box.fill(guess)
            page.get_by_role("button", name="Send my guess").click()
            expect_shown(page, page.get_by_text(f"Your guess: {guess}"), LIVE_TIMEOUT_MS)
        expect(projector.get_by_test_id("stMetric")).to_contain_text("3 of 3", timeout=LIVE_TIMEOUT_MS)

        projector.get_by_role("button", name="Reveal").click()
        expect_shown(projector, projector.get_by_text("The mirror's top choice"), LOAD_TIMEOUT_MS)
        expect_shown(projector, projector.get_by_text("Class score"), LOAD_TIMEOUT_MS)
        expect_idle(projector, LOAD_TIMEOUT_MS)
        # The chart's code loads on demand: the bars are drawn once its canvas is there.
        expect_shown(projector, projector.get_by_test_id("stVegaLiteChart").locator("canvas, svg").first, LOAD_TIMEOUT_MS)
        projector.screenshot(path=str(artifacts_dir / "classroom-projector-reveal.png"), full_page=True)
        expect_shown(students[2], students[2].get_by_text("most likely next word"), LIVE_TIMEOUT_MS)
        students[2].screenshot(path=str(artifacts_dir / "classroom-student-after-reveal.png"), full_page=True)
        from test_accessibility_browser import serious_violations

        # The reveal (its chart and the class's score) on the projector, and what a student sees after it.
        bad = serious_violations(projector, artifacts_dir / "axe-classroom-reveal.json")
        bad += serious_violations(students[2], artifacts_dir / "axe-classroom-student.json")
        assert not bad, "the classroom after the reveal:\n" + "\n".join(bad)
    finally:
        for context in contexts:
            context.close()
