"""What every page adds to the browser's page: its language, and the few styles the theme cannot set.

Streamlit's page always says `<html lang="en">`; a small fixed script (no outside input) sets the
visitor's language, so screen readers, hyphenation and spell-checkers treat Russian as Russian.
The styles: captions in a grey dark enough for WCAG AA (4.5:1) on both backgrounds of the theme
(Streamlit draws them in the text colour at 60 % opacity, 3.6:1), and
a clear focus ring for whoever moves through the page with the keyboard.
"""

from __future__ import annotations

import streamlit as st

from mirror.i18n import Language

CAPTION_GREY = "#5f6670"  # 5.5:1 on the page background, 5.0:1 on the sidebar's (config.toml's theme)
FOCUS_RING = "#1f4e8c"

_STYLE = f"""<style>
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{ color: {CAPTION_GREY} !important; }}
:focus-visible {{ outline: 3px solid {FOCUS_RING} !important; outline-offset: 2px; }}
</style>"""


def page_head(language: Language) -> None:
    # data-mirror-head says the head has landed (tests wait for it: the element's code loads on demand).
    script = f'document.documentElement.lang = "{language}"; document.documentElement.dataset.mirrorHead = "{language}";'
    st.html(f"{_STYLE}<script>{script}</script>", unsafe_allow_javascript=True)


# No sidebar, nor the arrow that opens it, nor the menu it holds: on every screen size.
_NO_SIDEBAR_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarNav"] { display: none !important; }
</style>"""


def hide_sidebar() -> None:
    st.html(_NO_SIDEBAR_CSS)
