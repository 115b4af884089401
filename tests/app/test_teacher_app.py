"""The Teacher page: no passcode configured, a wrong one, the right one, everybody's work, clearing it."""

from streamlit.testing.v1 import AppTest

from tests.app.apptest_kit import classroom_env, open_app_page, press

TEACHER = "app_pages/4_Teacher.py"
PASSCODE = "owl-lantern-42"


def teacher_page(monkeypatch, tmp_path, passcode: str | None = PASSCODE) -> AppTest:
    classroom_env(monkeypatch, tmp_path, passcode)
    return open_app_page(TEACHER)


def sign_in(at: AppTest, attempt: str) -> AppTest:
    at.text_input(key="teacher_attempt").set_value(attempt)
    return press(at, "Sign in")


def test_without_a_configured_passcode_the_server_prints_its_own_in_the_terminal(bundled, monkeypatch, tmp_path,
                                                                                  capfd):
    """Whoever started the server reads the passcode in its terminal (as Jupyter's token); a visitor who
    cannot see the terminal cannot sign in, from this machine or through a proxy alike."""
    import re

    from mirror.ui.teacher import server_passcode

    server_passcode.clear()  # as if the server had just started
    at = teacher_page(monkeypatch, tmp_path, passcode=None)
    printed = re.findall(r"teacher passcode of this server is\s+([a-z0-9-]+)", capfd.readouterr().err)
    assert len(printed) == 1 and re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", printed[0])
    notes = " ".join(i.value for i in at.info)
    assert "printed in the terminal" in notes and "MIRROR_TEACHER_PASSCODE" in notes
    sign_in(at, "not-the-passcode")
    assert any("not the teacher passcode" in e.value for e in at.error) and "mirror_teacher" not in at.session_state
    sign_in(at, printed[0])
    assert at.session_state["mirror_teacher"] and not at.error
    again = teacher_page(monkeypatch, tmp_path, passcode=None)  # another page run prints nothing more
    assert "teacher passcode" not in capfd.readouterr().err and not again.exception


def test_a_wrong_passcode_is_refused_and_shows_nothing(bundled, monkeypatch, tmp_path):
    from mirror.services.store import Store

    at = teacher_page(monkeypatch, tmp_path)
    Store().save_item(owner="p-AAAAAAAAAAAAAAAA", title="A student's poem", text="mine")
    sign_in(at, "owl-lantern-41")
    assert any("not the teacher passcode" in e.value for e in at.error)
    assert not at.dataframe
    assert "mirror_teacher" not in at.session_state


def test_the_teacher_sees_everyones_work_and_can_clear_it(bundled, monkeypatch, tmp_path):
    from mirror.services.store import Store

    at = teacher_page(monkeypatch, tmp_path)
    store = Store()
    store.save_item(owner="p-AAAAAAAAAAAAAAAA", title="Alice's poem", text="one")
    store.save_item(owner="p-BBBBBBBBBBBBBBBB", title="Bob's poem", text="two")
    store.add_feedback(owner="p-BBBBBBBBBBBBBBBB", session_id="s", model="m", prompt="p", reply="r", score=1)
    sign_in(at, PASSCODE)
    assert not at.error
    saved = at.dataframe[0].value
    assert sorted(saved["title"]) == ["Alice's poem", "Bob's poem"]
    assert sorted(saved["who"]) == ["p-AAAAAAAAAAAAAAAA", "p-BBBBBBBBBBBBBBBB"]  # not in a class: no name
    assert list(at.dataframe[1].value["who"]) == ["p-BBBBBBBBBBBBBBBB"]

    next(b for b in at.button if b.label == "Delete them").click().run()  # not confirmed: nothing goes
    assert any("Tick the box first" in w.value for w in at.warning) and len(Store().everyones_items()) == 2
    at.checkbox(key="teacher_confirm_clear").check().run()
    next(b for b in at.button if b.label == "Delete them").click().run()
    assert Store().everyones_items() == [] and Store().everyones_feedback() == []


def test_the_teacher_picks_a_class_and_sees_its_work_by_name_and_clears_that_class_only(bundled, monkeypatch,
                                                                                        tmp_path):
    from mirror.services import classroom
    from mirror.services.store import Store

    at = teacher_page(monkeypatch, tmp_path)
    store = Store()
    code = classroom.open_class(store, "p-TTTTTTTTTTTTTTTT")
    classroom.join_class(store, code, "p-AAAAAAAAAAAAAAAA", "Ada")
    store.save_item(owner="p-AAAAAAAAAAAAAAAA", title="Ada's poem", text="one",
                    class_code=classroom.class_of(store, "p-AAAAAAAAAAAAAAAA"))
    store.save_item(owner="p-BBBBBBBBBBBBBBBB", title="Outside any class", text="two")
    sign_in(at, PASSCODE)
    at.selectbox(key="teacher_class").set_value(code).run()
    saved = at.dataframe[0].value
    assert list(saved["who"]) == ["Ada"] and list(saved["class"]) == [code]
    at.checkbox(key="teacher_confirm_clear").check().run()
    next(b for b in at.button if b.label == "Delete them").click().run()
    assert [i.title for i in Store().everyones_items()] == ["Outside any class"]


def test_a_logged_in_teacher_listed_in_mirror_teachers_needs_no_passcode(bundled, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import HOME, TIMEOUT

    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    monkeypatch.setenv("MIRROR_TEACHERS", "someone@else.org, Teacher@School.org")
    for email, teacher in (("teacher@school.org", True), ("student@school.org", False)):
        at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
        at.user = {"is_logged_in": True, "email": email, "name": "Someone"}
        at.run()
        at.switch_page(TEACHER).run()
        assert not at.exception, at.exception
        assert any("Saved work" in t.label for t in at.tabs) == teacher
        assert "me" not in at.query_params  # a logged-in user needs no identity token in the URL
