"""Two people, one model with room for one reply: the second sees its place in the queue, and a stop
ends only the first person's reply.

The server runs with MIRROR_MAX_BATCH=1 so that the queue is certain to form on any machine.
"""

from __future__ import annotations

import pytest
from pagekit import expect_idle, expect_shown, reply_after
from test_chat_browser import (
    ANSWER_TIMEOUT_MS,
    FIRST_TEXT_TIMEOUT_MS,
    PARTIAL_CHARS,
    QUESTION,
    STORY_REQUEST,
    _markdown,
    _open_chat,
    _reply_done,
    _sample,
    _sample_with_at_least,
    _screenshot,
    _send,
    _set_max_new_tokens,
    _text_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_waiting_reply_shows_its_place_and_a_stop_ends_only_one_reply(one_at_a_time_server, chromium_browser,
                                                                       artifacts_dir):
    contexts = [chromium_browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    first, second = (c.new_page() for c in contexts)
    try:
        for page in (first, second):
            page.set_default_timeout(30_000)
            _open_chat(page, one_at_a_time_server)
        _set_max_new_tokens(second, 24)

        _send(first, STORY_REQUEST)
        story = reply_after(first, 0, STORY_REQUEST, FIRST_TEXT_TIMEOUT_MS)
        streaming = _sample_with_at_least(first, story, PARTIAL_CHARS, FIRST_TEXT_TIMEOUT_MS)
        assert streaming["running"], f"the story finished before the second person asked: {streaming!r}"

        _send(second, QUESTION)
        waiting = reply_after(second, 0, QUESTION, FIRST_TEXT_TIMEOUT_MS)
        expect_shown(second, _markdown(waiting).filter(has_text="in the queue"), FIRST_TEXT_TIMEOUT_MS,
                     "the waiting reply never showed its place in the queue")
        queued = _sample(waiting)
        assert "place 1 in the queue" in queued["text"], f"no queue place shown: {queued!r}"
        assert "1 reply is being written" in queued["text"]
        _screenshot(second, artifacts_dir / "queue-waiting.png")

        first.get_by_test_id("stChatInputStopButton").click()
        # After a click on stop the state goes "stopRequested", then "notRunning".
        expect_idle(first, ANSWER_TIMEOUT_MS)

        answered = _reply_done(second, 0, QUESTION)
        assert answered["text"].strip() and "in the queue" not in answered["text"]
        assert "stopped" not in answered["caption"], f"the second reply was stopped too: {answered['caption']!r}"
        stopped = _text_of(story)
        assert stopped.strip(), f"the stopped story lost its text: {stopped!r}"
        _screenshot(second, artifacts_dir / "queue-answered.png")
    finally:
        for context in contexts:
            context.close()
