"""Two people in two browsers: each sees only their own saved work, a reload keeps who you are, and
the teacher (a third browser, with the passcode) sees everybody's.

Contract with the Chat page: the segmented control's "Compose" and "Saved" views (radio buttons), Compose's
"✨ Write it" and "💾 Save" buttons, and one expander per saved item labelled with its title.
"""

from __future__ import annotations

import pytest
from pagekit import expect, expect_idle, expect_shown

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOAD_TIMEOUT_MS = 120_000
WRITE_TIMEOUT_MS = 240_000
TITLE = "Alice's private poem"


def open_chat(context, base_url: str):
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base_url}/Chat", wait_until="domcontentloaded")
    expect_shown(page, page.get_by_test_id("stChatInputTextArea"), LOAD_TIMEOUT_MS)
    expect_idle(page, LOAD_TIMEOUT_MS)
    return page


def show_view(page, label: str) -> None:
    page.get_by_test_id("stButtonGroup").get_by_role("radio", name=label).click()
    expect_idle(page, LOAD_TIMEOUT_MS)


def test_each_person_sees_only_their_own_work_and_a_reload_keeps_it(own_database_server, teacher_passcode,
                                                                    chromium_browser, artifacts_dir):
    alice_context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    bob_context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        alice = open_chat(alice_context, own_database_server)
        show_view(alice, "Compose")
        alice.get_by_role("button", name="✨ Write it").click()
        title = alice.get_by_label("Title")
        expect_shown(alice, title, WRITE_TIMEOUT_MS)
        expect_idle(alice, WRITE_TIMEOUT_MS)
        title.fill(TITLE)
        alice.get_by_role("button", name="💾 Save").click()
        expect(alice.get_by_test_id("stAlert").filter(has_text="Saved")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        show_view(alice, "Saved")
        expect(alice.get_by_test_id("stExpander").filter(has_text=TITLE)).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        assert "me=" in alice.url, alice.url  # the signed token a reload will bring back

        bob = open_chat(bob_context, own_database_server)
        show_view(bob, "Saved")
        expect(bob.get_by_text("Nothing saved yet")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        assert bob.get_by_test_id("stExpander").filter(has_text=TITLE).count() == 0
        bob.screenshot(path=str(artifacts_dir / "people-bob-sees-nothing.png"), full_page=True)

        teacher_context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            teacher = teacher_context.new_page()
            teacher.goto(f"{own_database_server}/Teacher", wait_until="domcontentloaded")
            passcode = teacher.get_by_label("Teacher passcode")
            expect_shown(teacher, passcode, LOAD_TIMEOUT_MS)
            passcode.fill(teacher_passcode)
            teacher.get_by_role("button", name="Sign in").click()
            expect(teacher.get_by_role("tab", name="📚 Saved work (1)")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
            expect_idle(teacher, LOAD_TIMEOUT_MS)
            expect(teacher.get_by_test_id("stDataFrame").locator("canvas").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
            teacher.screenshot(path=str(artifacts_dir / "people-teacher-sees-all.png"), full_page=True)
        finally:
            teacher_context.close()

        alice.reload(wait_until="domcontentloaded")
        expect_shown(alice, alice.get_by_test_id("stChatInputTextArea"), LOAD_TIMEOUT_MS)
        show_view(alice, "Saved")
        expect(alice.get_by_test_id("stExpander").filter(has_text=TITLE)).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        alice.screenshot(path=str(artifacts_dir / "people-alice-after-reload.png"), full_page=True)
    finally:
        alice_context.close()
        bob_context.close()
