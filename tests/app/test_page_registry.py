"""The page registry: every page's script exists, and its URL is the one Streamlit derives from the script.

While a `pages/` folder sits beside the entrypoint, Streamlit itself routes from the folder until the
first `st.navigation` call in the process (and in every AppTest run), so the registry's URLs must be
the ones it derives from the file names, or a link would open another page in that mode.
"""

from pathlib import Path

from streamlit.source_util import page_icon_and_name

from mirror.ui.pages import HOME, PAGES

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_script_exists_and_keeps_its_url():
    assert [p.url_path for p in PAGES] == ["Home", "Chat", "Parameter_Explorer", "Token_Inspector"]
    for page in PAGES:
        script = ROOT / page.script
        assert script.is_file(), page
        assert page_icon_and_name(script)[1] == page.url_path, page


def test_the_home_page_is_the_entrypoint_and_every_other_page_is_in_pages():
    assert HOME.script == "Home.py"
    assert sorted(p.script for p in PAGES if p is not HOME) == sorted(
        f"pages/{f.name}" for f in (ROOT / "pages").glob("*.py"))
