"""The classroom in Russian: the teacher signs in, opens a class on the Projector, a student joins and guesses,
the reveal, the next token, then the Teacher page's tabs (saved work, feedback, clearing) — all of it Russian."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from mirror.i18n import t, using_language
from mirror.text import escape_markdown, visible_whitespace
from tests.app.apptest_kit import classroom_env, press
from tests.app.language_kit import assert_russian, open_in_russian

TEACHER = "app_pages/4_Teacher.py"
CLASS = "app_pages/5_Class.py"
PROJECTOR = "app_pages/6_Projector.py"
PASSCODE = "owl-lantern-42"
STUDENT = "Аня"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def ru(key: str, **fields: object) -> str:
    return t(key, language="ru", **fields)


def setup_env(monkeypatch, tmp_path, passcode: str | None = PASSCODE) -> None:
    classroom_env(monkeypatch, tmp_path, passcode)


def shown(elements) -> list[str]:
    return [e.value for e in elements]


def has(elements, text: str) -> bool:
    return any(text in value for value in shown(elements))


def model_words(code: str) -> list[str]:
    """What the model wrote in this class's last round: its words on the chart, and the text it continued."""
    from mirror.services.classroom import RoundResult
    from mirror.services.store import Store

    rounds = Store().classes
    current = rounds.latest_round(code)
    words = []
    if current.result is not None:
        result = RoundResult.from_json(current.result)
        words += [result.top_word, *(r.word for r in result.words)]
    return sorted(set(words), key=len, reverse=True)  # longest first: a word inside another goes after it


def test_a_class_in_russian_from_signing_in_to_clearing_the_work(bundled, monkeypatch, tmp_path):
    from mirror.services import classroom
    from mirror.services.store import Store

    setup_env(monkeypatch, tmp_path)
    teacher = open_in_russian(TEACHER)
    assert teacher.text_input(key="teacher_attempt").label == ru("classroom.teacher.passcode")
    assert_russian(teacher, where="the teacher's sign-in")

    teacher.text_input(key="teacher_attempt").set_value("owl-lantern-41")
    press(teacher, ru("classroom.teacher.sign_in"))
    assert has(teacher.error, ru("classroom.passcode.wrong"))
    assert_russian(teacher, where="a wrong passcode")
    teacher.text_input(key="teacher_attempt").set_value(PASSCODE)
    press(teacher, ru("classroom.teacher.sign_in"))
    assert not teacher.error
    assert_russian(teacher, where="the Teacher page, signed in, nothing saved")

    # The projector: a class, its code, the example prompts in Russian.
    teacher.switch_page(PROJECTOR).run()
    assert not teacher.exception, teacher.exception
    assert has(teacher.caption, ru("classroom.projector.open_hint"))
    assert_russian(teacher, where="the Projector before a class")
    press(teacher, ru("classroom.projector.open"))
    code = classroom.my_open_class(Store(), teacher.session_state["mirror_person"])
    assert code and has(teacher.markdown, ru("classroom.projector.code_heading", code=code))
    assert has(teacher.info, "В классе 0 учеников")
    examples = next(s for s in teacher.selectbox if s.label == ru("classroom.projector.example"))
    assert examples.options[0] == ru("classroom.projector.own_prompt")
    assert ru("classroom.example.capital") in examples.options
    assert_russian(teacher, where="the Projector with an open class")

    # A student: the projector is not for them; the Class page's form, a wrong code, then the class.
    student = open_in_russian(PROJECTOR)
    assert has(student.warning, ru("classroom.projector.teachers_only"))
    assert_russian(student, where="the Projector for a student")
    student.switch_page(CLASS).run()
    assert [box.label for box in student.text_input] == [ru("classroom.class.code"), ru("classroom.class.name")]
    assert_russian(student, where="the Class page's join form")
    student.text_input[0].set_value("ZZZZ")
    student.text_input[1].set_value(STUDENT)
    press(student, ru("classroom.class.join"))
    assert has(student.error, ru("classroom.error.unknown_code", code="ZZZZ"))
    assert_russian(student, allowed=[STUDENT], where="a wrong class code")
    student.text_input[0].set_value(code.lower())
    student.text_input[1].set_value("   ")
    press(student, ru("classroom.class.join"))
    assert has(student.error, ru("classroom.error.no_name"))
    student.text_input[1].set_value(STUDENT)
    press(student, ru("classroom.class.join"))
    assert has(student.info, ru("classroom.class.waiting"))
    assert has(student.caption, f"Класс **{code}**")
    assert_russian(student, allowed=[STUDENT], where="the Class page, waiting for a round")

    # A round on a Russian example prompt; the student guesses.
    teacher.run()
    assert has(teacher.info, "В классе 1 ученик.")
    examples = next(s for s in teacher.selectbox if s.label == ru("classroom.projector.example"))
    examples.set_value("The capital of France is")  # the option's value; its label is Russian
    press(teacher, ru("classroom.projector.start"))
    prompt = ru("classroom.example.capital")
    assert Store().classes.latest_round(code).prompt == prompt
    assert teacher.metric[0].label == ru("classroom.projector.guesses") and teacher.metric[0].value == "0 из 1"
    assert_russian(teacher, where="the Projector during a round")

    student.run()
    assert has(student.markdown, prompt)
    assert student.text_input(key="class_guess").label == ru("classroom.class.guess")
    assert_russian(student, where="the Class page during a round")
    student.text_input(key="class_guess").set_value("Париж")
    press(student, ru("classroom.class.send"))
    assert has(student.success, ru("classroom.class.your_guess", guess="Париж"))
    assert_russian(student, where="the Class page after a guess")

    # The reveal on the projector, then on the student's page.
    teacher.run()
    assert teacher.metric[0].value == "1 из 1"
    press(teacher, ru("classroom.projector.reveal"))
    words = model_words(code)
    assert has(teacher.success, "Главный выбор зеркала") and has(teacher.markdown, "Оценка класса")
    assert_russian(teacher, allowed=words, where="the Projector's reveal")
    student.run()
    assert has(student.success, "Самое вероятное следующее слово")
    assert has(student.markdown, "Вы назвали **Париж**")
    assert_russian(student, allowed=words, where="the Class page after the reveal")

    # The mirror writes its next token: a new round on the longer prompt.
    press(teacher, ru("classroom.projector.continue"))
    piece = Store().classes.latest_round(code).prompt[len(prompt):]
    # What the model wrote is shown as text (escaped for Markdown), whole characters only.
    assert "\ufffd" not in piece
    assert any(ru("classroom.projector.wrote", piece=escape_markdown(visible_whitespace(piece))) in i
               or ru("classroom.projector.ended") in i
               for i in shown(teacher.info))
    assert_russian(teacher, allowed=[piece, *words], where="the Projector after the next token")

    # The Teacher page: everybody's work, by class, in Russian tabs and columns.
    person = student.session_state["mirror_person"]
    Store().save_item(owner=person, title="Стихи Ани", text="Зеркало, зеркало…", class_code=code)
    Store().add_feedback(owner=person, session_id="s", model="m", prompt="Привет", reply="Здравствуй", score=1,
                         class_code=code)
    teacher.switch_page(TEACHER).run()
    assert not teacher.exception, teacher.exception
    assert [tab.label for tab in teacher.tabs] == [ru("classroom.teacher.tab.saved", count="1"),
                                                   ru("classroom.teacher.tab.feedback", count="1"),
                                                   ru("classroom.teacher.tab.rounds"), ru("classroom.teacher.tab.clear")]
    saved, feedback = teacher.dataframe[0].value, teacher.dataframe[1].value
    assert list(saved.columns) == ["кто", "класс", "название", "сохранено", "текст", "модель"]
    assert list(saved["кто"]) == [STUDENT] and list(saved["класс"]) == [code]
    assert re.search(r"^\d{1,2} [а-я]+ \d{4} г\., \d\d:\d\d$", saved["сохранено"][0])  # a date in Russian
    assert list(feedback.columns) == ["кто", "класс", "оценка", "комментарий", "запрос", "ответ"]
    classes = teacher.selectbox(key="teacher_class")
    assert classes.label == ru("classroom.teacher.class")
    assert classes.options == [ru("classroom.teacher.option.all"), ru("classroom.teacher.option.class", code=code)]
    assert [b.label for b in teacher.get("download_button")] == [ru("classroom.teacher.saved_csv"),
                                                                 ru("classroom.teacher.feedback_csv")]
    assert_russian(teacher, where="the Teacher page's tabs")

    classes.set_value(code).run()
    # The class's rounds: the guessing round above, with the student's guess, under Russian columns.
    rounds = teacher.dataframe[2].value
    assert list(rounds.columns)[:4] == [ru("classroom.record.column.round"), ru("classroom.record.column.game"),
                                        ru("classroom.record.column.prompt"), ru("classroom.record.column.student")]
    assert STUDENT in list(rounds[ru("classroom.record.column.student")])
    assert ru("classroom.game.guess") in list(rounds[ru("classroom.record.column.game")])
    assert ru("classroom.record.csv") in [b.label for b in teacher.get("download_button")]
    assert_russian(teacher, allowed=[STUDENT], where="the Teacher page's rounds of a class")
    assert teacher.checkbox(key="teacher_confirm_clear").label == ru(
        "classroom.teacher.confirm", scope=ru("classroom.teacher.scope.class", code=code))
    press(teacher, ru("classroom.teacher.delete"))  # not confirmed: nothing goes
    assert has(teacher.warning, ru("classroom.teacher.tick_first")) and len(Store().everyones_items()) == 1
    assert_russian(teacher, where="clearing without the tick")
    teacher.checkbox(key="teacher_confirm_clear").check().run()
    press(teacher, ru("classroom.teacher.delete"))
    assert has(teacher.success, f"отзывы класса {code} удалены")
    assert Store().everyones_items() == [] and Store().everyones_feedback() == []
    assert_russian(teacher, where="the Teacher page after clearing")


def test_without_a_passcode_the_teacher_page_says_in_russian_where_the_servers_own_one_is(bundled, monkeypatch,
                                                                                         tmp_path):
    setup_env(monkeypatch, tmp_path, passcode=None)
    at = open_in_russian(TEACHER)
    assert has(at.info, "напечатан в терминале") and has(at.info, "MIRROR_TEACHER_PASSCODE")
    assert_russian(at, where="the Teacher page of a server with its own passcode")


def test_what_the_class_and_the_passcode_refuse_is_said_in_russian(tmp_path):
    from mirror.services import classroom, teacher
    from mirror.services.store import Store

    store = Store(f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    old = Store(f"sqlite:///{tmp_path / 'mirror.sqlite3'}", clock=lambda: "2020-01-01T00:00:00.000000+00:00")
    expired = classroom.open_class(old, "p-TTTTTTTTTTTTTTTT")
    code = classroom.open_class(store, "p-TTTTTTTTTTTTTTTT")
    member, stranger = "p-AAAAAAAAAAAAAAAA", "p-BBBBBBBBBBBBBBBB"
    refusals = [
        (lambda: classroom.join_class(store, "", member, "Аня"), "Введите код класса"),
        (lambda: classroom.join_class(store, expired, member, "Аня"), "коды действуют 12 часов"),
        (lambda: classroom.join_class(store, code, member, "я" * 41), "В имени 41 символ, а можно не больше 40"),
        (lambda: classroom.cast_vote(store, code, stranger, "слово"), "Сначала присоединитесь"),
        (lambda: classroom.start_round(store, code, "   "), "Сначала введите запрос"),
        (lambda: classroom.start_round(store, code, "я" * 2001), "2\u00a0001 символ, а можно не больше 2\u00a0000"),
        (lambda: classroom.cast_vote(store, code, member, ""), "Введите слово"),
        (lambda: classroom.cast_vote(store, code, member, "я" * 42), "В догадке 42 символа"),
    ]
    with using_language("ru"):
        classroom.join_class(store, code, member, "Аня")
        refusals.insert(0, (lambda: classroom.cast_vote(store, code, member, "слово"), "Раунда пока нет"))
        for refused, message in refusals:
            with pytest.raises(classroom.ClassError) as error:
                refused()
            assert message in str(error.value), str(error.value)
        classroom.start_round(store, code, "Столица Франции —")
        classroom.cast_vote(store, code, member, "Париж")
        with pytest.raises(classroom.ClassError, match="Вы уже отвечали"):
            classroom.cast_vote(store, code, member, "Москва")

        passcode = teacher.TeacherPasscode.of("right")
        messages = []
        for _ in range(teacher.PER_PERSON + 1):
            with pytest.raises(teacher.PasscodeRefused) as refusal:
                teacher.check_passcode(store, passcode, "wrong", "p-guesser")
            messages.append(str(refusal.value))
    assert messages[0] == "Это неверный пароль учителя."
    assert messages[2].endswith("До паузы осталось 2 попытки.") and messages[3].endswith("осталась 1 попытка.")
    assert messages[-1] == "Слишком много неверных паролей: подождите 10 минут и попробуйте снова."
    assert all(CYRILLIC.search(m) for m in messages)


def test_the_russian_notice_of_a_callback_does_not_depend_on_the_callbacks_language(bundled, monkeypatch,
                                                                                   tmp_path):
    """The clearing callback runs before the run's language is set: its notice is still Russian."""
    setup_env(monkeypatch, tmp_path)
    at: AppTest = open_in_russian(TEACHER)
    at.text_input(key="teacher_attempt").set_value(PASSCODE)
    press(at, ru("classroom.teacher.sign_in"))
    press(at, ru("classroom.teacher.delete"))
    assert shown(at.warning) == [ru("classroom.teacher.tick_first")]


def test_the_sampler_games_in_russian(bundled, monkeypatch, tmp_path):
    """"Be the sampler" and "The class is the sampler" on a Russian projector and a Russian student's page.
    The tokens the model offers are allowed to be English (the bundled model's words)."""
    from mirror.services.class_games import SamplerSetup
    from mirror.services.classroom import my_open_class
    from mirror.services.store import Store

    setup_env(monkeypatch, tmp_path)
    teacher = open_in_russian(TEACHER)
    teacher.text_input(key="teacher_attempt").set_value(PASSCODE)
    press(teacher, ru("classroom.teacher.sign_in"))
    teacher.switch_page(PROJECTOR).run()
    press(teacher, ru("classroom.projector.open"))
    code = my_open_class(Store(), teacher.session_state["mirror_person"])
    student = open_in_russian(CLASS)
    student.text_input[0].set_value(code)
    student.text_input[1].set_value(STUDENT)
    press(student, ru("classroom.class.join"))

    teacher.radio(key="projector_game").set_value("vote").run()
    assert teacher.radio(key="projector_game").options == [ru(f"classroom.game.{g}") for g in ("guess", "vote", "draw")]
    teacher.text_area(key="projector_prompt").set_value("Давным-давно жил-был")
    press(teacher, ru("classroom.projector.start"))
    setup = SamplerSetup.from_json(Store().classes.latest_round(code).setup)
    tokens = [visible_whitespace(c.text) for c in setup.candidates]
    assert_russian(teacher, allowed=tokens, where="the Projector, Be the sampler")
    student.run()
    assert has(student.markdown, ru("classroom.class.vote_prompt"))
    assert_russian(student, allowed=[STUDENT, *tokens], where="the Class page, Be the sampler")
    next(b for b in student.button if b.key and b.key.startswith("vote_")).click().run()
    press(teacher, ru("classroom.projector.reveal"))
    assert has(teacher.success, "Класс выбрал")
    student.run()
    assert has(student.success, "Класс выбрал")

    teacher.radio(key="projector_game").set_value("draw").run()
    press(teacher, ru("classroom.projector.start"))
    student.run()
    press(student, ru("classroom.class.draw"))
    assert has(student.success, "Вы вытянули")
    teacher.run()
    assert teacher.metric[0].label == ru("classroom.projector.draws") and teacher.metric[0].value == "1 из 1"
    assert teacher.metric[1].label == ru("classroom.projector.distance") and "," in teacher.metric[1].value
    drawn = SamplerSetup.from_json(Store().classes.latest_round(code).setup)
    words = [visible_whitespace(c.text) for c in drawn.candidates] + tokens
    assert_russian(teacher, allowed=words, where="the Projector, The class is the sampler")
    assert_russian(student, allowed=[STUDENT, *words], where="the Class page after a draw")
