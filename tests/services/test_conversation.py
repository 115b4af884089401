"""Conversation data: actions, export/import, and fitting a long history into the context window."""

import json

import pytest

from mirror.services.conversation import Conversation, EmptyMessage, ReplyInfo, check_user_message
from mirror.services.prompts import Message, fit_messages, plain_dialogue, prepare_reply_prompt


def sample() -> Conversation:
    conv = Conversation(system_prompt="Be brief.")
    conv.add_user("Hi")
    reply = conv.add_reply(ReplyInfo(model="m", params={"temperature": 0.7}, seed=5, tokens=2, finish_reason="eos",
                                     steps=[{"token_id": 1, "prob": 0.5}]))
    reply.content = "Hello!"
    conv.add_user("How are you?")
    return conv


def test_regenerate_edit_and_clear():
    conv = sample()
    assert conv.needs_reply() and conv.drop_last_reply() is None
    conv.add_reply(ReplyInfo("m", {}, 1)).content = "Fine."
    assert conv.drop_last_reply().content == "Fine." and conv.needs_reply()
    conv.edit_last_user("How old are you?")
    assert [t.content for t in conv.turns] == ["Hi", "Hello!", "How old are you?"]
    conv.clear()
    with pytest.raises(ValueError):
        conv.edit_last_user("x")


def test_json_round_trip_and_markdown():
    conv = sample()
    text = conv.to_json("SmolLM2")
    back = Conversation.from_json(text)
    assert back.to_json("SmolLM2") == text
    assert back.turns[1].reply.steps == [{"token_id": 1, "prob": 0.5}]
    md = conv.to_markdown("SmolLM2")
    assert "**You:** Hi" in md and "**Mirror:** Hello!" in md and "seed 5" in md and "temperature=0.7" in md


def test_dropped_bytes_survive_export_and_old_exports_without_them_still_import():
    conv = sample()
    conv.add_reply(ReplyInfo("m", {}, 1, finish_reason="length", dropped_bytes=2)).content = "日本"
    data = json.loads(conv.to_json("SmolLM2"))
    assert data["turns"][3]["reply"]["dropped_bytes"] == 2
    assert Conversation.from_json(json.dumps(data)).turns[3].reply.dropped_bytes == 2
    del data["turns"][3]["reply"]["dropped_bytes"]  # a file exported before the field existed
    assert Conversation.from_json(json.dumps(data)).turns[3].reply.dropped_bytes == 0


@pytest.mark.parametrize("payload,message", [
    (b"{oops", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (json.dumps({"format": "other"}).encode(), "not a Magic Mirror"),
    (json.dumps({"format": "magic-mirror-conversation", "version": 9}).encode(), "version"),
    (json.dumps({"format": "magic-mirror-conversation", "version": 1, "turns": [{"role": "system", "content": "x"}]}),
     "only user and assistant"),
    (json.dumps({"format": "magic-mirror-conversation", "version": 1, "turns": [{"content": "x"}]}), "damaged"),
])
def test_bad_imports_say_what_is_wrong(payload, message):
    with pytest.raises(ValueError, match=message):
        Conversation.from_json(payload)


def test_check_user_message():
    with pytest.raises(EmptyMessage):
        check_user_message(" \n", 10)
    with pytest.raises(ValueError, match="limit is 10"):
        check_user_message("x" * 11, 10)
    assert check_user_message("hello", 10) == "hello"


def test_fit_messages_drops_oldest_turns_but_keeps_system_and_last():
    messages = [Message("system", "S")] + [Message("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(7)]
    count = lambda ms: 10 * len(ms)  # noqa: E731 - every message costs 10 tokens
    kept, dropped = fit_messages(messages, count, budget=40)
    assert kept[0].content == "S" and kept[-1].content == "m6" and dropped == 4
    assert kept[1].role == "user"  # never start with an orphaned reply
    kept, dropped = fit_messages(messages, count, budget=5)
    assert [m.content for m in kept] == ["S", "m6"] and dropped == 6
    assert fit_messages(messages, count, budget=1000) == (messages, 0)


def test_plain_dialogue_for_base_models():
    built = plain_dialogue([Message("system", "Be kind."), Message("user", "Hi"), Message("assistant", "Hello"),
                            Message("user", "Bye")])
    assert built.text == "Be kind.\nUser: Hi\nMirror: Hello\nUser: Bye\nMirror:"
    assert built.stop_strings == ("\nUser:", "\nMirror:")


def test_prepare_reply_prompt_on_a_small_window(tiny_llama):
    conv = Conversation()
    for i in range(12):
        conv.add_user(f"message number {i} about mirrors")
        conv.add_reply(ReplyInfo("m", {}, 1)).content = f"reply number {i}"
    conv.add_user("last question")
    prepared = prepare_reply_prompt(tiny_llama, conv.messages(), max_new_tokens=16)
    assert prepared.dropped_turns > 0
    assert len(prepared.ids) <= tiny_llama.info.context_length - 16
    assert "last question" in tiny_llama.decode(prepared.ids)
