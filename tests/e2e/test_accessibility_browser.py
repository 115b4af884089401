"""Accessibility in a real browser: axe-core on every page, in English and in Russian, and the keyboard.

axe-core (from the axe-playwright-python package, which ships axe.min.js) checks the page as the
browser built it, against WCAG 2.1 A and AA. Serious and critical violations must be 0; the others
are written to test-artifacts/axe-<page>-<lang>.json for a person to read.
"""

from __future__ import annotations

import json

import pytest
from pagekit import expect, expect_idle, expect_shown

from mirror.ui.pages import PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOAD_TIMEOUT_MS = 180_000
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


def _open(page, base_url: str, url_path: str, lang: str) -> None:
    page.goto(f"{base_url}/{url_path}?lang={lang}", wait_until="domcontentloaded")
    expect_shown(page, page.get_by_test_id("stSidebar"), LOAD_TIMEOUT_MS)
    expect(page.locator("h1").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect_idle(page, LOAD_TIMEOUT_MS)
    # The page's own head (its language and styles) is an st.html element, whose code the browser loads
    # on demand: it can land after the run is over. Screen readers read the page in this language.
    expect(page.locator("html")).to_have_attribute("data-mirror-head", lang, timeout=LOAD_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.lang") == lang


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("entry", PAGES, ids=[p.url_path for p in PAGES])
def test_no_serious_or_critical_axe_violations(streamlit_server, browser_page, artifacts_dir, entry, lang):
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    _open(page, streamlit_server, entry.url_path, lang)
    results = Axe().run(page, options=WCAG).response
    violations = results["violations"]
    (artifacts_dir / f"axe-{entry.url_path}-{lang}.json").write_text(json.dumps(violations, indent=1))
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:4]}"
           for v in violations if v["impact"] in {"serious", "critical"}]
    assert not bad, f"{entry.url_path} ({lang}):\n" + "\n".join(bad)
