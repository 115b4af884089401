"""The keyboard alone: from the top of the page, Tab reaches the language switch, the lesson link, the
settings and the page's input, and Enter works the focused control."""

from __future__ import annotations

import pytest
from pagekit import expect, expect_idle, expect_shown

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOAD_TIMEOUT_MS = 180_000
MAX_TABS = 80


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const box = el.closest('[data-testid]');
        return {tag: el.tagName, text: (el.innerText || el.getAttribute('aria-label') || el.value || '').trim(),
                testid: box ? box.getAttribute('data-testid') : '', visible: el.getBoundingClientRect().width > 0};
    }""")


def test_tab_reaches_every_control_of_the_frame_and_enter_works_them(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    page.goto(f"{streamlit_server}/Chat", wait_until="domcontentloaded")
    expect_shown(page, page.get_by_test_id("stChatInputTextArea"), LOAD_TIMEOUT_MS)
    expect_idle(page, LOAD_TIMEOUT_MS)
    page.evaluate("document.activeElement && document.activeElement.blur()")  # start from the top of the page
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = _focused(page)
        seen.append(now)
        if now["testid"] == "stChatInputTextArea" or now["tag"] == "TEXTAREA" and "ChatInput" in now["testid"]:
            break
    texts = [s["text"] for s in seen]
    testids = {s["testid"] for s in seen}
    assert all(s["visible"] for s in seen), [s for s in seen if not s["visible"]]  # focus never lands on hidden things
    assert "English" in texts or "Русский" in texts, texts  # the language switch
    assert any("Link to this" in x for x in texts), texts
    assert "stSlider" in testids or any(s["tag"] == "DIV" and s["testid"].startswith("stSlider") for s in seen), testids
    assert seen[-1]["tag"] == "TEXTAREA", f"Tab never reached the chat input: {seen[-5:]}"

    # Back to the link button with Shift+Tab, and Enter makes the link.
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab")
        if "Link to this" in _focused(page)["text"]:
            break
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stCode")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    assert "temperature=" in page.url
    page.screenshot(path=str(artifacts_dir / "keyboard-link.png"))
