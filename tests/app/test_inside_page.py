"""Inside the Mirror through AppTest with the bundled model: its example, a typed text, the caps, the links
from a chat reply and from the Token Inspector, and a remote server that has no insides to show.

The figures checked here are computed again by the test from the bundled model (its own logits, its own
eager attention), not read back from the page's services.
"""

from contextlib import contextmanager

import pytest
import torch
from streamlit.testing.v1 import AppTest

from mirror.config import MAX_TEXT_CHARS
from mirror.services.inside.look import ATTENTION_MAX_TOKENS, LENS_MAX_TOKENS, forget_looks
from mirror.services.prompts import Message, context_ids
from mirror.services.scoring import start_token_id
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.inside.charts import position_label
from mirror.ui.inside.page import EXAMPLE, TABS
from tests.app.apptest_kit import press
from tests.app.conftest import HOME
from tests.fakes.fake_openai import FakeOpenAI

PAGE = "app_pages/7_Inside_the_Mirror.py"
CHAT = "app_pages/1_Chat.py"
INSPECTOR = "app_pages/3_Token_Inspector.py"
TITLE = "🔬 Inside the Mirror"
LOOK = "🔬 Look inside"
TOKENS = 4  # short chat replies keep the suite fast


@pytest.fixture
def inside(open_page):
    forget_looks()  # the kept looks are per process: every test starts with none
    return open_page(PAGE, TOKENS)


def app_model(at):
    """The model the app itself runs (one per process, through st.cache_resource): not the `bundled` fixture."""
    return at.session_state[state.FRAME][0]


@contextmanager
def forward_passes(at):
    """Counts the forward passes of the app's model (a hook on the whole model fires once per pass)."""
    calls = []
    hook = app_model(at).model.register_forward_hook(lambda *_: calls.append(1))
    try:
        yield calls
    finally:
        hook.remove()


def look_at(at, text):
    at.text_area(key=state.INSIDE_TEXT).set_value(text)
    return press(at, LOOK)


def open_tab(at, index):
    at.session_state["inside_tab"] = TABS[index]  # tabs are lazy: only the open one draws
    at.run()
    assert not at.exception, at.exception
    assert [bool(t.children) for t in at.tabs] == [i == index for i in range(len(TABS))]
    return at


def tokens_table(at):
    return next(d.value for d in at.dataframe if "vocabulary entry" in d.value.columns)


def position(at):
    return at.select_slider(key=state.INSIDE_POSITION).value


def captions(at):
    return [c.value for c in at.caption]


def at_caption(at):
    """The caption under the position picker: where it is and what came next."""
    return next(c for c in captions(at) if c.startswith("At #"))


def document(bundled, text):
    return [start_token_id(bundled.tokenizer)] + bundled.encode(text)


def reference_logits(bundled, ids):
    """The bundled model's own logits for `ids` (float32), one plain forward pass."""
    def run():
        with torch.inference_mode():
            return bundled.model(input_ids=torch.tensor([ids], device=bundled.device)).logits[0].float().cpu()
    return bundled.run(run)


def reference_attention(bundled, ids, block, head):
    """transformers' own eager attention weights of one head of the bundled model: (positions, positions)."""
    def run():
        model = bundled.model
        before = model.config._attn_implementation
        model.set_attn_implementation("eager")
        try:
            with torch.inference_mode():
                out = model(input_ids=torch.tensor([ids], device=bundled.device), output_attentions=True,
                            use_cache=False)
        finally:
            model.set_attn_implementation(before)
        return out.attentions[block][0, head].float().cpu()
    return bundled.run(run)


def test_the_page_opens_on_its_example_with_tabs_and_figures(inside, bundled):
    at = inside
    assert [x.value for x in at.title] == [TITLE]
    assert [t.label for t in at.tabs] == TABS
    ids = document(bundled, EXAMPLE)
    assert at.text_area(key=state.INSIDE_TEXT).value == EXAMPLE
    slider = at.select_slider(key=state.INSIDE_POSITION)
    assert len(slider.options) == len(ids) and position(at) == len(ids) - 1  # starts at the last token
    # Tokens tab: the table and the chips are the tokenizer's, after the document-start token.
    table = tokens_table(at)
    assert table["id"].tolist() == ids
    assert table["vocabulary entry"].tolist() == bundled.tokenizer.convert_ids_to_tokens(ids)
    assert table["special"].tolist() == [True] + [False] * (len(ids) - 1)
    chips = next(h.proto.body for h in at.get("html") if "mm-chip" in h.proto.body)
    assert all(f'data-id="{i}"' in chips for i in ids)
    # Logit lens: two charts, and at the output layer the lens is the model's own softmax.
    open_tab(at, 1)
    assert len(at.get("vega_lite_chart")) == 2  # the heatmap and the commitment strip
    logits = reference_logits(bundled, ids)[-1]
    probs = torch.softmax(logits, dim=-1)
    top = int(probs.argmax())
    at.slider(key=state.INSIDE_LAYER).set_value(at.slider(key=state.INSIDE_LAYER).max).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Lens probability"]) == pytest.approx(float(probs[top]), abs=2e-4)
    assert metrics["Rank there"] == "1"
    top5 = next(d.value for d in at.dataframe if "#1" in d.value.columns)
    assert top5["layer"].iloc[0].endswith("output")
    assert top5["#1"].iloc[0].startswith(visible_whitespace(bundled.token_strings([top])[0]))
    # Attention: the block x head grid, one head in full and the block means.
    open_tab(at, 2)
    assert len(at.get("vega_lite_chart")) == 3
    assert [n.key for n in at.number_input] == [state.INSIDE_BLOCK, state.INSIDE_HEAD]


def test_a_typed_text_is_looked_at_once_and_moving_around_runs_no_forward_pass(inside, bundled):
    at = inside
    text = "The cat sat on the mat because it was tired."
    ids = document(bundled, text)
    with forward_passes(at) as calls:
        look_at(at, text)
        assert len(calls) == 1  # one forward pass for the new text (the hook is on the app's model)
        assert tokens_table(at)["id"].tolist() == ids
        assert at.session_state[state.INSIDE_CURRENT]["ids"] == ids
        assert len(at.select_slider(key=state.INSIDE_POSITION).options) == len(ids)
        assert position(at) == len(ids) - 1
        at.select_slider(key=state.INSIDE_POSITION).set_value(3).run()
        open_tab(at, 1)
        at.slider(key=state.INSIDE_LAYER).set_value(2).run()
        open_tab(at, 2)
        at.number_input(key=state.INSIDE_BLOCK).set_value(5).run()
        at.number_input(key=state.INSIDE_HEAD).set_value(3).run()
        at.select_slider(key=state.INSIDE_POSITION).set_value(5).run()
        at.run()
        assert not at.exception, at.exception
        assert len(calls) == 1  # seven reruns, three tabs, new positions, layer, block and head: no pass
    tokens = bundled.token_strings(ids)
    here = position_label(5, tokens[5])
    assert f"At {here}; came next: {visible_whitespace(tokens[6])}." in at_caption(at)
    assert any(m.value.startswith("**Block 5, head 3**") for m in at.markdown)
    # The head's caption lists the three tokens it looks at most, with transformers' own eager weights.
    row = reference_attention(bundled, ids, 4, 2)[5, :6]
    assert float(row.sum()) == pytest.approx(1.0, abs=1e-4)
    best = sorted(range(6), key=lambda j: float(row[j]), reverse=True)[:3]
    expected = f"At {here} this head looks most at " + ", ".join(
        f"{position_label(j, tokens[j])} ({float(row[j]):.2f})" for j in best) + "."
    assert expected in captions(at)


def test_an_empty_text_gets_a_hint(inside, bundled):
    with forward_passes(inside) as calls:
        look_at(inside, "   ")
    assert "Type or paste a text first: there is nothing to look at yet." in [i.value for i in inside.info]
    assert not inside.error and len(calls) == 0
    assert tokens_table(inside)["id"].tolist() == document(bundled, EXAMPLE)  # the example is still shown


def test_texts_over_the_character_and_token_caps_get_clear_errors(inside, bundled):
    at = inside
    with forward_passes(at) as calls:
        # The text box keeps MAX_TEXT_CHARS characters (the browser's box and Streamlit's server both cut there),
        # so a longer paste is looked at as its first MAX_TEXT_CHARS characters: still far over the lens cap.
        look_at(at, "a" * (MAX_TEXT_CHARS + 5))
        kept = at.text_area(key=state.INSIDE_TEXT).value
        assert kept == "a" * MAX_TEXT_CHARS
        assert [e.value for e in at.error] == [f"Cannot look inside this text: the lens reads up to {LENS_MAX_TOKENS} "
                                               f"tokens; this text has {len(document(bundled, kept))}."]
        assert not at.tabs and not at.select_slider
        # Under the character cap but over the lens cap: the lens's own limit, with this text's token count.
        text = "mirror " * 600
        tokens = len(document(bundled, text))
        assert tokens > LENS_MAX_TOKENS and len(text) < MAX_TEXT_CHARS
        look_at(at, text)
        assert [e.value for e in at.error] == [
            f"Cannot look inside this text: the lens reads up to {LENS_MAX_TOKENS} tokens; this text has {tokens}."]
        assert not at.tabs and not at.select_slider
        assert len(calls) == 0  # refused before any forward pass


def test_a_text_over_the_attention_cap_keeps_the_lens_and_explains_attention(inside, bundled):
    at = inside
    text = "mirror " * 300
    tokens = len(document(bundled, text))
    assert ATTENTION_MAX_TOKENS < tokens <= LENS_MAX_TOKENS
    look_at(at, text)
    assert not at.error and len(tokens_table(at)) == tokens
    open_tab(at, 2)
    assert [i.value for i in at.info] == [
        f"Attention weights are kept for texts up to {ATTENTION_MAX_TOKENS} tokens (they take blocks × heads × "
        f"tokens² numbers); this one has {tokens}. Shorten the text to see them; the lens and the other tabs work "
        "up to the lens cap."]
    assert not at.get("vega_lite_chart") and not at.number_input
    open_tab(at, 1)
    assert len(at.get("vega_lite_chart")) == 2  # the lens still works


def test_a_chat_reply_opens_inside_with_its_prompt(open_page, bundled):
    forget_looks()
    at = open_page(CHAT, TOKENS)
    message = "Name a colour."
    at.chat_input(key="chat_box").set_value(message).run()
    assert not at.exception, at.exception
    turn = at.session_state["mirror_conversation"].turns[1]
    reply = [s["token_id"] for s in turn.reply.steps]
    assert 0 < len(reply) <= TOKENS
    at.button(key=f"inside_{turn.id}").click().run()
    assert not at.exception, at.exception
    assert [x.value for x in at.title] == [TITLE]
    # The prompt the reply answered: the conversation's system prompt and the message, in the chat template;
    # exactly as many tokens as the reply says its prompt had.
    system = at.session_state["mirror_conversation"].system_prompt
    assert system.strip()
    prompt = context_ids(bundled, [Message("system", system), Message("user", message)])
    assert len(prompt) == turn.reply.prompt_tokens
    ids = prompt + reply
    assert any(c.startswith("Looking inside a Chat reply: the reply “") for c in captions(at))
    assert at.session_state[state.INSIDE_CURRENT]["ids"] == ids
    assert tokens_table(at)["id"].tolist() == ids
    # It opens at the position that read the end of the prompt and predicted the reply's first token.
    assert position(at) == len(prompt) - 1
    first = visible_whitespace(bundled.token_strings([reply[0]])[0])
    assert f"came next: {first}." in at_caption(at)
    assert at.text_area(key=state.INSIDE_TEXT).value == bundled.decode(reply)
    # Away and back: the box still holds the reply (not the example) and the same sequence is looked at.
    at.switch_page("app_pages/0_Home.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.text_area(key=state.INSIDE_TEXT).value == bundled.decode(reply)
    assert tokens_table(at)["id"].tolist() == ids
    assert any(c.startswith("Looking inside a Chat reply") for c in captions(at))


def test_an_inspected_token_opens_inside_at_the_position_that_predicted_it(open_page, bundled):
    forget_looks()
    at = open_page(INSPECTOR, TOKENS)
    text = "Once upon a time there was a mirror."
    at.text_area(key="insp_text").set_value(text)
    press(at, "🔍 Inspect")
    chosen = 3
    at.selectbox(key="insp_selected").set_value(chosen).run()
    assert not at.exception, at.exception
    press(at, "🔬 Look inside at this token")
    assert [x.value for x in at.title] == [TITLE]
    ids = document(bundled, text)
    assert at.session_state[state.INSIDE_CURRENT]["ids"] == ids
    assert tokens_table(at)["id"].tolist() == ids
    # Token #3 of the text sits at position 4 (after the document start); position 3 predicted it.
    assert position(at) == chosen
    assert ids[position(at) + 1] == bundled.encode(text)[chosen]
    came = visible_whitespace(bundled.token_strings([bundled.encode(text)[chosen]])[0])
    assert f"came next: {came}." in at_caption(at)
    assert at.text_area(key=state.INSIDE_TEXT).value == text  # the box holds the inspected text


def test_a_remote_server_has_no_insides_to_show(monkeypatch, tmp_path):
    with FakeOpenAI(["Hello", " there"]) as server:
        monkeypatch.setenv("MIRROR_BACKEND_URL", server.url)
        monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'm.sqlite3'}")
        at = AppTest.from_file(HOME, default_timeout=60)
        at.run()
        at.switch_page(CHAT).run()
        at.chat_input(key="chat_box").set_value("Hi").run()
        assert not at.exception, at.exception
        turn = at.session_state["mirror_conversation"].turns[1]
        keys = [b.key for b in at.button]
        assert f"inspect_{turn.id}" in keys and f"inside_{turn.id}" not in keys  # no link to a page it cannot fill
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        assert [x.value for x in at.title] == [TITLE]
        notes = [i.value for i in at.info]
        assert len(notes) == 1 and "remote inference server" in notes[0]
        assert "not the model's hidden states or attention weights" in notes[0]
        assert not at.tabs and not at.select_slider and not at.error


def test_a_native_runtime_offers_the_torch_copy_of_its_weights(bundled, monkeypatch):
    """MIRROR_RUNTIME=llamacpp gives no hidden states: the page says why, and on request looks inside the torch
    copy of the same bundled weights (the Chat keeps the native runtime)."""
    pytest.importorskip("llama_cpp")
    from mirror.models.pool import shared_pool

    monkeypatch.setenv("MIRROR_RUNTIME", "llamacpp")
    forget_looks()
    try:
        at = AppTest.from_file(HOME, default_timeout=300)
        at.run()
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        if app_model(at).info.runtime == "torch":
            pytest.skip(f"llama.cpp was refused on this machine: {app_model(at).info.note}")
        assert "the llamacpp runtime computes inside native code" in " ".join(w.value for w in at.warning)
        assert not at.tabs
        press(at, "Load the torch copy of the same weights")
        assert "Looking inside the torch copy" in " ".join(c.value for c in at.caption)
        assert [t.label for t in at.tabs] == TABS
        ids = [start_token_id(bundled.tokenizer)] + bundled.encode(EXAMPLE)
        assert tokens_table(at)["id"].tolist() == ids
        assert app_model(at).info.runtime == "llamacpp"  # the shared model is still the native one
        assert shared_pool().get(runtime="torch") is bundled  # the torch copy was the pooled model, not a new load
    finally:
        shared_pool().unload(runtime="llamacpp")


def test_a_gpt2_model_chosen_in_the_sidebar_is_looked_inside(inside, tiny_gpt2_dir, monkeypatch):
    """A GPT-2 (here a tiny one from a local folder) has other module names (transformer.ln_f, c_attn):
    the page reads its 2 blocks x 4 heads the same way, and the lens caps at its 64-token window."""
    monkeypatch.setenv("MIRROR_ALLOW_ANY_MODEL", "1")  # shows the sidebar's model box
    inside.run()
    inside.text_input(key="ctl_model").set_value(str(tiny_gpt2_dir)).run()
    assert not inside.exception, inside.exception
    lm = app_model(inside)
    assert type(lm.model).__name__ == "GPT2LMHeadModel"
    assert "2 blocks × 4 heads" in " ".join(c.value for c in inside.caption)
    open_tab(inside, 2)
    assert [n.max for n in inside.number_input] == [2, 4]
    look_at(inside, "mirror " * 80)
    assert "up to 64 tokens" in " ".join(e.value for e in inside.error)


def test_a_text_as_a_chat_message_shows_the_chat_template(inside, bundled):
    inside.toggle(key="inside_as_chat").set_value(True)
    look_at(inside, "Who is the fairest?")
    ids = context_ids(bundled, [Message("user", "Who is the fairest?")])
    assert tokens_table(inside)["id"].tolist() == ids
    table = tokens_table(inside)
    assert "<|im_start|>" in table[table["special"]]["vocabulary entry"].tolist()
    assert "your text as a chat message" in " ".join(c.value for c in inside.caption)
