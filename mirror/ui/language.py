"""The language of this visitor: the sidebar switch, then `?lang=` in the URL, then the browser's language.

`apply_language()` runs first in every script run (before any text is drawn) and keeps the run's language
in session state, where the catalog (`mirror.i18n`) reads it through the source registered here, also in
callbacks and fragment reruns; `language_switch()` draws the switch in the sidebar.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mirror.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language, language_from_tag, t
from mirror.i18n.language import NATIVE_NAMES, set_language_source
from mirror.ui import state

QUERY_KEY = "lang"
_SWITCH = "language_switch"  # the widget's own key; the choice itself is kept in state.LANGUAGE


def chosen_language() -> Language:
    """The visitor's language by the order of the issue: their own choice, the link, the browser."""
    picked = st.session_state.get(state.LANGUAGE)
    if picked in LANGUAGES:
        return picked
    from_link = language_from_tag(st.query_params.get(QUERY_KEY))
    if from_link:
        return from_link
    return language_from_tag(st.context.locale) or DEFAULT_LANGUAGE


def _visitor_language() -> Language | None:
    """The catalog's language source: this session's language, in any thread that runs its script or callbacks."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None  # not a visitor's thread (the scheduler, the CLI, a test's own thread)
    return st.session_state.get(state.LANGUAGE_NOW)


set_language_source(_visitor_language)


def apply_language() -> Language:
    """Fix this run's language (callbacks of the next run, before it, still speak it)."""
    language = chosen_language()
    st.session_state[state.LANGUAGE_NOW] = language
    return language


def _switched() -> None:
    choice = st.session_state.get(_SWITCH)
    if choice in LANGUAGES:
        st.session_state[state.LANGUAGE] = choice
        st.query_params[QUERY_KEY] = choice  # the address bar (and a copied link) says the language too


def language_switch(language: Language, in_sidebar: bool = True) -> None:
    """The switch at the top of the sidebar (or of the page), showing each language in its own name."""
    st.session_state[_SWITCH] = language
    (st.sidebar if in_sidebar else st).segmented_control(t("common.language.label"), LANGUAGES, key=_SWITCH, format_func=NATIVE_NAMES.__getitem__,
                                 on_change=_switched, help=t("common.language.help"), required=True)

