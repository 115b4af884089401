"""Two people, one model with room for one reply: the second sees its place in the queue, and a stop
ends only the first person's reply.

The server runs with MIRROR_MAX_BATCH=1 so that the queue is certain to form on any machine.
"""

from __future__ import annotations

import pytest
from pagekit import assert_no_exception
from test_chat_browser import (
    _JS_HELPERS,
    ANSWER_TIMEOUT_MS,
    FIRST_TEXT_TIMEOUT_MS,
    PARTIAL_CHARS,
    QUESTION,
    SAMPLE,
    STOPPED,
    STORY_REQUEST,
    TEXT_AT_LEAST,
    _open_chat,
    _reply_done,
    _screenshot,
    _send,
    _set_max_new_tokens,
    _wait_sample,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Resolves with a sample once the reply to `question` shows its place in the queue (or the run ends).
QUEUED = (
    "(question) => {"
    + _JS_HELPERS
    + """
  const s = sample(question);
  if (s.crashed || (asked(question) && s.idle)) return s;
  return s.text && s.text.includes("in the queue") ? s : null;
}"""
)


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
        streaming = _wait_sample(first, TEXT_AT_LEAST, [STORY_REQUEST, PARTIAL_CHARS], FIRST_TEXT_TIMEOUT_MS)
        assert streaming["running"], f"the story finished before the second person asked: {streaming!r}"

        _send(second, QUESTION)
        queued = _wait_sample(second, QUEUED, QUESTION, FIRST_TEXT_TIMEOUT_MS)
        assert "place 1 in the queue" in (queued["text"] or ""), f"no queue place shown: {queued!r}"
        assert "1 reply is being written" in queued["text"]
        _screenshot(second, artifacts_dir / "queue-waiting.png")

        first.get_by_test_id("stChatInputStopButton").click()
        first.wait_for_function(STOPPED, timeout=ANSWER_TIMEOUT_MS, polling=100)
        assert_no_exception(first)

        answered = _reply_done(second, QUESTION)
        assert answered["text"].strip() and "in the queue" not in answered["text"]
        assert "stopped" not in answered["caption"], f"the second reply was stopped too: {answered['caption']!r}"
        stopped = first.evaluate(SAMPLE, STORY_REQUEST)
        assert (stopped["text"] or "").strip(), f"the stopped story lost its text: {stopped!r}"
        _screenshot(second, artifacts_dir / "queue-answered.png")
    finally:
        for context in contexts:
            context.close()
