"""The Chat page in Russian: every view (Conversation, Compose, Saved), one reply with its caption, feedback,
a saved text, the notices the callbacks leave, the Markdown export, and a remote server's texts, with no
English on the page but what the visitor and the model wrote."""

from __future__ import annotations

import json
import re

import pytest

from mirror.i18n import t, tn, using_language
from mirror.services.conversation import DEFAULT_SYSTEM_PROMPT
from mirror.text import escape_markdown
from mirror.ui import state
from tests.app.language_kit import assert_russian, open_in_russian

CHAT = "app_pages/1_Chat.py"
MESSAGE = "Привет, зеркало! Кто ты?"


def ru(key: str, **fields) -> str:
    return t(key, language="ru", **fields)


@pytest.fixture
def chat(bundled, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    return open_in_russian(CHAT)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def written(*texts: str) -> list[str]:
    """What the visitor or the model wrote, as the page shows it (raw and escaped for Markdown)."""
    return [form for text in texts if text for form in (text, escape_markdown(text))]


def test_the_conversation_view_speaks_russian(chat):
    options = chat.segmented_control(key=state.CHAT_VIEW).proto.options
    assert [o.content for o in options] == ["Разговор", "Сочинение", "Сохранённое"]  # the emoji become icons
    assert chat.chat_input(key=state.CHAT_BOX).placeholder == "Поговорите с зеркалом…"
    assert chat.main.caption[0].value == ru("chat.empty_chat")
    # The untouched instructions are the Russian ones, and the model gets them.
    assert chat.text_area(key="persona_box").value == ru("chat.system_prompt")
    assert_russian(chat, where="the empty conversation")

    chat.chat_input(key=state.CHAT_BOX).set_value("   ").run()  # a callback's notice, in Russian too
    assert [i.value for i in chat.info] == [ru("chat.message.empty")]
    chat.chat_input(key=state.CHAT_BOX).set_value("зеркало " * 1100).run()
    assert any("В вашем сообщении 8\u00a0800 символов, а можно не больше 8\u00a0000" in e.value for e in chat.error)
    assert_russian(chat, allowed=["зеркало " * 1100], where="a message over the limit")


def test_a_reply_its_caption_and_feedback_in_russian(chat):
    chat.chat_input(key=state.CHAT_BOX).set_value(MESSAGE).run()
    assert not chat.exception, chat.exception
    conv = chat.session_state[state.CONVERSATION]
    assert conv.messages()[0].content == ru("chat.system_prompt")
    reply = conv.turns[1]
    assert reply.content.strip() and reply.reply.finish_reason in {"length", "eos", "stop_string"}
    caption = chat.chat_message[1].caption[0].value
    # "8 токенов · 31,4 токенов/с · первый токен через 0,09 с · зерно 123 · достиг предела токенов"
    assert re.match(r"\d+ токен(а|ов)? · \d+,\d токенов/с · первый токен через \d+,\d\d с · зерно \d+ · ", caption), caption
    # The reply is sampled with a fresh seed, so it may end in part of a Cyrillic letter: the caption then
    # names the dropped bytes after the finish reason.
    ending = ru(f"chat.finish.{reply.reply.finish_reason}")
    if reply.reply.dropped_bytes:
        ending += " · " + tn("chat.summary.dropped_bytes", reply.reply.dropped_bytes, language="ru")
    assert caption.endswith(ending), caption
    assert any(e.label == ru("chat.details") for e in chat.expander)
    assert {b.label for b in chat.button} >= {ru("chat.regenerate"), ru("chat.edit_last"), ru("chat.clear"),
                                             ru("chat.inspect"), ru("chat.look_inside"), ru("chat.send_feedback")}
    allowed = written(MESSAGE, reply.content)
    assert_russian(chat, allowed=allowed, where="the conversation with a reply")

    keys = state.FeedbackKeys.of(reply.id)
    chat.button(key=keys.send).click().run()  # no thumb yet: the callback's warning is Russian
    assert [w.value for w in chat.warning] == [ru("chat.feedback.pick")]
    chat.feedback(key=keys.score).set_value(1)
    chat.text_input(key=keys.comment).set_value("хорошо")
    chat.button(key=keys.send).click().run()
    assert [s.value for s in chat.success] == [ru("chat.feedback.saved")]
    assert_russian(chat, allowed=allowed, where="the conversation after feedback")

    next(b for b in chat.button if b.label == ru("chat.edit_last")).click().run()
    assert chat.text_area(key=state.EDIT_BOX).label == ru("chat.edit.box")
    assert_russian(chat, allowed=allowed, where="editing the last message")


def test_compose_and_saved_in_russian(chat):
    chat.segmented_control(key=state.CHAT_VIEW).set_value("📚 Saved").run()
    assert [c.value for c in chat.main.caption] == [ru("chat.saved.none")]
    assert_russian(chat, where="the empty Saved view")

    chat.segmented_control(key=state.CHAT_VIEW).set_value("✍️ Compose").run()
    prompt = chat.text_area(key="compose_prompt")
    assert prompt.value == ru("chat.compose.example") and prompt.label == ru("chat.compose.prompt")
    assert_russian(chat, where="the Compose view")
    button(chat, ru("chat.compose.write")).click().run()
    assert not chat.exception, chat.exception
    draft = chat.text_area(key=state.DRAFT_TEXT).value
    seed = chat.session_state[state.DRAFT]["seed"]
    assert draft.strip()
    assert any(c.value == ru("chat.compose.written_by", model="SmolLM2-135M-Instruct", seed=seed)
               for c in chat.caption)
    assert_russian(chat, allowed=written(draft), where="the draft")
    chat.text_input(key=state.DRAFT_TITLE).set_value("Зеркало в полночь")
    button(chat, ru("chat.compose.save")).click().run()
    assert [s.value for s in chat.success] == [ru("chat.compose.saved", title="Зеркало в полночь")]
    assert_russian(chat, allowed=written(draft), where="the saved draft")

    chat.segmented_control(key=state.CHAT_VIEW).set_value("📚 Saved").run()
    assert not chat.exception, chat.exception
    [item] = chat.expander
    assert re.fullmatch(r"Зеркало в полночь · \d{1,2} [а-я]+ \d{4} г\., \d\d:\d\d UTC", item.label), item.label
    assert chat.download_button[0].label == ru("chat.saved.csv")
    assert_russian(chat, allowed=written(draft), where="the Saved view")
    item_id = chat.session_state[state.DRAFT]["item_id"]
    chat.button(key=f"del_{item_id}").click().run()
    assert [s.value for s in chat.success] == [ru("chat.saved.deleted")]


def test_untouched_persona_and_example_follow_the_language_and_edited_ones_stay(chat):
    assert chat.text_area(key="persona_box").value == ru("chat.system_prompt")
    chat.button_group(key="language_switch").set_value("en").run()
    assert chat.text_area(key="persona_box").value == DEFAULT_SYSTEM_PROMPT
    chat.text_area(key="persona_box").set_value("Answer in rhymes.").run()
    chat.button_group(key="language_switch").set_value("ru").run()
    assert chat.text_area(key="persona_box").value == "Answer in rhymes."
    assert chat.session_state[state.CONVERSATION].system_prompt == "Answer in rhymes."
    chat.segmented_control(key=state.CHAT_VIEW).set_value("✍️ Compose").run()  # the example prompt follows too
    assert chat.text_area(key="compose_prompt").value == ru("chat.compose.example")
    chat.button_group(key="language_switch").set_value("en").run()
    assert chat.text_area(key="compose_prompt").value == "Write a short poem about a mirror at midnight."
    chat.text_area(key="compose_prompt").set_value("A limerick, please.").run()
    chat.button_group(key="language_switch").set_value("ru").run()
    assert chat.text_area(key="compose_prompt").value == "A limerick, please."  # the visitor's own text stays


def test_the_markdown_export_and_the_import_errors_speak_russian(chat):
    chat.chat_input(key=state.CHAT_BOX).set_value(MESSAGE).run()
    conv = chat.session_state[state.CONVERSATION]
    with using_language("ru"):
        document = conv.to_markdown("SmolLM2-135M-Instruct")
    assert document.startswith("# Разговор с Волшебным зеркалом\n\nМодель: `SmolLM2-135M-Instruct`")
    assert f"**Вы:** {MESSAGE}" in document and "**Зеркало:** " in document and "зерно " in document
    chat.file_uploader(key=state.IMPORT_FILE).set_value(("плохой.json", b"{oops", "application/json")).run()
    button(chat, ru("chat.import.restore")).click().run()
    assert [e.value for e in chat.error] == [
        "Не удалось загрузить плохой.json: этот файл не читается как JSON (строка 1, столбец 2)"]
    assert_russian(chat, allowed=written(MESSAGE, conv.turns[1].content), where="a failed import")


def test_a_remote_server_speaks_russian(monkeypatch, tmp_path):
    from tests.fakes.fake_openai import FakeOpenAI

    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'm.sqlite3'}")
    with FakeOpenAI(["Привет", " от", " сервера", " и", " ещё"], mode="die_midway") as server:
        monkeypatch.setenv("MIRROR_BACKEND_URL", server.url)
        at = open_in_russian(CHAT)
        at.chat_input(key=state.CHAT_BOX).set_value("Считай").run()
        assert not at.exception, at.exception
        reply = at.chat_message[1]
        assert reply.caption[0].value.endswith(ru("chat.finish.error"))
        assert any(e.value.startswith(ru("chat.remote.broke", kind="ConnectionError")) for e in at.error)
        assert_russian(at, allowed=written("Считай", reply.markdown[0].value), where="a remote reply that broke off")
        model = at.session_state[state.FRAME][0]  # the model card's note: in the visitor's language
        with using_language("ru"):
            assert model.note.startswith("Ответы приходят с сервера llamacpp")
        assert model.info.note.startswith("Replies come from the llamacpp server")  # shared by every session


def test_the_inspector_and_the_explorer_with_a_remote_server_speak_russian(monkeypatch, tmp_path):
    from tests.fakes.fake_openai import FakeOpenAI

    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'm.sqlite3'}")
    with FakeOpenAI(["Привет", " от", " сервера"]) as server:
        monkeypatch.setenv("MIRROR_BACKEND_URL", server.url)
        at = open_in_russian(CHAT)
        at.chat_input(key=state.CHAT_BOX).set_value("Привет").run()
        turn = at.session_state[state.CONVERSATION].turns[1]
        at.button(key=f"inspect_{turn.id}").click().run()  # the Token Inspector, as a server allows it
        assert not at.exception, at.exception
        assert any(i.value == ru("chat.remote.inspector_intro", where=server.url) for i in at.info)
        assert at.metric[0].label == ru("chat.remote.mean_prob") and at.metric[0].value == "0,600"
        headers = {c.get("label") for c in json.loads(at.dataframe[0].proto.columns).values()}
        assert headers >= {ru(f"chat.remote.col.{name}") for name in ("position", "token", "raw_prob", "rank")}
        assert any(c.value == ru("chat.remote.not_available") for c in at.main.caption)
        assert_russian(at, allowed=written("Привет", " от", " сервера", "Привет от сервера", "zzz"),
                       where="the Token Inspector with a server")

        at.switch_page("app_pages/2_Parameter_Explorer.py").run()
        assert not at.exception, at.exception
        assert at.info[0].value == ru("chat.remote.explorer_intro")
        prompt = at.text_area(key="remote_explorer_prompt")
        assert prompt.value == ru("chat.remote.prompt_example") and prompt.label == ru("chat.remote.prompt")
        assert_russian(at, where="the Parameter Explorer with a server")
        prompt.set_value("  ")
        button(at, ru("chat.remote.show_top")).click().run()
        assert at.info[-1].value == ru("chat.remote.type_prompt")
