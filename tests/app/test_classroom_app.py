"""The Class and Projector pages through AppTest: joining, one round of "Guess the next word", the reveal."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest_kit import open_app_page as page
from tests.app.apptest_kit import press
from tests.app.conftest import HOME, TIMEOUT

PASSCODE = "owl-lantern-42"


def setup_env(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    monkeypatch.setenv("MIRROR_TEACHER_PASSCODE", PASSCODE)


def join(at: AppTest, code: str, name: str) -> AppTest:
    at.text_input[0].set_value(code)
    at.text_input[1].set_value(name)
    return press(at, "Join")


def open_a_class() -> tuple[AppTest, str]:
    """The teacher signs in, opens the Projector and a class; (the teacher's page, the class code)."""
    from mirror.services import classroom
    from mirror.services.store import Store

    teacher = page("app_pages/4_Teacher.py")
    teacher.text_input(key="teacher_attempt").set_value(PASSCODE)
    press(teacher, "Sign in")
    teacher.switch_page("app_pages/6_Projector.py").run()
    press(teacher, "Open a class")
    return teacher, classroom.my_open_class(Store(), teacher.session_state["mirror_person"])


def test_a_wrong_code_and_a_student_on_the_projector_get_clear_messages(bundled, monkeypatch, tmp_path):
    setup_env(monkeypatch, tmp_path)
    student = join(page("app_pages/5_Class.py"), "ZZZZ", "Ada")
    assert any("No class has the code ZZZZ" in e.value for e in student.error)
    projector = page("app_pages/6_Projector.py")
    assert any("for the teacher" in w.value for w in projector.warning)


def test_one_round_from_joining_to_the_reveal(bundled, monkeypatch, tmp_path):
    from mirror.services import classroom
    from mirror.services.store import Store

    setup_env(monkeypatch, tmp_path)
    teacher, code = open_a_class()
    assert code and any(code in m.value for m in teacher.markdown)

    ada = join(page("app_pages/5_Class.py"), code.lower(), "Ada")
    assert any("Waiting for your teacher" in i.value for i in ada.info)

    teacher.selectbox[0].set_value("The capital of France is")
    press(teacher, "▶️ Start a round")
    ada.run()
    assert any("The capital of France is" in m.value for m in ada.markdown)
    ada.text_input(key="class_guess").set_value("Paris")
    press(ada, "Send my guess")
    assert any("Your guess: **Paris**" in s.value for s in ada.success)

    teacher.run()
    assert teacher.metric[0].value == "1 of 1"
    press(teacher, "🎉 Reveal")
    assert any("The mirror's top choice" in s.value for s in teacher.success)
    assert any("Class score" in m.value for m in teacher.markdown)

    ada.run()
    assert any("most likely next word" in s.value for s in ada.success)
    bo = join(page("app_pages/5_Class.py"), code, "Bo")  # joins after the reveal: no guess box, and a late
    assert "class_guess" not in [t.key for t in bo.text_input]  # guess is refused by the server
    with pytest.raises(classroom.ClassError, match="Too late"):
        classroom.cast_vote(Store(), code, bo.session_state["mirror_person"], "Paris")

    press(teacher, "➡️ Continue: the mirror writes its next token")
    assert any("A new round has started" in i.value for i in teacher.info)
    assert Store().classes.latest_round(code).prompt.startswith("The capital of France is")


def test_the_projector_shows_the_address_and_a_qr_code_whose_link_fills_in_the_code(bundled, monkeypatch, tmp_path):
    """The join link the QR code carries lands on the Class page with the code filled in: the student types
    only a name."""
    import io

    from PIL import Image

    setup_env(monkeypatch, tmp_path)
    monkeypatch.setenv("MIRROR_PUBLIC_URL", "https://mirror.school.example/")
    teacher, code = open_a_class()
    link = f"https://mirror.school.example/Class?join={code}"
    assert any("Open **https://mirror.school.example**" in m.value for m in teacher.markdown)
    [qr] = teacher.get("image")
    assert qr.proto.imgs[0].caption == link and qr.proto.imgs[0].url.endswith(".png")
    assert qr.proto.imgs[0].alt == f"QR code of the join link {link}"  # screen readers name it (axe: image-alt)
    zxingcpp = pytest.importorskip("zxingcpp")
    from mirror.services.join import qr_png

    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(link))))
    assert decoded.text == link

    scanned = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    scanned.query_params["join"] = code
    scanned.run()
    scanned.switch_page("app_pages/5_Class.py").run()
    assert scanned.text_input[0].value == code  # filled in from the link
    scanned.text_input[1].set_value("Ada")
    press(scanned, "Join")
    assert any("Waiting for your teacher" in i.value for i in scanned.info)
    assert "join" not in scanned.query_params  # joined: a reload does not join again
