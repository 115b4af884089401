"""The app's pages, listed once: the navigation menu, links and page switches are built from this.

The page scripts live in `app_pages/`, not `pages/`: Streamlit would route a `pages/` folder itself
until the first `st.navigation` call of the process, so a fresh server would show another menu. URLs
stay the names Streamlit derives from the scripts (/Chat, ...), the ones links and bookmarks know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import streamlit as st

from mirror.i18n import t


@dataclass(frozen=True)
class AppPage:
    key: str  # names the page in the catalog (common.page.<key>) and in lesson links
    icon: str
    script: str  # the page's script, relative to the entrypoint's folder
    url_path: str  # served at /<url_path>; the home page also at /; the same in every language
    bare: bool = False  # a classroom role's own view: no mirror sidebar (nor its menu) on any screen

    @property
    def title(self) -> str:
        """The page's heading in the current language (the home page's is the app's name)."""
        return t("common.app_name") if self.key == "home" else t(f"common.page.{self.key}")

    @property
    def menu_label(self) -> str:
        return t(f"common.page.{self.key}")

    @property
    def tab_title(self) -> str:
        return self.title if self.key == "home" else f"{self.title} · {t('common.app_name')}"


HOME = AppPage("home", "🪞", "app_pages/0_Home.py", "Home")  # also served at /
CHAT = AppPage("chat", "💬", "app_pages/1_Chat.py", "Chat")
EXPLORER = AppPage("explorer", "🎛️", "app_pages/2_Parameter_Explorer.py", "Parameter_Explorer")
INSPECTOR = AppPage("inspector", "🔍", "app_pages/3_Token_Inspector.py", "Token_Inspector")
INSIDE = AppPage("inside", "🔬", "app_pages/7_Inside_the_Mirror.py", "Inside_the_Mirror")
TEACHER = AppPage("teacher", "🧑‍🏫", "app_pages/4_Teacher.py", "Teacher")
CLASS = AppPage("class", "🎓", "app_pages/5_Class.py", "Class", bare=True)
PROJECTOR = AppPage("projector", "📽️", "app_pages/6_Projector.py", "Projector", bare=True)
PAGES = (HOME, CHAT, EXPLORER, INSPECTOR, INSIDE, TEACHER, CLASS, PROJECTOR)


def switch_to(page: AppPage) -> NoReturn:
    st.switch_page(page.script)


def link_to(page: AppPage, label: str, icon: str | None = None) -> None:
    st.page_link(page.script, label=label, icon=icon or page.icon)
