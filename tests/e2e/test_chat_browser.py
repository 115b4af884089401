"""The Chat page in a real browser: replies stream in, and the stop button keeps a partial reply.

Contract with pages/1_Chat.py (mirror/ui/chat.py): a `st.chat_input` with
submit_mode="stop" (its submit button becomes a stop button while a reply
streams), each turn in a `st.chat_message` whose first Markdown block is the
text, and under a finished reply a caption "N tokens · X tokens/s · ... · seed S
· <finish>", where <finish> is "⏹ stopped" for a reply the user stopped.
"""

from __future__ import annotations

import re

import pytest
from pagekit import APP_IDLE_JS, CHAT_JS, assert_no_exception

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "What does a mirror do? Answer in two or three sentences."
STORY_REQUEST = "Write a long story about a dragon who lives behind a mirror."
THANKS = "Thanks!"
# The first run may load the model (20-60 s); a reply is generated on 2 CPU
# cores at 10-16 tokens/s when the machine is quiet, but 0.4-3.5 tokens/s
# (and several seconds to the first token) were seen on a busy one; a full
# 256-token reply gets 240 s, as on Home.
LOAD_TIMEOUT_MS = 120_000
ANSWER_TIMEOUT_MS = 240_000
# Time allowed for the first visible token, and for the text to grow once more.
FIRST_TEXT_TIMEOUT_MS = 120_000
# Stop once the story has this much text: proof that it was streaming.
PARTIAL_CHARS = 20
# Replies whose length does not matter are capped with the sidebar slider: on
# a busy 2-core machine (0.5-3 tokens/s were seen) a 256-token reply would
# take minutes, and "Thanks!" after a story request tends to continue the story.
SHORT_REPLY_TOKENS = 40

# Streamlit marks the app root with the script's state ("initial", "running",
# "notRunning", ...) and labels each message's content "Chat message from <name>".
# The reply is the message's first Markdown block (the caption, the details
# expander and the buttons follow it); while streaming it ends with a cursor.
_JS_HELPERS = APP_IDLE_JS + CHAT_JS + """
const appRunning = () => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && app.getAttribute("data-test-script-state") === "running";
};
const replyText = (m) => {
  const md = m.querySelector("[data-testid='stChatMessageContent'] [data-testid='stMarkdownContainer']");
  return md ? md.innerText.replace(/\\s*\\u258c\\s*$/, "") : "";
};
const captionText = (m) => {
  const cs = Array.from(m.querySelectorAll("[data-testid='stCaptionContainer']"));
  return cs.map((c) => c.innerText).join("\\n");
};
const asked = (question) =>
  Array.from(document.querySelectorAll("[data-testid='stChatMessage']"))
    .some((m) => isUser(m) && content(m).includes(question));
const lastAnswer = (question) => {
  const answers = answersTo(question);
  return answers.length ? answers[answers.length - 1] : null;
};
// One consistent sample of the page: script state and the reply so far.
const sample = (question) => {
  const a = lastAnswer(question);
  return {
    running: appRunning(),
    idle: appIdle(),
    crashed: crashed(),
    text: a ? replyText(a) : null,
    caption: a ? captionText(a) : "",
  };
};
"""

CHAT_READY = (
    "() => {"
    + _JS_HELPERS
    + """
  return appIdle() && (crashed() || !!document.querySelector("[data-testid='stChatInputTextArea']"));
}"""
)

# Resolves (with a sample) once the reply has at least `minChars` characters
# while the script still runs, or as soon as the run is over or has crashed.
TEXT_AT_LEAST = (
    "([question, minChars]) => {"
    + _JS_HELPERS
    + """
  const s = sample(question);
  if (s.crashed) return s;
  // Until the rerun has drawn our message the page is still idle from before.
  if (!asked(question)) return null;
  if (s.idle) return s;
  return s.running && s.text !== null && s.text.length >= minChars ? s : null;
}"""
)

# Resolves once the reply is longer than `prevLen` characters, or the run is over.
TEXT_LONGER_THAN = (
    "([question, prevLen]) => {"
    + _JS_HELPERS
    + """
  const s = sample(question);
  if (s.crashed || s.idle) return s;
  return s.text !== null && s.text.length > prevLen ? s : null;
}"""
)

# The reply is finished and redrawn with its caption (the page reruns after streaming).
REPLY_DONE = (
    "(question) => {"
    + _JS_HELPERS
    + """
  if (!appIdle()) return null;
  const s = sample(question);
  if (s.crashed) return s;
  return s.text && s.text.trim().length > 0 && s.caption.includes("tokens/s") ? s : null;
}"""
)

# After a click on stop the state goes "stopRequested", then "notRunning".
STOPPED = "() => {" + _JS_HELPERS + " return crashed() || appIdle(); }"

CHAT_INPUT_SHOWN = "() => !!document.querySelector(\"[data-testid='stChatInputTextArea']\")"

SAMPLE = "(question) => {" + _JS_HELPERS + " return sample(question); }"

# The sidebar slider's current value, as its thumb label shows it.
MAX_NEW_TOKENS = """() => {
  const sliders = Array.from(document.querySelectorAll("[data-testid='stSlider']"));
  const s = sliders.find((el) => {
    const label = el.querySelector("[data-testid='stWidgetLabel']");
    return !!label && label.innerText.trim() === "Max new tokens";
  });
  const thumb = s && s.querySelector("[data-testid='stSliderThumbValue']");
  return thumb ? Number(thumb.innerText.trim()) : null;
}"""


# The slider's value once the page is idle and the value has not changed for a second.
SETTLED_MAX_NEW_TOKENS = (
    "() => {"
    + f"const v = ({MAX_NEW_TOKENS})(); const ready = ({CHAT_READY})(); const now = Date.now();"
    + """
  if (!ready || v === null || v !== window.__maxTokensSeen) {
    window.__maxTokensSeen = v;
    window.__maxTokensSince = now;
    return null;
  }
  return now - window.__maxTokensSince >= 1000 ? v : null;
}"""
)


# Streamlit scrolls inside its own containers, so a "full page" screenshot is
# only the viewport. Grow the viewport to the content first, so that the whole
# conversation and the whole sidebar are in the picture.
CONTENT_HEIGHT = """() => Math.max(window.innerHeight, ...["stMain", "stSidebarContent"]
  .map((id) => document.querySelector(`[data-testid='${id}']`))
  .filter((el) => !!el)
  .map((el) => el.scrollHeight))"""



def _open_chat(page, base_url: str) -> None:
    page.goto(f"{base_url}/Chat", wait_until="domcontentloaded")
    page.wait_for_function(CHAT_READY, timeout=LOAD_TIMEOUT_MS, polling=250)
    assert_no_exception(page)


def _send(page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def _set_max_new_tokens(page, tokens: int) -> None:
    """Move the sidebar's "Max new tokens" slider to `tokens` with the keyboard, as a user can.

    Every key press reruns the page, and a press made while an earlier rerun is
    still going can be undone by it (the slider was seen to fall back to 1 after
    Home and 39 quick ArrowRight presses). So: press, wait until the page is idle
    and the value has held still for a second, and correct until it is right.
    """
    thumb = page.locator("input[type='range'][aria-label='Max new tokens']")
    thumb.focus()
    thumb.press("Home")  # the minimum, 1
    value = _settled_max_new_tokens(page)
    for _ in range(6):
        if value == tokens:
            return
        thumb.focus()
        for _ in range(abs(tokens - value)):
            thumb.press("ArrowRight" if tokens > value else "ArrowLeft")
        value = _settled_max_new_tokens(page)
    pytest.fail(f"could not set 'Max new tokens' to {tokens}: it stays at {value}")


def _settled_max_new_tokens(page) -> int:
    value = page.wait_for_function(SETTLED_MAX_NEW_TOKENS, timeout=ANSWER_TIMEOUT_MS, polling=100).json_value()
    assert_no_exception(page)
    return value


def _wait_sample(page, predicate: str, arg, timeout_ms: int) -> dict:
    sample = page.wait_for_function(predicate, arg=arg, timeout=timeout_ms, polling=100).json_value()
    if sample.get("crashed"):
        assert_no_exception(page)
    return sample


def _screenshot(page, path) -> None:
    height = min(page.evaluate(CONTENT_HEIGHT), 6000)
    page.set_viewport_size({"width": page.viewport_size["width"], "height": height})
    page.wait_for_function(f"() => ({CONTENT_HEIGHT})() <= window.innerHeight", polling=100, timeout=10_000)
    page.screenshot(path=str(path), full_page=True)


def _reply_done(page, question: str) -> dict:
    sample = _wait_sample(page, REPLY_DONE, question, ANSWER_TIMEOUT_MS)
    assert_no_exception(page)
    return sample


def _squash(text: str) -> str:
    # Markdown turns a single newline into a space when redrawn; compare words, not layout.
    return " ".join(text.split())


def _caption_tokens(caption: str) -> int:
    match = re.search(r"(\d+) tokens\b", caption)
    assert match, f"no token count in the reply's caption: {caption!r}"
    return int(match.group(1))


def test_chat_reply_streams_in(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    _open_chat(page, streamlit_server)
    _set_max_new_tokens(page, SHORT_REPLY_TOKENS)
    _send(page, QUESTION)

    # Two samples taken while the script runs: the text is there, then longer.
    # Each sample is one evaluation in the page, so its state and text agree.
    first = _wait_sample(page, TEXT_AT_LEAST, [QUESTION, 1], FIRST_TEXT_TIMEOUT_MS)
    assert first["running"], f"the reply never showed text while the script ran; the page at the end: {first}"
    second = _wait_sample(page, TEXT_LONGER_THAN, [QUESTION, len(first["text"])], FIRST_TEXT_TIMEOUT_MS)
    assert second["running"] and len(second["text"]) > len(first["text"]), (
        "the reply did not grow while streaming (one final paint?):"
        f" first sample {first!r}, second sample {second!r}"
    )

    done = _reply_done(page, QUESTION)
    answer = done["text"]
    assert answer.strip(), "the assistant's reply is empty"
    assert "\ufffd" not in answer, f"the reply has U+FFFD (broken decoding): {answer!r}"
    assert "tokens/s" in done["caption"], f"the reply's caption lacks its speed: {done['caption']!r}"
    assert "seed" in done["caption"], f"the reply's caption lacks its seed: {done['caption']!r}"
    assert _caption_tokens(done["caption"]) <= SHORT_REPLY_TOKENS, (
        f"the reply is longer than the sidebar's 'Max new tokens' ({SHORT_REPLY_TOKENS}): {done['caption']!r}"
    )
    assert _squash(answer).startswith(_squash(second["text"])), (
        f"the finished reply does not continue the streamed text: streamed {second['text']!r}, final {answer!r}"
    )

    _screenshot(page, artifacts_dir / "chat.png")


def test_stop_keeps_the_partial_reply(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    _open_chat(page, streamlit_server)
    # Wait for the slider itself: the chat input can be drawn before the sidebar is (seen on a busy machine).
    max_new_tokens = _settled_max_new_tokens(page)
    assert max_new_tokens, "no 'Max new tokens' slider in the sidebar"
    _send(page, STORY_REQUEST)

    streaming = _wait_sample(page, TEXT_AT_LEAST, [STORY_REQUEST, PARTIAL_CHARS], FIRST_TEXT_TIMEOUT_MS)
    assert streaming["running"], f"the story finished before it could be stopped: {streaming!r}"
    page.get_by_test_id("stChatInputStopButton").click()
    page.wait_for_function(STOPPED, timeout=ANSWER_TIMEOUT_MS, polling=100)
    assert_no_exception(page)

    stopped = page.evaluate(SAMPLE, STORY_REQUEST)
    partial = stopped["text"] or ""
    assert partial.strip(), f"the stopped reply left no text on the page: {stopped!r}"
    assert len(partial) >= len(streaming["text"]), (
        f"text vanished when the reply was stopped: before {streaming['text']!r}, after {partial!r}"
    )

    assert page.evaluate(CHAT_INPUT_SHOWN), "after a stop the chat input is gone: the user cannot type"

    # The next message reruns the page: the stopped reply is redrawn from
    # the session, with its caption, above the new exchange.
    _set_max_new_tokens(page, SHORT_REPLY_TOKENS)
    _send(page, THANKS)
    thanks = _reply_done(page, THANKS)
    assert thanks["text"].strip(), "the reply to the second message is empty"

    # The first answer after the story request (the last one is the reply to "Thanks!").
    first_reply = page.evaluate(
        "([q]) => {" + _JS_HELPERS + " const a = answersTo(q); return a.length ? {text: replyText(a[0]),"
        " caption: captionText(a[0])} : null; }",
        [STORY_REQUEST],
    )
    assert first_reply is not None, "the stopped reply is gone after the next message"
    assert _squash(first_reply["text"]).startswith(_squash(partial)), (
        f"the kept reply differs from what was on screen when stopped: {partial!r} vs {first_reply['text']!r}"
    )
    caption = first_reply["caption"]
    assert "stopped" in caption, f"the stopped reply's caption does not say so: {caption!r}"
    assert "tokens/s" in caption and "seed" in caption, f"the stopped reply's caption is incomplete: {caption!r}"
    tokens = _caption_tokens(caption)
    assert 0 < tokens < max_new_tokens, (
        f"the stopped reply has {tokens} tokens; a stop before the limit ({max_new_tokens}) was expected"
    )

    _screenshot(page, artifacts_dir / "chat-stopped.png")
