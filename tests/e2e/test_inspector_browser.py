"""The Token Inspector in a real browser: text that looks like HTML is shown, never run."""

from __future__ import annotations

import pytest
from pagekit import expect_idle, expect_shown

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOSTILE = ('Mirror <img src=x onerror="window.__pwned=1"> and <script>window.__pwned=2</script> '
           '</span><b onmouseover="window.__pwned=3">bold?</b> [link](javascript:window.__pwned=4)')


def test_hostile_text_is_scored_and_shown_inert(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    page.goto(f"{streamlit_server}/Token_Inspector")
    box = page.locator("textarea[aria-label='Text to inspect']")
    expect_shown(page, box, 180_000)
    expect_idle(page, 180_000)
    box.fill(HOSTILE)
    box.press("Tab")  # commit the text area's value
    page.get_by_role("button", name="🔍 Inspect").click()
    expect_shown(page, page.locator(".mm-text").first, 180_000)
    expect_idle(page, 180_000)

    coloured = page.locator(".mm-text").first
    coloured.hover()
    page.mouse.move(10, 10)
    # The markup is visible as text (newlines aside), and none of it became an element or ran.
    assert coloured.inner_text().replace("⏎", "").replace("\n", "") == HOSTILE
    assert coloured.locator("img, script, b").count() == 0
    assert page.evaluate("() => window.__pwned === undefined")
    for token in page.locator(".mm-token").all()[:5]:
        assert token.get_attribute("style").startswith("background:")

    page.screenshot(path=str(artifacts_dir / "inspector.png"), full_page=True)
