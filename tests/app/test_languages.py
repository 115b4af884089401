"""The language of the app: chosen by the sidebar switch, then ?lang=, then the browser; English nowhere in Russian."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from mirror.ui import state
from tests.app.conftest import HOME, TIMEOUT
from mirror.ui.pages import PAGES
from tests.app.language_kit import assert_russian, each_tab, open_in_russian


def _home(locale: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    if locale:
        at.context["locale"] = locale
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def _heading(at: AppTest) -> str:
    return at.title[0].value


@pytest.mark.parametrize(("locale", "lang", "expected"), [
    (None, None, "🪞 Magic Mirror"),           # no hint: English
    ("ru-RU", None, "🪞 Волшебное зеркало"),   # the browser's language
    ("de-DE", None, "🪞 Magic Mirror"),        # a language the app does not speak: English
    ("en-US", "ru", "🪞 Волшебное зеркало"),   # the link wins over the browser
    ("ru-RU", "en", "🪞 Magic Mirror"),
    ("ru-RU", "xx", "🪞 Волшебное зеркало"),   # a bad ?lang= is ignored
], ids=["default", "browser", "unknown-browser", "link-ru", "link-en", "bad-link"])
def test_language_comes_from_the_link_then_the_browser(bundled, locale, lang, expected):
    at = _home(locale, lang)
    assert not at.exception, at.exception
    assert _heading(at) == expected


def test_the_switch_wins_over_link_and_browser_and_writes_the_link(bundled):
    at = _home("ru-RU", "ru")
    switch = at.button_group(key="language_switch")
    assert switch.value == "ru"
    switch.set_value("en").run()
    assert not at.exception, at.exception
    assert _heading(at) == "🪞 Magic Mirror"
    assert at.query_params["lang"] == "en"
    assert at.session_state[state.LANGUAGE] == "en"
    at.switch_page("app_pages/1_Chat.py").run()  # the choice follows the visitor to other pages
    assert _heading(at) == "💬 Chat"


def test_the_sidebar_is_russian(bundled):
    at = open_in_russian("app_pages/0_Home.py")
    sidebar_labels = [s.label for s in at.sidebar.slider]
    assert sidebar_labels[0] == "Температура"
    assert "Среда" in at.sidebar.caption[-1].value



@pytest.mark.parametrize("entry", PAGES, ids=[p.key for p in PAGES])
def test_every_page_of_the_registry_opens_in_russian_with_no_english(bundled, entry, tmp_path, monkeypatch):
    """Every page as a Russian visitor first sees it, every tab of it opened in turn. The pages' own tests
    (tests/app/test_russian_*.py) go on to use each page: reply, inspect, rank, play a round."""
    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    at = open_in_russian(entry.script)
    assert_russian(at, allowed=_model_tokens(at), where=entry.script)
    tab_key = {"explorer": state.EXPLORER_TAB, "inside": "inside_tab"}.get(entry.key)
    if tab_key:
        for label in each_tab(at, tab_key):
            assert_russian(at, allowed=_model_tokens(at), where=f"{entry.script}, tab {label}")


def _model_tokens(at: AppTest) -> list[str]:
    """What the model wrote or read on the page (tokens in tables, chips and buttons): English is allowed there."""
    lm = at.session_state[state.FRAME][0]
    texts = []
    for button in at.button:
        if button.key and button.key.startswith("explorer_walk_pick_"):
            texts.append(button.label)
    current = at.session_state[state.INSIDE_CURRENT] if state.INSIDE_CURRENT in at.session_state else None
    if current and current.get("ids"):
        texts += [lm.decode([i]) for i in current["ids"]]
    from mirror.ui.inside.tokens import DEFAULT_A

    texts.append(DEFAULT_A[1])  # the "two languages" comparison's English sentence is English on purpose
    return [t for t in texts if len(t.strip()) > 1]
