"""The process-wide model pool in real browsers: two visitors on two models, and the same seeded reply after a restart.

Contract with the app: the Home page's model card (mirror/ui/home.py) shows a "Load time" metric and a caption
"Models loaded in this server: NAME (torch, N MB, in use by K), ..."; the sidebar's "Model" selectbox offers
MIRROR_MODELS; a link's shared part (here only `max_new_tokens`) applies on any page; the Chat page's
"Fix the seed" with its default seed, and "🔗 Link to this", whose link asks the conversation's question again.

Each visitor is a browser context of its own (a Streamlit session of its own). Every wait is for something the
page shows; no assertion is on wall time (the ask times are printed and written to test-artifacts/).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from pagekit import expect, expect_chat_ready, expect_idle, expect_shown, reply_after

from tests.e2e.conftest import serve_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A server start loads a model on the first visit (from the weight cache: seconds; from the GGUF on a fresh
# machine: a minute or more on a busy 2-core machine), and replies are short (SHORT_REPLY tokens).
LOAD_MS = 180_000
ANSWER_MS = 240_000
SHORT_REPLY = 16  # max new tokens, set through the URL's shared link part (`?max_new_tokens=`)
VIEWPORT = {"width": 1280, "height": 900}

TURN_QUESTIONS = {
    "A": ("What is a mirror?", "What does a lamp do?"),
    "B": ("What is glass?", "What does a window do?"),
}
SEEDED_QUESTION = "What does a mirror show?"

POOL_CAPTION = "Models loaded in this server"
# Streamlit scrolls inside its own containers: grow the viewport to the content before a screenshot.
CONTENT_HEIGHT = """() => Math.max(window.innerHeight, ...["stMain", "stAppScrollToBottomContainer", "stSidebarContent"]
  .map((id) => document.querySelector(`[data-testid='${id}']`))
  .filter((el) => !!el)
  .map((el) => el.scrollHeight))"""


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory, request) -> Path:
    """A tiny random Llama saved as a local model folder with the bundled tokenizer (as tests/conftest.py's
    `tiny_llama_dir`), the tokenizer read from the bundled model's weight cache when it is there (no model
    load in the test process), else from the loaded bundled model."""
    from transformers import AutoTokenizer

    from mirror.config import Settings
    from mirror.models.weight_cache import bundled_cache_dir
    from tests.conftest import build_tiny_llama

    cached = bundled_cache_dir(Settings.from_env().cache_dir)
    if (cached / "tokenizer.json").exists():
        tokenizer = AutoTokenizer.from_pretrained(cached)
    else:
        tokenizer = request.getfixturevalue("tokenizer")
    folder = tmp_path_factory.mktemp("tiny-llama")
    build_tiny_llama(len(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# --- the Home page's model card and "Ask the mirror" ---------------------------------------------------------

def _open_home(page, base_url: str) -> None:
    page.goto(f"{base_url}/?max_new_tokens={SHORT_REPLY}", wait_until="domcontentloaded")
    expect_shown(page, page.get_by_test_id("stChatInputTextArea"), LOAD_MS)
    expect_shown(page, _load_time(page), LOAD_MS)
    expect_idle(page, LOAD_MS)


def _load_time(page):
    metric = page.get_by_test_id("stMainBlockContainer").get_by_test_id("stMetric").filter(has_text="Load time")
    return metric.get_by_test_id("stMetricValue")


def _card_heading(page, name: str = ""):
    # The model card's subheader (the page's own title starts with 🪞 too, but as the h1).
    return page.get_by_test_id("stMainBlockContainer").locator("h3").filter(has_text=f"🪞 {name}")


def _card_title(page) -> str:
    heading = _card_heading(page)
    expect(heading).to_have_count(1, timeout=LOAD_MS)
    return heading.inner_text()


def _pool_caption(page) -> str:
    caption = page.get_by_test_id("stMainBlockContainer").get_by_test_id("stCaptionContainer").filter(has_text=POOL_CAPTION)
    expect(caption).to_have_count(1, timeout=LOAD_MS)
    return " ".join(caption.inner_text().split())


def _choose_model(page, option_text: str, card_name: str) -> None:
    """Pick a model in the sidebar's "Model" selectbox, as a visitor does, and wait for its model card."""
    sidebar = page.get_by_test_id("stSidebar")
    label = page.get_by_test_id("stWidgetLabel").get_by_text("Model", exact=True)
    sidebar.get_by_test_id("stSelectbox").filter(has=label).click()
    page.get_by_role("option").filter(has_text=option_text).first.click()
    heading = _card_heading(page, card_name)
    expect_shown(page, heading, LOAD_MS, f"no model card for {card_name} after choosing it")
    expect_shown(page, _load_time(page), LOAD_MS)
    expect_idle(page, LOAD_MS)


def _ask_home(page, question: str) -> dict:
    """Ask on Home; the time from the submit click to the run being over (the reply and its line drawn)."""
    page.get_by_test_id("stChatInputTextArea").fill(question)
    started = time.perf_counter()
    page.get_by_test_id("stChatInputSubmitButton").click()
    # The new question is drawn by the new run, so the idle page after it is that run's end (not the last one's).
    reply = reply_after(page, 0, question, ANSWER_MS)
    expect_shown(page, reply.get_by_test_id("stCaptionContainer").filter(has_text="tokens/s"), ANSWER_MS)
    expect_idle(page, ANSWER_MS)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "line": reply.get_by_test_id("stCaptionContainer").first.inner_text(),
            "load_time": _load_time(page).inner_text().strip(), "card": _card_title(page),
            "pool": _pool_caption(page)}


def _screenshot(page, path: Path) -> None:
    # Off the last button clicked (its help stays shown while it is hovered or focused): no tooltip over the page.
    page.mouse.move(page.viewport_size["width"] - 10, 10)
    page.evaluate("() => document.activeElement?.blur()")
    for _ in range(3):  # the layout can still grow once the viewport is taller
        height = min(page.evaluate(CONTENT_HEIGHT), 6000)
        if height <= page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": page.viewport_size["width"], "height": height})
    page.screenshot(path=str(path), full_page=True)


def _in_pool(caption: str, name: str) -> bool:
    """`name` is listed as loaded with the torch runtime and not still loading."""
    return re.search(rf"(?:^|[:,] ){re.escape(name)} \(torch, [^)]*MB, (?:in use by \d+|idle)\)", caption) is not None


def test_two_visitors_on_two_models_take_turns_without_reloading(chromium_browser, tiny_model_dir, artifacts_dir):
    from mirror.config import BUNDLED_MODEL

    tiny = str(tiny_model_dir)
    tiny_name = tiny_model_dir.name  # a local folder is named by its folder's name
    with serve_app("streamlit-model-pool.log", MIRROR_MODELS=f"{BUNDLED_MODEL},{tiny}") as base_url:
        contexts = {who: chromium_browser.new_context(viewport=VIEWPORT) for who in ("A", "B")}
        try:
            pages = {who: context.new_page() for who, context in contexts.items()}
            for page in pages.values():
                page.set_default_timeout(30_000)
                _open_home(page, base_url)
            assert BUNDLED_MODEL in _card_title(pages["A"])
            _choose_model(pages["B"], tiny, tiny_name)
            models = {"A": BUNDLED_MODEL, "B": tiny_name}

            turns: list[tuple[str, int, dict]] = []
            first: dict[str, dict] = {}
            for number in range(2):
                for who in ("A", "B"):
                    page = pages[who]
                    seen = _ask_home(page, TURN_QUESTIONS[who][number])
                    turns.append((who, number + 1, seen))
                    print(f"\nvisitor {who} ({models[who]}), ask {number + 1}: {seen['seconds']:.2f} s;"
                          f" reply line: {seen['line']!r}; load time {seen['load_time']}; pool: {seen['pool']}")
                    assert models[who] in seen["card"], f"visitor {who}'s model card shows {seen['card']!r}"
                    assert _in_pool(seen["pool"], BUNDLED_MODEL) and _in_pool(seen["pool"], tiny_name), (
                        f"after visitor {who}'s ask {number + 1} the pool caption does not list both models"
                        f" as loaded: {seen['pool']!r}")
                    first.setdefault(who, seen)
                    assert seen["load_time"] == first[who]["load_time"], (
                        f"visitor {who}'s model shows a new load time ({first[who]['load_time']} after the first ask,"
                        f" {seen['load_time']} after ask {number + 1}): it was loaded again")
            for who, page in pages.items():
                _screenshot(page, artifacts_dir / f"model-pool-visitor-{who}.png")
        finally:
            for context in contexts.values():
                context.close()

    lines = ["Ask times on Home (submit click to the run being over), per visitor and turn:"]
    for who, number, seen in turns:
        ratio = seen["seconds"] / first[who]["seconds"]
        lines.append(f"visitor {who} ({models[who]}) ask {number}: {seen['seconds']:.2f} s"
                     f" ({ratio:.2f}x that visitor's first warm ask); {seen['line']}")
    report = "\n".join(lines)
    print("\n" + report)
    (artifacts_dir / "model-pool-turns.txt").write_text(report + "\n")


# --- the Chat page: one seeded question, asked on two server processes ---------------------------------------

def _markdown(reply):
    """The reply's text: the first Markdown block of the message (its caption, details and buttons follow)."""
    return reply.get_by_test_id("stMarkdownContainer").first


def _chat_reply_done(page, question: str) -> dict:
    """The reply to the conversation's first question, finished and redrawn with its line (the page reruns
    after streaming: the line comes with the redrawn reply, then the run ends)."""
    reply = reply_after(page, 0, question, ANSWER_MS)
    expect_shown(page, reply.get_by_test_id("stCaptionContainer").filter(has_text="tokens/s"), ANSWER_MS)
    expect_idle(page, ANSWER_MS)
    expect(_markdown(reply)).to_have_text(re.compile(r"\S"), timeout=ANSWER_MS)
    return {"text": _markdown(reply).inner_text(), "line": reply.get_by_test_id("stCaptionContainer").first.inner_text()}


def _ask_chat_with_fixed_seed(page, base_url: str) -> dict:
    """Open Chat (short replies), tick "Fix the seed" (its default seed, 42), ask the question."""
    page.goto(f"{base_url}/Chat?max_new_tokens={SHORT_REPLY}", wait_until="domcontentloaded")
    expect_chat_ready(page, LOAD_MS)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stCheckbox").get_by_text("Fix the seed", exact=True).click()
    seed = sidebar.get_by_role("spinbutton", name="Seed")
    expect_shown(page, seed, LOAD_MS, "no seed input after ticking 'Fix the seed'")
    expect(seed).to_have_value("42")
    expect_chat_ready(page, LOAD_MS)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(SEEDED_QUESTION)
    box.press("Enter")
    return _chat_reply_done(page, SEEDED_QUESTION)


def _lesson_link(page, base_url: str) -> str:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="🔗 Link to this").click()
    code = sidebar.get_by_test_id("stCode")
    expect(code).to_be_visible(timeout=LOAD_MS)
    expect_idle(page, LOAD_MS)
    link = code.inner_text().strip()
    assert link.startswith(f"{base_url}/Chat?") and "me=" not in link, link
    assert "seed=42" in link and "ask=" in link and f"max_new_tokens={SHORT_REPLY}" in link, link
    return link


def test_the_same_seeded_reply_after_the_server_restarts(chromium_browser, artifacts_dir):
    with serve_app("streamlit-seeded-first.log") as first_url:
        context = chromium_browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            before = _ask_chat_with_fixed_seed(page, first_url)
            link = _lesson_link(page, first_url)
            _screenshot(page, artifacts_dir / "model-pool-seeded-first-server.png")
        finally:
            context.close()
    assert "seed 42" in before["line"], before
    print(f"\nfirst server: {before['line']!r}: {before['text']!r}\nlink: {link}")

    with serve_app("streamlit-seeded-second.log") as second_url:
        contexts = [chromium_browser.new_context(viewport=VIEWPORT) for _ in range(2)]
        try:
            asked = contexts[0].new_page()
            asked.set_default_timeout(30_000)
            again = _ask_chat_with_fixed_seed(asked, second_url)
            _screenshot(asked, artifacts_dir / "model-pool-seeded-second-server.png")

            opened = contexts[1].new_page()
            opened.set_default_timeout(30_000)
            opened.goto(second_url + link[len(first_url):], wait_until="domcontentloaded")
            from_link = _chat_reply_done(opened, SEEDED_QUESTION)
            _screenshot(opened, artifacts_dir / "model-pool-seeded-second-server-link.png")
        finally:
            for context in contexts:
                context.close()
    print(f"second server, asked: {again['line']!r}: {again['text']!r}")
    print(f"second server, link: {from_link['line']!r}: {from_link['text']!r}")
    assert again["text"] == before["text"], (
        f"the seeded reply changed after the restart:\nfirst server:  {before['text']!r}\nsecond server: {again['text']!r}")
    assert from_link["text"] == before["text"], (
        f"the lesson link's reply on the restarted server differs:\nfirst server:  {before['text']!r}\n"
        f"from the link: {from_link['text']!r}")
