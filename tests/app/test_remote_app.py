"""The pages with MIRROR_BACKEND_URL pointing at a (fake) OpenAI-compatible server."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.fakes.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "Home.py")
TIMEOUT = 60


def app_for(server, monkeypatch, tmp_path, page="app_pages/1_Chat.py"):
    monkeypatch.setenv("MIRROR_BACKEND_URL", server.url)
    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'm.sqlite3'}")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_chat_streams_from_the_server_and_disables_what_it_lacks(monkeypatch, tmp_path):
    with FakeOpenAI(["Hello", " from", " the", " server"], owned_by="openai") as server:
        at = app_for(server, monkeypatch, tmp_path)
        assert at.slider(key="ctl_top_k").disabled and at.slider(key="ctl_repetition_penalty").disabled
        assert "Not supported by the inference server" in at.slider(key="ctl_top_k").help
        assert not at.slider(key="ctl_temperature").disabled
        at.chat_input(key="chat_box").set_value("Hi").run()
        assert not at.exception, at.exception
        assert at.chat_message[1].markdown[0].value == "Hello from the server"
        body = server.requests[-1]
        assert "top_k" not in body and body["messages"][-1] == {"role": "user", "content": "Hi"}
        steps = at.session_state["mirror_conversation"].turns[1].reply.steps
        assert steps[0]["raw_prob"] == pytest.approx(0.6) and steps[0]["prob"] is None


def test_a_server_that_dies_mid_reply_keeps_the_conversation(monkeypatch, tmp_path):
    with FakeOpenAI(["one", " two", " three", " four"], mode="die_midway") as server:
        at = app_for(server, monkeypatch, tmp_path)
        at.chat_input(key="chat_box").set_value("Count").run()
        assert not at.exception, at.exception
        assert at.chat_message[1].markdown[0].value == "one two"
        assert any("broke in the middle" in e.value for e in at.error)
        assert "server error" in at.chat_message[1].caption[0].value


def test_unreachable_server_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("MIRROR_BACKEND_URL", "http://127.0.0.1:9/v1")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert "Cannot reach the inference server" in at.error[0].value


def test_inspector_shows_a_remote_reply_and_explains_the_rest(monkeypatch, tmp_path):
    with FakeOpenAI(["<b>hi</b>", " there"]) as server:
        at = app_for(server, monkeypatch, tmp_path)
        at.chat_input(key="chat_box").set_value("Hi").run()
        turn = at.session_state["mirror_conversation"].turns[1]
        at.button(key=f"inspect_{turn.id}").click().run()
        assert not at.exception, at.exception
        assert any("inference server" in i.value for i in at.info)
        coloured = next(h.proto.body for h in at.get("html") if "mm-text" in h.proto.body)
        assert "&lt;b&gt;hi&lt;/b&gt;" in coloured and "<b>" not in coloured
