"""The app's pages, listed once: the navigation menu, links and page switches are built from this.

URLs are the page scripts' names as Streamlit has always derived them (/Chat, ...): the same whether
Streamlit runs `st.navigation` or, as it does while a `pages/` folder sits beside the entrypoint and no
`st.navigation` call has run yet in the process (and in every AppTest run), reads that folder itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import streamlit as st

APP_NAME = "Magic Mirror"


@dataclass(frozen=True)
class AppPage:
    title: str  # the page's heading
    icon: str
    script: str  # the page's script, relative to the entrypoint's folder
    url_path: str  # served at /<url_path>; the home page also at /
    label: str = ""  # in the navigation menu, when not the title

    @property
    def menu_label(self) -> str:
        return self.label or self.title

    @property
    def tab_title(self) -> str:
        return self.title if self.title == APP_NAME else f"{self.title} · {APP_NAME}"


HOME = AppPage(APP_NAME, "🪞", "Home.py", "Home", label="Home")  # the entrypoint: its body is `home.home`
CHAT = AppPage("Chat", "💬", "pages/1_Chat.py", "Chat")
EXPLORER = AppPage("Parameter Explorer", "🎛️", "pages/2_Parameter_Explorer.py", "Parameter_Explorer")
INSPECTOR = AppPage("Token Inspector", "🔍", "pages/3_Token_Inspector.py", "Token_Inspector")
PAGES = (HOME, CHAT, EXPLORER, INSPECTOR)


def switch_to(page: AppPage) -> NoReturn:
    st.switch_page(page.script)


def link_to(page: AppPage, label: str, icon: str | None = None) -> None:
    st.page_link(page.script, label=label, icon=icon or page.icon)
