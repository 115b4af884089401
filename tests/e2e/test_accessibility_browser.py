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
    expect_shown(page, page.locator("h1").first, LOAD_TIMEOUT_MS)
    bare = next(entry.bare for entry in PAGES if entry.url_path == url_path)  # a classroom role's own view
    if bare:
        expect(page.get_by_test_id("stSidebar")).to_be_hidden(timeout=LOAD_TIMEOUT_MS)
    else:
        expect_shown(page, page.get_by_test_id("stSidebar"), LOAD_TIMEOUT_MS)
    expect_idle(page, LOAD_TIMEOUT_MS)
    # The page's own head (its language and styles) is an st.html element, whose code the browser loads
    # on demand: it can land after the run is over. Screen readers read the page in this language.
    expect(page.locator("html")).to_have_attribute("data-mirror-head", lang, timeout=LOAD_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.lang") == lang


# Streamlit fades an element it is redrawing (`data-stale`) and fades it back in with a CSS transition: axe
# must not measure a colour mid-fade (CI once read a slider's labels at 1.14:1 halfway back to full opacity).
SETTLED = """() => !document.querySelector("[data-stale='true']") && document.getAnimations().every(
  (a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity)"""


def serious_violations(page, artifact) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now, once nothing is fading
    in or out; all of them go to `artifact`."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_function(SETTLED, timeout=LOAD_TIMEOUT_MS)
    violations = Axe().run(page, options=WCAG).response["violations"]
    artifact.write_text(json.dumps(violations, indent=1))
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:4]}"
            for v in violations if v["impact"] in {"serious", "critical"}]


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("entry", PAGES, ids=[p.url_path for p in PAGES])
def test_no_serious_or_critical_axe_violations(streamlit_server, browser_page, artifacts_dir, entry, lang):
    page = browser_page
    _open(page, streamlit_server, entry.url_path, lang)
    bad = serious_violations(page, artifacts_dir / f"axe-{entry.url_path}-{lang}.json")
    assert not bad, f"{entry.url_path} ({lang}):\n" + "\n".join(bad)


@pytest.mark.parametrize("url_path", ["Parameter_Explorer", "Inside_the_Mirror"])
def test_every_tab_has_no_serious_or_critical_axe_violations(streamlit_server, browser_page, artifacts_dir, url_path):
    """Each tab draws only when opened (charts, tables, its own controls): each one is checked open."""
    page = browser_page
    _open(page, streamlit_server, url_path, "en")
    tabs = page.get_by_test_id("stMain").get_by_role("tab")
    names = [tab.inner_text().strip() for tab in tabs.all()]
    assert len(names) >= 4, names
    found = {}
    for number, name in enumerate(names):
        tabs.nth(number).click()
        expect(tabs.nth(number)).to_have_attribute("aria-selected", "true", timeout=LOAD_TIMEOUT_MS)
        expect_shown(page, page.get_by_role("tabpanel", name=name), LOAD_TIMEOUT_MS)
        expect_idle(page, LOAD_TIMEOUT_MS)
        found[name] = serious_violations(page, artifacts_dir / f"axe-{url_path}-tab{number}.json")
    bad = {name: problems for name, problems in found.items() if problems}
    assert not bad, f"{url_path}: " + json.dumps(bad, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_an_inspected_text_and_its_table_have_no_serious_or_critical_axe_violations(streamlit_server, browser_page,
                                                                                   artifacts_dir, lang):
    """The coloured tokens (tooltips, underlines, the legend) and the table view exist only after Inspect."""
    from mirror.i18n import t

    page = browser_page
    _open(page, streamlit_server, "Token_Inspector", lang)
    page.get_by_role("button", name=t("inspector.inspect", language=lang)).click()
    expect_shown(page, page.locator(".mm-text").first, LOAD_TIMEOUT_MS)
    expect_idle(page, LOAD_TIMEOUT_MS)
    bad = serious_violations(page, artifacts_dir / f"axe-inspected-{lang}.json")
    page.get_by_test_id("stMain").get_by_text(t("inspector.table_view", language=lang), exact=True).click()
    expect_shown(page, page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first, LOAD_TIMEOUT_MS)
    expect_idle(page, LOAD_TIMEOUT_MS)
    page.screenshot(path=str(artifacts_dir / f"inspector-table-{lang}.png"), full_page=True)
    bad += serious_violations(page, artifacts_dir / f"axe-inspected-table-{lang}.json")
    assert not bad, f"Token Inspector ({lang}):\n" + "\n".join(bad)
