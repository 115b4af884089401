"""Small helpers shared by the browser tests: Playwright's auto-waiting `expect` on Streamlit's test ids.

Streamlit marks its elements with `data-testid` (stApp, stChatMessage, stMarkdownContainer, ...), which is
what `page.get_by_test_id` looks for. The app root also carries the script's state in
`data-test-script-state` ("initial", "running", "notRunning", "stopRequested", ...), and each chat message's
content is labelled "Chat message from <name>".
"""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixtures then skip (or fail) and say why; collecting must not break
    expect = None

USER_MESSAGE = re.compile(r"^Chat message from (user|human)$", re.IGNORECASE)
ASSISTANT_MESSAGE = "Chat message from assistant"


def assert_no_exception(page) -> None:
    """Fail at once with the app's own message when it shows an exception."""
    errors = page.get_by_test_id("stException")
    if errors.count():
        pytest.fail(f"the app shows an exception:\n{errors.first.inner_text()}")


def expect_shown(page, locator, timeout_ms: int, message: str | None = None) -> None:
    """Wait until `locator` is visible; an exception shown by the app ends the wait at once and fails with its text."""
    expect(locator.or_(page.get_by_test_id("stException")).first, message).to_be_visible(timeout=timeout_ms)
    assert_no_exception(page)


def expect_idle(page, timeout_ms: int) -> None:
    """Wait until the script run is over (wait for something the run draws first: before it starts the page is idle too)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                         timeout=timeout_ms)
    assert_no_exception(page)


def is_idle(page) -> bool:
    """The script's state right now, without waiting."""
    return page.get_by_test_id("stApp").get_attribute("data-test-script-state") == "notRunning"


def expect_chat_ready(page, timeout_ms: int) -> None:
    """The page's run is over and its chat input is there."""
    expect_shown(page, page.get_by_test_id("stChatInputTextArea"), timeout_ms)
    expect_idle(page, timeout_ms)


def reply_after(page, turn: int, question: str, timeout_ms: int, missing: str | None = None):
    """The content of the reply after chat message number `turn`, the user's `question`, once both are shown.

    `turn` counts from 0, or from the end (-2: the last exchange). A fresh browser context is a fresh
    session, so a test knows where its messages are.
    """
    assert turn != -1, "the last message has no reply after it"
    messages = page.get_by_test_id("stChatMessage")
    expect_shown(page, messages.nth(turn).get_by_label(USER_MESSAGE).filter(has_text=question), timeout_ms,
                 f"chat message {turn} is not the user's {question!r}")
    reply = messages.nth(turn + 1).get_by_label(ASSISTANT_MESSAGE, exact=True)
    expect_shown(page, reply, timeout_ms, missing or f"no reply after the user's {question!r}")
    return reply


def settle_slider(page, slider, target: float, step: float, timeout_ms: int, settle_ms: int = 1000) -> float:
    """Move a Streamlit slider (its stSlider container) to `target` with the keyboard, as a user can.

    Every key press reruns the page, and a press made while an earlier rerun is still going can be
    undone by it (the sidebar reseeds its sliders from the session). So: press, wait until the page
    is idle and the value has held still for `settle_ms`, and correct until it is right.
    """
    shown = slider.get_by_test_id("stSliderThumbValue")
    thumb = slider.get_by_role("slider")

    def settled() -> float:
        while True:
            expect_idle(page, timeout_ms)
            before = shown.inner_text().strip()
            page.wait_for_timeout(settle_ms)
            if is_idle(page) and shown.inner_text().strip() == before:
                return float(before)

    value = settled()
    for _ in range(6):
        presses = round((target - value) / step)
        if presses == 0:
            return value
        thumb.focus()
        for _ in range(abs(presses)):
            thumb.press("ArrowRight" if presses > 0 else "ArrowLeft")
            page.wait_for_timeout(150)
        value = settled()
    pytest.fail(f"could not move the slider to {target}: it stays at {value}")
