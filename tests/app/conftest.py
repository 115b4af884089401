"""Opening a page of the app through AppTest, the way every page test starts."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

HOME = str(Path(__file__).resolve().parents[2] / "Home.py")
TIMEOUT = 180  # the first test process may have to build the bundled model's weight cache


@pytest.fixture
def open_page(bundled, tmp_path, monkeypatch):
    """open_page(page, max_new_tokens) -> AppTest on that page, with a throw-away database and short replies."""

    def open_(page: str, max_new_tokens: int) -> AppTest:
        monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
        at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
        at.run()
        at.switch_page(page).run()
        at.slider(key="ctl_max_new_tokens").set_value(max_new_tokens).run()  # short replies keep the suite fast
        assert not at.exception, at.exception
        return at

    return open_
