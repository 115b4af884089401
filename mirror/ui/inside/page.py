"""The Inside the Mirror page: one token sequence, looked at from the inside.

The sequence is a text typed here (after the document-start token, as the Token Inspector scores
it), or one handed over by the Chat or the Token Inspector with the prompt it continued. One forward
pass gives the lens and the attention; every tab and every position reads that one result.
"""

from __future__ import annotations

import streamlit as st

from mirror.config import MAX_TEXT_CHARS
from mirror.engine.forward import InternalsUnavailable
from mirror.engine.sampling import SamplingParams
from mirror.models import LoadedModel, ModelLoadError
from mirror.services.inside.look import ATTENTION_MAX_TOKENS, LENS_MAX_TOKENS, Look, check_reachable, document_ids, look_inside
from mirror.services.prompts import Message, context_ids
from mirror.services.remote import RemoteModel
from mirror.services.scoring import start_token_id
from mirror.text import escape_markdown, visible_whitespace
from mirror.ui import state
from mirror.ui.inside import charts
from mirror.ui.inside.ablation import ablation_view
from mirror.ui.inside.attention import attention_view
from mirror.ui.inside.lens import lens_view
from mirror.ui.inside.tokens import languages_view, tokens_view
from mirror.ui.loader import torch_copy

EXAMPLE = "Mirror, mirror on the wall, who is the fairest of them all? The mirror said: the one who asks."
INTRO = ("A look inside the model while it reads: the tokens it sees, what each layer would predict (the logit lens), "
         "where every attention head looks, and which words really changed its mind. Every number here is computed "
         f"from the model for this very text. The lens reads up to {LENS_MAX_TOKENS} tokens, attention up to "
         f"{ATTENTION_MAX_TOKENS}.")
INSIDE_AS_CHAT = "inside_as_chat"
TABS = ["🔤 Tokens", "🔭 Logit lens", "👀 Attention", "✂️ What each word did"]
ORIGINS = {"chat": "a Chat reply", "explorer": "the Parameter Explorer", "fork": "a fork", "paste": "your text"}


def _look_at_text() -> None:
    """The button: the text box's text becomes the sequence looked at (or a notice says why not)."""
    text = st.session_state.get(state.INSIDE_TEXT, "")
    if not text.strip():
        st.session_state[state.INSIDE_NOTICE] = ("info", "Type or paste a text first: there is nothing to look at yet.")
        return
    if len(text) > MAX_TEXT_CHARS:
        st.session_state[state.INSIDE_NOTICE] = ("error", f"The text has {len(text):,} characters; this page takes up "
                                                 f"to {MAX_TEXT_CHARS:,} (and {LENS_MAX_TOKENS} tokens).")
        return
    st.session_state[state.INSIDE_CURRENT] = {"text": text, "origin": "paste",
                                              "chat": bool(st.session_state.get(INSIDE_AS_CHAT))}
    state.INSIDE_VALUES.set("position", None)  # a new text: start at its last position


def _current(lm: LoadedModel) -> dict:
    """The sequence to look at: handed over by another page (its ids as that model read them), or this
    page's text, tokenized by the model in use on every run (the sidebar may change the model)."""
    source = state.take_inside_source()
    if source is not None:
        ids = list(source.ids)
        cut = max(0, len(ids) - LENS_MAX_TOKENS)
        # The text is kept with the sequence: the box forgets its value while another page is open.
        text = lm.decode(ids[max(cut, source.text_start):])
        st.session_state[state.INSIDE_CURRENT] = {
            "text": text, "ids": ids[cut:], "text_start": max(0, source.text_start - cut), "origin": source.origin,
            "label": source.label, "cut": cut, "model": lm.info.name}
        state.INSIDE_VALUES.set("position", max(0, source.position - cut))
        st.session_state[state.INSIDE_TEXT] = text
    current = st.session_state.setdefault(state.INSIDE_CURRENT, {"text": EXAMPLE, "origin": "paste", "chat": False})
    if current.get("model") not in (None, lm.info.name):
        st.info(f"These tokens were handed over from {current['model']}; the model is now {lm.info.name}, so its "
                "text is read again as a plain text.")
        current = {"text": current["text"], "origin": "paste", "chat": False}
        st.session_state[state.INSIDE_CURRENT] = current
    if "model" not in current:  # this page's own text
        if not current["text"].strip():
            current["text"] = EXAMPLE
        if current.get("chat"):
            current["ids"] = context_ids(lm, [Message("user", current["text"])])
            current["label"] = "your text as a chat message, in the model's chat template"
            current["text_start"] = 0
        else:
            current["ids"] = document_ids(lm, current["text"])
            current["text_start"] = int(start_token_id(lm.tokenizer) is not None)  # after the start token
    return current


def _model_for_insides(lm: LoadedModel) -> LoadedModel | None:
    """This model, or for a native runtime the torch copy of the same weights when the visitor asks."""
    try:
        check_reachable(lm)
        return lm
    except InternalsUnavailable as reason:
        st.warning(f"The insides of this model cannot be reached: {reason}.")
    if lm.info.source != "bundled":
        return None
    if not st.session_state.get(state.INSIDE_TORCH_COPY):
        st.caption("The same weights can be loaded in torch for this page (it takes a few seconds and some memory; "
                   "the Chat keeps using the native runtime).")
        if st.button("Load the torch copy of the same weights", type="primary"):
            st.session_state[state.INSIDE_TORCH_COPY] = True
            st.rerun()
        return None
    try:
        with st.spinner("Loading the torch copy of the bundled weights…"):
            copy = torch_copy(lm.info.name)
    except ModelLoadError as error:
        st.error(f"The torch copy could not be loaded: {error}")
        return None
    st.caption(f"Looking inside the torch copy of {copy.info.name} (the same weights as the {lm.info.runtime} runtime).")
    return copy


def _position_picker(look: Look, current: dict) -> int:
    labels = [charts.position_label(p, t) for p, t in enumerate(look.tokens)]
    key = state.INSIDE_VALUES.key("position")
    if not isinstance(st.session_state.get(key), int) or not 0 <= st.session_state[key] < look.positions:
        state.INSIDE_VALUES.set("position", look.positions - 1)
    position = st.select_slider(
        "Position: the token the model has just read (it predicts the next one)", options=range(look.positions),
        key=key, format_func=lambda p: labels[p])
    came = (f"came next: {visible_whitespace(look.tokens[position + 1])}" if position + 1 < look.positions
            else "the end of the text: nothing came yet")
    st.caption(f"At {labels[position]}; {came}. Layer 0 is the embeddings, layer {look.blocks} the model's output "
               f"({look.blocks} blocks{f' × {look.heads} heads' if look.heads else ''}).")
    return position


def _text_box(current: dict) -> None:
    st.session_state.setdefault(state.INSIDE_TEXT, current.get("text", EXAMPLE))
    st.text_area("Text to look inside", key=state.INSIDE_TEXT, height=100, max_chars=MAX_TEXT_CHARS,
                 help="Any text; or open a chat reply or an inspected token here with its 🔬 button.")
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.button("🔬 Look inside", type="primary", on_click=_look_at_text)
    right.toggle("As a chat message (shows the chat template)", key=INSIDE_AS_CHAT,
                 help="Wrap the text as one user turn of a chat, as the Chat page sends it, so the special tokens "
                      "of the chat template are part of what the model reads.")
    notice = st.session_state.pop(state.INSIDE_NOTICE, None)
    if notice:
        getattr(st, notice[0])(notice[1])


def inside_page(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    if isinstance(lm, RemoteModel):
        st.info("This app talks to a remote inference server: it sends back text and a few log-probabilities, not "
                "the model's hidden states or attention weights, so there is nothing inside to show here. Run the app "
                "with its own model (unset MIRROR_BACKEND_URL) to use this page.")
        return
    st.caption(INTRO)
    inner = _model_for_insides(lm)
    if inner is None:
        return
    current = _current(inner)
    _text_box(current)
    if current.get("label"):
        cut = f" The oldest {current['cut']} tokens of its prompt were left out (lens cap)." if current.get("cut") else ""
        st.caption(f"Looking inside {ORIGINS.get(current['origin'], current['origin'])}: {escape_markdown(current['label'])}, with the "
                   f"prompt it continued, exactly as the model read it.{cut}")
    try:
        with st.spinner("One forward pass, keeping every layer and every head…"):
            look = look_inside(inner, current["ids"])
    except (InternalsUnavailable, ValueError) as error:
        st.error(f"Cannot look inside this text: {error}.")
        return
    position = _position_picker(look, current)
    tabs = st.tabs(TABS, key="inside_tab", on_change="rerun")
    bodies = [lambda: _tokens_tab(inner, look), lambda: lens_view(inner, look, position, params),
              lambda: attention_view(look, position),
              lambda: ablation_view(inner, list(look.token_ids), _default_split(current, look))]
    for tab, body in zip(tabs, bodies):
        if tab.open is False:  # lazy: only the open tab draws
            continue
        with tab:
            try:
                body()
            except ValueError as error:
                st.error(f"That does not work here: {error}")


def _tokens_tab(lm: LoadedModel, look: Look) -> None:
    tokens_view(lm, list(look.token_ids))
    with st.expander("🌍 The same sentence in two languages", expanded=False):
        languages_view(lm)


def _default_split(current: dict, look: Look) -> int:
    """Where the prompt ends for ablation: the handed text's start (a chat reply), else the word start
    nearest the middle."""
    start = current.get("text_start", 0)
    if current["origin"] != "paste" and 1 <= start < look.positions:
        return start
    middle = (look.positions + 1) // 2
    starts = [p for p in range(2, look.positions) if look.tokens[p][:1].isspace()]
    return min(starts, key=lambda p: abs(p - middle)) if starts else max(1, min(look.positions - 1, middle))
