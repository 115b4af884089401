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


def test_a_model_that_cannot_be_loaded_is_explained_in_russian(bundled, monkeypatch, tmp_path):
    """A model fails to load on the model's own thread, where the visitor's language is not known: the
    message is written when the page shows it, in Russian, and nothing of the page is lost."""
    monkeypatch.setenv("MIRROR_ALLOW_ANY_MODEL", "1")
    at = open_in_russian(PAGE)
    shown = {"not an id!": "'not an id!' — не папка на диске и не идентификатор модели Hugging Face",
             str(tmp_path): "нет config.json, значит, это не папка модели transformers",
             "./no/such/folder": "Папки модели './no/such/folder' нет (такого пути не существует)."}
    for name, expected in shown.items():
        at.text_input(key="ctl_model").set_value(name).run()
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and errors[0].startswith("Не удалось загрузить модель.") and expected in errors[0], errors
        assert any(b.label == t("common.loader.use_bundled", language="ru", name="SmolLM2-135M-Instruct")
                   for b in at.button)
        assert_russian(at, allowed=[name, str(tmp_path)], where=f"the model {name!r} refused")

    # Refused on the model's own thread by transformers (offline, not in the cache): our words are Russian,
    # the library's own reason after them is quoted as it came.
    at.text_input(key="ctl_model").set_value("owner/nothing-here").run()
    [error] = [e.value for e in at.error]
    ours = ("Не удалось загрузить модель 'owner/nothing-here': искали 'owner/nothing-here' в локальном кэше "
            "Hugging Face и на Hub (включён автономный режим: HF_HUB_OFFLINE). ")
    assert ours in error, error
    library_reason = error.split(ours, 1)[1]
    assert library_reason
    assert_russian(at, allowed=["owner/nothing-here", library_reason], where="a Hub id refused offline")
