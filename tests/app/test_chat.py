"""The Chat page through AppTest with the bundled model: conversation, actions, export/import, feedback, compose."""

import json

import pytest

from mirror.services.conversation import Conversation

CHAT = "app_pages/1_Chat.py"
HOME_PAGE = "app_pages/0_Home.py"


@pytest.fixture
def chat(open_page):
    return open_page(CHAT, 12)


def send(at, text):
    at.chat_input(key="chat_box").set_value(text).run()
    assert not at.exception, at.exception
    return at


def bubbles(at):
    return [(m.name, m.markdown[0].value) for m in at.chat_message]


def test_send_a_message_and_get_a_streamed_reply(chat):
    send(chat, "Hello mirror, who are you?")
    roles = [name for name, _ in bubbles(chat)]
    assert roles == ["user", "assistant"]
    reply = chat.chat_message[1]
    assert reply.markdown[0].value.strip() and "▌" not in reply.markdown[0].value
    caption = reply.caption[0].value
    assert "tokens/s" in caption and "seed" in caption and "first token after" in caption
    turn = chat.session_state["mirror_conversation"].turns[1]
    assert 0 < turn.reply.tokens <= 12 and len(turn.reply.steps) == turn.reply.tokens
    assert turn.reply.params["max_new_tokens"] == 12


def test_history_survives_reruns_and_page_switches(chat):
    send(chat, "Remember the word teapot.")
    before = bubbles(chat)
    chat.run()
    assert bubbles(chat) == before
    chat.switch_page(HOME_PAGE).run()
    chat.switch_page(CHAT).run()
    assert bubbles(chat) == before
    send(chat, "What word?")
    assert len(bubbles(chat)) == 4


def test_parameters_survive_a_page_switch(chat):
    chat.slider(key="ctl_temperature").set_value(1.3).run()
    assert chat.selectbox(key="ctl_preset").value == "Custom"
    chat.switch_page(HOME_PAGE).run()
    assert chat.slider(key="ctl_temperature").value == 1.3
    chat.switch_page(CHAT).run()
    assert chat.slider(key="ctl_temperature").value == 1.3
    assert chat.slider(key="ctl_max_new_tokens").value == 12
    assert chat.selectbox(key="ctl_preset").value == "Custom"
    chat.selectbox(key="ctl_preset").set_value("Strict").run()
    assert chat.slider(key="ctl_temperature").value == 0.3


def test_fixed_seed_reproduces_and_regenerate_draws_a_new_seed(chat):
    chat.checkbox(key="ctl_fix_seed").check().run()
    chat.number_input(key="ctl_seed").set_value(1234).run()
    send(chat, "Tell me a fact about glass.")
    first = bubbles(chat)[1][1]
    regenerate = next(b for b in chat.button if "Regenerate" in b.label)
    regenerate.click().run()
    assert bubbles(chat)[1][1] == first  # same seed, same prompt, same settings: the same reply
    chat.checkbox(key="ctl_fix_seed").uncheck().run()
    seeds = set()
    for _ in range(2):
        next(b for b in chat.button if "Regenerate" in b.label).click().run()
        seeds.add(chat.session_state["mirror_conversation"].turns[1].reply.seed)
    assert len(bubbles(chat)) == 2 and len(seeds) == 2


def test_edit_last_message_and_clear(chat):
    send(chat, "What is the colour of the sky?")
    next(b for b in chat.button if "Edit last" in b.label).click().run()
    chat.text_area(key="edit_box").set_value("What is the colour of grass?")
    next(b for b in chat.button if b.label == "Send edited message").click().run()
    assert not chat.exception
    assert [t for _, t in bubbles(chat)][0] == "What is the colour of grass?"
    assert len(bubbles(chat)) == 2
    next(b for b in chat.button if "Clear" in b.label).click().run()
    assert bubbles(chat) == []


def test_export_then_import_gives_the_same_history(chat, tmp_path):
    send(chat, "Say something short.")
    conv = chat.session_state["mirror_conversation"]
    exported = conv.to_json("SmolLM2-135M-Instruct")
    data = json.loads(exported)
    assert data["model"] == "SmolLM2-135M-Instruct" and data["turns"][1]["reply"]["seed"]
    assert data["turns"][1]["reply"]["steps"][0]["prob"] > 0
    next(b for b in chat.button if "Clear" in b.label).click().run()
    chat.file_uploader(key="import_file").set_value(("chat.json", exported.encode(), "application/json")).run()
    next(b for b in chat.button if "Restore" in b.label).click().run()
    restored = chat.session_state["mirror_conversation"]
    assert restored.to_json("SmolLM2-135M-Instruct") == exported
    assert len(bubbles(chat)) == 2 and bubbles(chat)[0][1] == "Say something short\\."
    # A damaged file gets a clear message and leaves the conversation alone.
    chat.file_uploader(key="import_file").set_value(("bad.json", b"{not json", "application/json")).run()
    next(b for b in chat.button if "Restore" in b.label).click().run()
    assert any("not valid JSON" in e.value for e in chat.error)
    assert len(bubbles(chat)) == 2


def test_empty_and_over_long_messages(chat):
    send(chat, "   ")
    assert any("empty" in i.value for i in chat.info) and bubbles(chat) == []
    long_text = "mirror " * 1200
    send(chat, long_text)
    assert any("limit is 8,000" in e.value for e in chat.error)
    assert chat.text_area(key="kept_message").value == long_text  # nothing the user typed is lost
    assert bubbles(chat) == []


def test_html_and_javascript_links_are_inert(chat):
    send(chat, "<img src=x onerror=alert(1)> [click](javascript:alert(2)) <script>x</script>")
    shown = chat.chat_message[0].markdown[0].value
    assert "\\<img" in shown and "\\[click\\]\\(javascript\\:" in shown and "\\<script\\>" in shown


def test_feedback_with_comment_is_stored(chat):
    from mirror.services.store import Store

    send(chat, "Give me a compliment.")
    me = chat.session_state["mirror_person"]  # the owner of what this visitor saves
    turn_id = chat.session_state["mirror_conversation"].turns[1].id
    chat.feedback(key=f"fb_{turn_id}").set_value(1)
    chat.text_input(key=f"fbc_{turn_id}").set_value("lovely")
    chat.button(key=f"fbs_{turn_id}").click().run()
    assert any("feedback saved" in s.value for s in chat.success)
    saved = Store().list_feedback(owner=me)
    assert len(saved) == 1
    record = saved[0]
    assert (record.score, record.comment, record.prompt) == (1, "lovely", "Give me a compliment.")
    assert record.reply == chat.session_state["mirror_conversation"].turns[1].content
    assert record.seed == chat.session_state["mirror_conversation"].turns[1].reply.seed
    assert record.params["max_new_tokens"] == 12


def test_compose_edit_save_reopen_delete_and_csv(chat):
    from mirror.services.store import Store

    chat.segmented_control(key="chat_view").set_value("✍️ Compose").run()
    chat.text_area(key="compose_prompt").set_value("Write a two-line poem about rain.")
    next(b for b in chat.button if "Write it" in b.label).click().run()
    assert not chat.exception, chat.exception
    assert chat.text_area(key="draft_text").value.strip()
    chat.text_input(key="draft_title").set_value("Rain poem")
    chat.text_area(key="draft_text").set_value("Rain on the glass,\nthe mirror listens.")
    next(b for b in chat.button if "Save" in b.label).click().run()
    assert any("Saved" in s.value for s in chat.success)
    me = chat.session_state["mirror_person"]  # the owner of what this visitor saves
    items = Store().list_items(owner=me)
    assert [(i.title, i.text) for i in items] == [("Rain poem", "Rain on the glass,\nthe mirror listens.")]
    assert items[0].prompt == "Write a two-line poem about rain." and items[0].seed is not None

    chat.segmented_control(key="chat_view").set_value("📚 Saved").run()
    assert any("Rain poem" in e.label for e in chat.expander)
    chat.button(key=f"open_{items[0].id}").click().run()
    assert chat.text_input(key="draft_title").value == "Rain poem"
    chat.text_area(key="draft_text").set_value("Rain on the glass.")
    next(b for b in chat.button if "Save" in b.label).click().run()
    assert Store().get_item(items[0].id, owner=me).text == "Rain on the glass."
    assert "Rain poem" in Store().items_csv(owner=me)
    chat.segmented_control(key="chat_view").set_value("📚 Saved").run()
    chat.button(key=f"del_{items[0].id}").click().run()
    assert Store().list_items(owner=me) == []


def test_conversation_json_round_trip_is_pure():
    conv = Conversation()
    conv.add_user("hi")
    assert Conversation.from_json(conv.to_json()).turns[0].content == "hi"


def test_a_reply_cut_inside_a_character_says_how_many_bytes_it_dropped(chat):
    chat.slider(key="ctl_temperature").set_value(1.0).run()
    chat.checkbox(key="ctl_fix_seed").check().run()
    send(chat, "日本語で自己紹介してください。")  # the bundled model answers in Japanese: 2 or 3 tokens a character
    for seed in range(1, 30):  # a seed whose 12-token reply ends inside a character
        reply = chat.session_state["mirror_conversation"].turns[1].reply
        if reply.dropped_bytes:
            break
        chat.number_input(key="ctl_seed").set_value(seed).run()
        next(b for b in chat.button if "Regenerate" in b.label).click().run()
    assert not chat.exception, chat.exception
    assert reply.dropped_bytes and reply.finish_reason == "length"
    turn = chat.session_state["mirror_conversation"].turns[1]
    assert "\ufffd" not in turn.content and turn.content == "".join(s["text"] for s in turn.reply.steps)
    message = chat.chat_message[1]
    assert "\ufffd" not in message.markdown[0].value
    unit = "byte" if reply.dropped_bytes == 1 else "bytes"
    assert f"{reply.dropped_bytes} {unit} of an unfinished character dropped" in message.caption[0].value
    assert json.loads(message.json[0].value)["dropped_bytes"] == reply.dropped_bytes


def test_summary_line_mentions_dropped_bytes_only_when_there_are_some():
    from mirror.ui.streaming import summary_line

    assert "unfinished" not in summary_line(12, 20.0, 0.1, 7, "length")
    assert summary_line(12, 20.0, 0.1, 7, "length", dropped_bytes=1).endswith("1 byte of an unfinished character dropped")
    assert "· 3 bytes of an unfinished character dropped" in summary_line(12, 20.0, None, 7, "cancelled", 0.0, 3)
