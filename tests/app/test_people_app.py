"""Two visitors on one database: each sees only their own saved work, and a reload keeps who you are."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest_kit import open_app_page

CHAT = "app_pages/1_Chat.py"
SAVED = "📚 Saved"


def visitor(token: str | None = None) -> AppTest:
    # A reload sends the URL the page left, with its `me` token.
    return open_app_page(CHAT, {"me": token} if token is not None else None)


def test_a_visitor_sees_only_their_own_saved_work_and_a_reload_keeps_it(bundled, tmp_path, monkeypatch):
    from mirror.services.store import Store, StoreError

    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    first, second = visitor(), visitor()
    alice, bob = first.session_state["mirror_person"], second.session_state["mirror_person"]
    assert alice != bob
    item = Store().save_item(owner=alice, title="Alice's poem", text="Only mine.")

    first.segmented_control(key="chat_view").set_value(SAVED).run()
    second.segmented_control(key="chat_view").set_value(SAVED).run()
    assert any("Alice's poem" in e.label for e in first.expander)
    assert not any("Alice's poem" in e.label for e in second.expander)
    assert [b.key for b in second.button if b.key == f"del_{item}"] == []  # nothing of hers to press
    with pytest.raises(StoreError, match="does not exist"):
        Store().delete_item(item, owner=bob)  # what a forged callback would do: refused by the store

    # A reload sends the token the page put in the URL: the same person, the same saved work.
    token = first.query_params["me"]
    token = token[0] if isinstance(token, list) else token
    again = visitor(token)
    assert again.session_state["mirror_person"] == alice
    again.segmented_control(key="chat_view").set_value(SAVED).run()
    assert any("Alice's poem" in e.label for e in again.expander)
    # A token that was tampered with is a new visitor, not Alice.
    forged = visitor(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert forged.session_state["mirror_person"] != alice


def test_a_logged_in_user_is_the_same_person_on_every_device(bundled, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from mirror.services.people import person_for_email
    from tests.app.conftest import HOME, TIMEOUT

    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    people = []
    for _ in range(2):  # two devices, two sessions, one login
        at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
        at.user = {"is_logged_in": True, "email": "ada@school.org", "name": "Ada"}
        at.run()
        at.switch_page(CHAT).run()
        assert not at.exception, at.exception
        people.append(at.session_state["mirror_person"])
    assert people[0] == people[1] == person_for_email("ada@school.org")
