"""Inside the Mirror in a real browser: a chat reply opened with its prompt, a click on one head of the
attention grid opens that head, and ranking the prompt's words draws their influence."""

from __future__ import annotations

import re

import pytest
from pagekit import expect, expect_idle, expect_shown, reply_after
from test_chat_browser import ANSWER_TIMEOUT_MS, _open_chat, _reply_done, _screenshot, _send, _set_max_new_tokens

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "Name a colour."
REPLY_TOKENS = 12
# Where a click lands on the attention grid: a share of the chart's width and height. The grid is
# laid out heads across and blocks down, so the middle opens a head in the middle of a middle block.
CLICK_AT = (0.52, 0.55)
HEAD_HEADING = re.compile(r"Block (\d+), head (\d+)")


def _open_reply_inside(page, base_url: str) -> None:
    _open_chat(page, base_url)
    _set_max_new_tokens(page, REPLY_TOKENS)
    _send(page, QUESTION)
    reply_after(page, 0, QUESTION, ANSWER_TIMEOUT_MS)
    _reply_done(page, 0, QUESTION)
    page.get_by_role("button", name="🔬 Look inside").first.click()
    expect(page).to_have_url(re.compile(r"/Inside_the_Mirror(\?|$)"), timeout=ANSWER_TIMEOUT_MS)
    expect_shown(page, page.get_by_text("Looking inside a Chat reply"), ANSWER_TIMEOUT_MS)
    expect_idle(page, ANSWER_TIMEOUT_MS)


def _head_heading(page) -> tuple[int, int]:
    heading = page.get_by_text(HEAD_HEADING).first
    expect_shown(page, heading, ANSWER_TIMEOUT_MS)
    block, head = HEAD_HEADING.search(heading.inner_text()).groups()
    return int(block), int(head)


def test_a_chat_reply_looked_inside_and_a_clicked_head_opens(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    _open_reply_inside(page, streamlit_server)
    # The Tokens tab shows the chat template's special tokens the model read before the reply.
    expect_shown(page, page.get_by_text("<|im_start|>").first, ANSWER_TIMEOUT_MS)
    _screenshot(page, artifacts_dir / "inside-tokens.png")

    page.get_by_role("tab", name="🔭 Logit lens").click()
    expect_shown(page, page.get_by_text("Commitment strip"), ANSWER_TIMEOUT_MS)
    expect_idle(page, ANSWER_TIMEOUT_MS)
    _screenshot(page, artifacts_dir / "inside-lens.png")

    page.get_by_role("tab", name="👀 Attention").click()
    grid = page.get_by_test_id("stVegaLiteChart").first
    expect_shown(page, grid, ANSWER_TIMEOUT_MS)
    expect_idle(page, ANSWER_TIMEOUT_MS)
    assert _head_heading(page) == (1, 1)
    canvas = grid.locator("canvas, svg").first
    expect_shown(page, canvas, ANSWER_TIMEOUT_MS)
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * CLICK_AT[0], box["y"] + box["height"] * CLICK_AT[1])
    # The click picked a block and head in the middle of the grid; the big heatmap is now that head.
    expect(page.get_by_text(HEAD_HEADING).first).not_to_have_text(re.compile(r"Block 1, head 1\b"),
                                                                 timeout=ANSWER_TIMEOUT_MS)
    expect_idle(page, ANSWER_TIMEOUT_MS)
    block, head = _head_heading(page)
    assert 5 <= block <= 26 and 3 <= head <= 7, (block, head)
    expect(page.get_by_role("spinbutton", name="Block")).to_have_value(str(block))
    expect(page.get_by_role("spinbutton", name="Head")).to_have_value(str(head))
    _screenshot(page, artifacts_dir / "inside-attention.png")


def test_ranking_the_words_of_a_text_draws_their_influence(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    page.goto(f"{streamlit_server}/Inside_the_Mirror")
    expect_shown(page, page.get_by_role("tab", name="✂️ What each word did"), ANSWER_TIMEOUT_MS)
    expect_idle(page, ANSWER_TIMEOUT_MS)
    page.get_by_role("tab", name="✂️ What each word did").click()
    rank = page.get_by_role("button", name="🏅 Rank every word")
    expect_shown(page, rank, ANSWER_TIMEOUT_MS)
    expect_idle(page, ANSWER_TIMEOUT_MS)
    rank.click()
    # Before the ranking this tab has no table; after it, the words ranked by influence, with their chart.
    panel = page.get_by_role("tabpanel", name="✂️ What each word did")
    expect_shown(page, panel.get_by_test_id("stDataFrame"), ANSWER_TIMEOUT_MS)
    expect_idle(page, ANSWER_TIMEOUT_MS)
    expect(panel.get_by_test_id("stVegaLiteChart")).to_have_count(1)
    _screenshot(page, artifacts_dir / "inside-ablation.png")
