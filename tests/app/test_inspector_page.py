"""The Token Inspector through AppTest: paste and score, select a token, fork, open a chat reply, compare."""

import html
import re

import pytest

PAGE = "app_pages/3_Token_Inspector.py"


@pytest.fixture
def insp(open_page):
    return open_page(PAGE, 8)


def click(at, label):
    next(b for b in at.button if label in b.label).click().run()
    assert not at.exception, at.exception


def html_blocks(at):
    return [h.proto.body for h in at.get("html")]


def test_paste_score_and_select_a_token(insp, bundled):
    text = "The cat sat on the mat. <script>alert(1)</script>"
    insp.text_area(key="insp_text").set_value(text)
    click(insp, "Inspect")
    metrics = {m.label: m.value for m in insp.metric}
    assert metrics["Tokens"] == str(len(bundled.encode(text)))
    assert float(metrics["Perplexity"]) > 1
    coloured = next(b for b in html_blocks(insp) if "mm-text" in b)
    # The only tags are our own divs and spans; the text inside them reads exactly as pasted.
    assert set(re.findall(r"<(/?[a-z]+)", coloured)) == {"div", "/div", "span", "/span"}
    assert html.unescape(re.sub(r"<[^>]+>", "", coloured)) == text
    insp.selectbox(key="insp_selected").set_value(3).run()
    metrics = {m.label: m.value for m in insp.metric}
    assert "Rank" in metrics and "Entropy" in metrics and metrics["Probability (model)"]
    assert 'data-index="3"' in next(b for b in html_blocks(insp) if "mm-text" in b)


def test_blank_text_gets_a_hint(insp):
    insp.text_area(key="insp_text").set_value("   ")
    click(insp, "Inspect")
    assert any("nothing to inspect" in i.value for i in insp.info)


def test_fork_continues_from_an_alternative(insp, bundled):
    insp.text_area(key="insp_text").set_value("Once upon a time there was a mirror")
    click(insp, "Inspect")
    insp.selectbox(key="insp_selected").set_value(2).run()
    before = insp.session_state["inspector_current"]["ids"]
    click(insp, "Continue from here")
    current = insp.session_state["inspector_current"]
    assert current["origin"] == "fork"
    assert current["ids"][:2] == before[:2] and current["ids"][2] != before[2]
    assert len(current["ids"]) > 3
    assert current["sampler_probs"][2] is None and all(p is not None for p in current["sampler_probs"][3:])
    assert insp.text_area(key="insp_text").value == current["text"]
    assert any("fork" in c.value for c in insp.caption)


def test_a_chat_reply_opens_with_its_own_probabilities(insp, bundled):
    insp.switch_page("app_pages/1_Chat.py").run()
    insp.chat_input(key="chat_box").set_value("Name a colour.").run()
    turn = insp.session_state["mirror_conversation"].turns[1]
    insp.button(key=f"inspect_{turn.id}").click().run()
    assert not insp.exception, insp.exception
    current = insp.session_state["inspector_current"]
    assert current["origin"] == "chat" and current["ids"] == [s["token_id"] for s in turn.reply.steps]
    # Scored in the context of the chat prompt, the model's probabilities are the ones it had while writing.
    from mirror.services.scoring import score_ids
    score = score_ids(bundled, current["ids"], context=current["context"])
    for token, step in zip(score.tokens, turn.reply.steps):
        assert token.prob == pytest.approx(step["raw_prob"], rel=1e-3, abs=1e-6)
        assert token.rank == step["rank"]
    assert any("Probability (sampler)" == m.label for m in insp.metric)


def test_compare_two_texts(insp):
    insp.text_area(key="insp_text").set_value("The sun rises in the east and sets in the west.")
    click(insp, "Inspect")
    insp.text_area(key="insp_compare_text").set_value("Purple elephants negotiate quantum marmalade treaties.")
    click(insp, "Compare")
    labels = [m.label for m in insp.metric]
    assert labels.count("Perplexity") >= 3  # the main summary plus one per compared text
