"""The page registry: every page's script exists, and its URL is the one Streamlit derives from the script.

The URLs are the ones Streamlit derived from the file names when the pages were a `pages/` folder, so
old links and bookmarks still open the same pages. There is no `pages/` folder any more: Streamlit
would route it itself until the first `st.navigation` call of a process.
"""

from pathlib import Path

from streamlit.source_util import page_icon_and_name

from mirror.ui.pages import HOME, PAGES

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_script_exists_and_keeps_its_url():
    assert [p.url_path for p in PAGES] == ["Home", "Chat", "Parameter_Explorer", "Token_Inspector",
                                           "Inside_the_Mirror", "Teacher", "Class", "Projector"]
    for page in PAGES:
        script = ROOT / page.script
        assert script.is_file(), page
        assert page_icon_and_name(script)[1] == page.url_path, page


def test_every_page_is_in_app_pages_and_home_is_the_default():
    assert PAGES[0] is HOME
    assert sorted(p.script for p in PAGES) == sorted(
        f"app_pages/{f.name}" for f in (ROOT / "app_pages").glob("*.py"))
    assert not (ROOT / "pages").exists(), "a pages/ folder would route itself until st.navigation runs"
