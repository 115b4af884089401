"""The navigation menu over the page registry (`pages.PAGES`); the entrypoint runs the page it returns."""

from __future__ import annotations

import streamlit as st

from mirror.ui.home import home
from mirror.ui.pages import HOME, PAGES, AppPage


def _st_page(page: AppPage) -> st.Page:
    if page is HOME:
        # The entrypoint cannot also be a page script (it would route again), so home runs as a function.
        return st.Page(home, title=page.menu_label, icon=page.icon, url_path=page.url_path, default=True)
    return st.Page(page.script, title=page.menu_label, icon=page.icon, url_path=page.url_path)


def navigation() -> st.Page:
    """Draw the navigation menu; the page this run shows, to be run by the entrypoint."""
    return st.navigation([_st_page(page) for page in PAGES])
