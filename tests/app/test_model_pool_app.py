"""The pages get their models from the one model pool: two visitors on two offered models never evict each
other, a visitor cannot load a model that was not offered, the teacher can add one, and a Russian visitor's
default model is the one that writes Russian."""

from __future__ import annotations

import importlib.util

import pytest
from streamlit.testing.v1 import AppTest

from mirror.config import BUNDLED_MODEL, GEMMA_MODEL, GEMMA_PACKAGE
from mirror.models.pool import shared_pool
from mirror.ui import state
from tests.app.apptest_kit import classroom_env, press
from tests.app.conftest import HOME, TIMEOUT


def visitor(model: str | None = None, locale: str = "en-US") -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.context["locale"] = locale
    at.run()
    assert not at.exception, at.exception
    if model is not None:
        at.selectbox(key="ctl_model").set_value(model).run()
        assert not at.exception, at.exception
    return at


def model_of(at: AppTest):
    return at.session_state[state.FRAME][0]


def ask(at: AppTest, question: str) -> str:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at.chat_message[1].markdown[0].value


def test_two_visitors_on_two_offered_models_taking_turns_load_each_once(bundled, tiny_llama, tiny_llama_dir,
                                                                       monkeypatch):
    monkeypatch.delenv("MIRROR_ALLOW_ANY_MODEL", raising=False)
    monkeypatch.setenv("MIRROR_MODELS", f"{BUNDLED_MODEL},{tiny_llama_dir}")
    pool = shared_pool()
    first = visitor()
    other = visitor(str(tiny_llama_dir))
    mine, theirs = model_of(first), model_of(other)
    assert mine is bundled and theirs.info.location == str(tiny_llama_dir) and theirs is not tiny_llama
    loads = pool.loads
    for turn in range(2):  # each asks in turn: nobody's ask unloads the other's model
        ask(first, f"Hello {turn}")
        ask(other, f"Hi {turn}")
        assert model_of(first) is mine and model_of(other) is theirs
    assert pool.loads == loads
    assert {m.name for m in pool.loaded()} >= {BUNDLED_MODEL, tiny_llama_dir.name}
    pool.unload(str(tiny_llama_dir))


def test_a_visitor_cannot_load_a_model_that_was_not_offered(bundled, tiny_llama_dir, monkeypatch):
    """Only the operator's list is shown; a forged choice in the session gets the first offered model, and
    the pool itself refuses a visitor's ask for another with the list of what is offered."""
    monkeypatch.delenv("MIRROR_ALLOW_ANY_MODEL", raising=False)
    monkeypatch.setenv("MIRROR_MODELS", BUNDLED_MODEL)
    at = visitor()
    assert at.selectbox(key="ctl_model").options == [BUNDLED_MODEL] and not at.text_input
    at.session_state[state.CONTROLS]["model"] = str(tiny_llama_dir)
    at.session_state[state.MODEL_CHOSEN] = True
    at.run()
    assert not at.exception and model_of(at) is bundled
    assert tiny_llama_dir.name not in {m.name for m in shared_pool().loaded()}


def test_the_teacher_may_add_a_model_that_the_class_can_then_choose(bundled, tiny_gpt2_dir, monkeypatch, tmp_path):
    monkeypatch.delenv("MIRROR_ALLOW_ANY_MODEL", raising=False)
    monkeypatch.setenv("MIRROR_MODELS", BUNDLED_MODEL)
    classroom_env(monkeypatch, tmp_path, "owl-lantern-42")
    try:
        _teacher_adds(tiny_gpt2_dir)
    finally:
        shared_pool().withdraw(str(tiny_gpt2_dir))
        shared_pool().unload(str(tiny_gpt2_dir))


def _teacher_adds(tiny_gpt2_dir) -> None:
    teacher = visitor()
    teacher.switch_page("app_pages/4_Teacher.py").run()
    teacher.text_input(key="teacher_attempt").set_value("owl-lantern-42")
    press(teacher, "Sign in")
    assert not teacher.error and not teacher.exception
    teacher.text_input(key="ctl_model").set_value(str(tiny_gpt2_dir)).run()  # a signed-in teacher may type any model
    assert not teacher.exception and not teacher.error
    assert model_of(teacher).info.location == str(tiny_gpt2_dir)
    student = visitor()
    assert str(tiny_gpt2_dir) in student.selectbox(key="ctl_model").options  # offered to the class from now on


@pytest.mark.skipif(importlib.util.find_spec(GEMMA_PACKAGE) is None, reason="Gemma-3-270M is not installed (make run-ru)")
def test_a_russian_visitor_gets_the_model_that_writes_russian_until_they_pick_another(bundled, monkeypatch):
    monkeypatch.delenv("MIRROR_ALLOW_ANY_MODEL", raising=False)
    monkeypatch.delenv("MIRROR_MODELS", raising=False)  # the default offer: the bundled model and the installed Gemma
    english = visitor()
    assert english.selectbox(key="ctl_model").value == BUNDLED_MODEL and model_of(english) is bundled
    russian = visitor(locale="ru-RU")
    assert russian.selectbox(key="ctl_model").value == GEMMA_MODEL
    assert model_of(russian).info.name == GEMMA_MODEL
    russian.selectbox(key="ctl_model").set_value(BUNDLED_MODEL).run()  # picked: it stays, whatever the language
    russian.session_state[state.LANGUAGE] = "ru"
    russian.run()
    assert russian.selectbox(key="ctl_model").value == BUNDLED_MODEL and model_of(russian) is bundled
    english.session_state[state.LANGUAGE] = "ru"  # an English visitor switches to Russian: Gemma follows
    english.run()
    assert english.selectbox(key="ctl_model").value == GEMMA_MODEL
