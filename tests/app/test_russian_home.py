"""The home page in Russian: the welcome, the model card (what was chosen on this CPU included) and one
question to the mirror, with no English on the page but what the visitor and the model wrote."""

from __future__ import annotations

import re

from mirror.i18n import t
from mirror.text import escape_markdown
from mirror.ui import state
from tests.app.language_kit import assert_russian, open_in_russian

PAGE = "app_pages/0_Home.py"
QUESTION = "Что такое зеркало?"


def test_the_home_page_and_its_model_card_speak_russian(bundled):
    at = open_in_russian(PAGE)
    assert any(m.value == t("home.intro", language="ru") for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Параметры"] == "135 млн"
    assert metrics["Контекст"] == "8\u00a0192 токена"
    assert re.fullmatch(r"\d+,\d с", metrics["Время загрузки"])
    assert metrics["Устройство"] == "cpu" and metrics["Точность"] == "float32"
    captions = " ".join(c.value for c in at.caption).replace("\\", "")  # shown as Markdown, escaped
    assert "Источник: входит в комплект приложения, работает без интернета" in captions
    assert "Среда torch, выбрано на этом компьютере по замерам времени: линейные слои: автовыбор" in captions
    assert re.search(r"1 строка: \d+,\d против \d+,\d мс", captions)
    assert at.chat_input[0].placeholder == "Спросите зеркало о чём угодно…"
    assert_russian(at, where="the home page")


def test_asking_the_mirror_in_russian(bundled):
    at = open_in_russian(PAGE)
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    messages = at.chat_message
    assert [m.name for m in messages] == ["user", "assistant"]
    answer = messages[1].markdown[0].value
    assert answer.strip()
    _, reply, _ = at.session_state[state.HOME_ANSWER]
    assert_russian(at, allowed=[escape_markdown(QUESTION), QUESTION, answer, escape_markdown(reply), reply],
                   where="the home page after a question")
    caption = messages[1].caption[0].value
    assert re.match(r"\d+ токен\w* · \d+,\d токенов/с", caption), caption
    at.run()  # the answer stays, still in Russian
    assert at.chat_message[1].markdown[0].value == answer and at.chat_message[1].caption[0].value == caption
    assert_russian(at, allowed=[escape_markdown(QUESTION), QUESTION, answer, reply], where="the home page rerun")
    at.button_group(key="language_switch").set_value("en").run()  # the line under the answer follows the language
    assert at.chat_message[1].markdown[0].value == answer
    assert re.match(r"\d+ tokens? · \d+\.\d tokens/s", at.chat_message[1].caption[0].value)
