"""The navigation menu over the page registry (`pages.PAGES`); the entrypoint runs the page it returns."""

from __future__ import annotations

import streamlit as st

from mirror.ui.language import apply_language
from mirror.ui.pages import HOME, PAGES, AppPage


def _st_page(page: AppPage) -> st.Page:
    return st.Page(page.script, title=page.menu_label, icon=page.icon, url_path=page.url_path,
                   default=page is HOME)


def navigation() -> tuple[st.Page, AppPage]:
    """Draw the navigation menu; the page this run shows (to be run by the entrypoint) and its entry."""
    apply_language()  # the menu is drawn first, so it needs the visitor's language before the frame does
    pages = [_st_page(page) for page in PAGES]
    chosen = st.navigation(pages)
    entry = next(page for page, built in zip(PAGES, pages) if built.url_path == chosen.url_path)
    return chosen, entry
