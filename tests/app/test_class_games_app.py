"""The class games and each role's own view through AppTest: a student's and the projector's pages carry no
mirror sidebar, "Be the sampler" and "The class is the sampler" from the projector's start to every
student's screen, the round's settings on the projector, and the class's record on the Teacher page."""

import pytest

from mirror.services.class_games import SamplerSetup
from mirror.services.store import Store
from tests.app.apptest_kit import open_app_page as page
from tests.app.apptest_kit import press
from tests.app.test_classroom_app import join, open_a_class, setup_env

PROMPT = "Once upon a time there was a"


def start(teacher, game: str, prompt: str = PROMPT):
    """The teacher picks the game ("guess", "vote", "draw"), types the prompt and starts the round."""
    teacher.radio(key="projector_game").set_value(game).run()
    teacher.text_area(key="projector_prompt").set_value(prompt)
    return press(teacher, "▶️ Start a round")


def test_a_student_and_the_projector_see_no_mirror_sidebar(bundled, monkeypatch, tmp_path):
    setup_env(monkeypatch, tmp_path)
    teacher, code = open_a_class()
    student = join(page("app_pages/5_Class.py"), code, "Ada")
    for at in (student, teacher):
        assert len(at.sidebar) == 0, [e.type for e in at.sidebar]
        assert not [s for s in at.slider if s.key and s.key.startswith("ctl_") and s.key not in
                    ("ctl_temperature", "ctl_top_k", "ctl_top_p")]
    assert not student.slider and not student.selectbox  # no model, preset or sampler control for a student
    # The teacher reaches the round's settings on the projector: the mirror's own sliders.
    assert {s.key for s in teacher.slider} == {"ctl_temperature", "ctl_top_k", "ctl_top_p"}
    chat = teacher.switch_page("app_pages/1_Chat.py").run()
    assert len(chat.sidebar) > 0  # the other pages keep theirs


def test_be_the_sampler_from_the_projector_to_the_students(bundled, monkeypatch, tmp_path):
    setup_env(monkeypatch, tmp_path)
    teacher, code = open_a_class()
    teacher.slider(key="ctl_temperature").set_value(0.9).run()
    ada, bo = (join(page("app_pages/5_Class.py"), code, name) for name in ("Ada", "Bo"))
    start(teacher, "vote")
    assert not teacher.exception and not teacher.error
    current = Store().classes.latest_round(code)
    setup = SamplerSetup.from_json(current.setup)
    assert current.game == "vote" and setup.params["temperature"] == 0.9

    ada.run()
    choices = [b for b in ada.button if b.key and b.key.startswith(f"vote_{current.id}_")]
    assert len(choices) == len(setup.candidates) >= 2
    assert not any("%" in b.label for b in choices)  # probabilities stay hidden until the reveal
    choices[1].click().run()
    assert any("Your vote" in s.value for s in ada.success)
    bo.run()
    next(b for b in bo.button if b.key == choices[1].key).click().run()

    teacher.run()
    assert teacher.metric[0].label == "Votes" and teacher.metric[0].value == "2 of 2"
    press(teacher, "🎉 Reveal")
    assert any("The class chose" in s.value for s in teacher.success)
    assert any("the mirror goes on" in m.value for m in teacher.markdown)
    ada.run()
    assert any("The class chose" in s.value for s in ada.success)
    assert any("You voted" in m.value and "%" in m.value for m in ada.markdown)

    press(teacher, "➡️ Next round from the class's choice")
    following = Store().classes.latest_round(code)
    assert following.game == "vote" and following.prompt.startswith(PROMPT) and following.prompt != PROMPT


def test_the_class_is_the_sampler_draws_and_the_teacher_changes_the_temperature(bundled, monkeypatch, tmp_path):
    setup_env(monkeypatch, tmp_path)
    teacher, code = open_a_class()
    students = [join(page("app_pages/5_Class.py"), code, f"S{n}") for n in range(3)]
    start(teacher, "draw")
    first = Store().classes.latest_round(code)
    for student in students:
        student.run()
        press(student, "🎲 Draw my token")
        assert any("You drew" in s.value for s in student.success), student.error
        assert not any(b.label == "🎲 Draw my token" for b in student.button)  # one draw each
    teacher.run()
    assert teacher.metric[0].value == "3 of 3"
    assert teacher.metric[1].label == "Distance between the class and the sampler" and "%" in teacher.metric[1].value
    assert len(Store().classes.ballots(first.id)) == 3

    teacher.slider(key="ctl_temperature").set_value(0.3).run()
    press(teacher, "🔁 Same prompt, new settings")
    second = Store().classes.latest_round(code)
    assert second.id > first.id and second.prompt == first.prompt
    assert SamplerSetup.from_json(second.setup).params["temperature"] == 0.3
    students[0].run()
    assert any(b.label == "🎲 Draw my token" for b in students[0].button)


def test_the_teacher_exports_and_clears_the_class_record(bundled, monkeypatch, tmp_path):
    setup_env(monkeypatch, tmp_path)
    teacher, code = open_a_class()
    ada = join(page("app_pages/5_Class.py"), code, "Ada")
    start(teacher, "draw")
    ada.run()
    press(ada, "🎲 Draw my token")

    records = teacher.switch_page("app_pages/4_Teacher.py").run()
    records.selectbox(key="teacher_class").set_value(code).run()
    tabs = {tab.label: tab for tab in records.tabs}
    rounds = tabs["🎲 Rounds"]
    [download] = [d for d in rounds.get("download_button")]
    assert download.proto.label == "⬇️ The class's rounds as CSV"
    records.checkbox(key="teacher_confirm_rounds").check().run()
    press(records, "Delete the rounds")
    assert any("1 rounds deleted" in s.value for s in records.success)
    assert Store().classes.latest_round(code) is None and Store().classes.members(code)


@pytest.mark.parametrize("name, message", [("<script>x</script>", "cannot hold the characters"),
                                           ("ada", "called ada already")])
def test_a_bad_or_taken_name_gets_a_clear_message(bundled, monkeypatch, tmp_path, name, message):
    setup_env(monkeypatch, tmp_path)
    _, code = open_a_class()
    join(page("app_pages/5_Class.py"), code, "Ada")
    other = join(page("app_pages/5_Class.py"), code, name)
    assert any(message in e.value for e in other.error)
    assert [n for _, n in Store().classes.members(code)] == ["Ada"]


def test_a_scanned_link_with_a_wrong_code_says_so_before_the_name(bundled, monkeypatch, tmp_path):
    setup_env(monkeypatch, tmp_path)
    scanned = page("app_pages/5_Class.py", query={"join": "QQQQ"})
    assert any("No class has the code QQQQ" in e.value for e in scanned.error)
