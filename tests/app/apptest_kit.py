"""Small AppTest helpers for the pages that several visitors use at once (classroom, teacher, people)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import HOME, TIMEOUT


def open_app_page(path: str, query: dict[str, str] | None = None) -> AppTest:
    """A new visitor (a new session) on the page `path`; `query` is what the URL carries."""
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def classroom_env(monkeypatch, tmp_path, passcode: str | None) -> None:
    """A throw-away database, and the teacher passcode set (or, with None, unset)."""
    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    if passcode is None:
        monkeypatch.delenv("MIRROR_TEACHER_PASSCODE", raising=False)
    else:
        monkeypatch.setenv("MIRROR_TEACHER_PASSCODE", passcode)
