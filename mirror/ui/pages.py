"""The app's pages, listed once: the navigation menu, links and page switches are built from this.

The page scripts live in `app_pages/`, not `pages/`: Streamlit would route a `pages/` folder itself
until the first `st.navigation` call of the process, so a fresh server would show another menu. URLs
stay the names Streamlit derives from the scripts (/Chat, ...), the ones links and bookmarks know.
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


HOME = AppPage(APP_NAME, "🪞", "app_pages/0_Home.py", "Home", label="Home")  # also served at /
CHAT = AppPage("Chat", "💬", "app_pages/1_Chat.py", "Chat")
EXPLORER = AppPage("Parameter Explorer", "🎛️", "app_pages/2_Parameter_Explorer.py", "Parameter_Explorer")
INSPECTOR = AppPage("Token Inspector", "🔍", "app_pages/3_Token_Inspector.py", "Token_Inspector")
INSIDE = AppPage("Inside the Mirror", "🔬", "app_pages/7_Inside_the_Mirror.py", "Inside_the_Mirror")
TEACHER = AppPage("Teacher", "🧑‍🏫", "app_pages/4_Teacher.py", "Teacher")
CLASS = AppPage("Class", "🎓", "app_pages/5_Class.py", "Class")
PROJECTOR = AppPage("Projector", "📽️", "app_pages/6_Projector.py", "Projector")
PAGES = (HOME, CHAT, EXPLORER, INSPECTOR, INSIDE, TEACHER, CLASS, PROJECTOR)


def switch_to(page: AppPage) -> NoReturn:
    st.switch_page(page.script)


def link_to(page: AppPage, label: str, icon: str | None = None) -> None:
    st.page_link(page.script, label=label, icon=icon or page.icon)
