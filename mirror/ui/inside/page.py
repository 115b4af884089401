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
from mirror.i18n import LANGUAGES, fmt_int, t, text_of, tn
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

INSIDE_AS_CHAT = "inside_as_chat"
TAB_KEYS = ("tokens", "lens", "attention", "ablation")
ORIGINS = ("chat", "explorer", "fork", "paste")
# The English texts (tests and other code compare with them); the page shows them in the run's language.
EXAMPLE = text_of("inside.example").en
TABS = [text_of(f"inside.tab.{key}").en for key in TAB_KEYS]
EXAMPLES = {getattr(text_of("inside.example"), language) for language in LANGUAGES}


def example() -> str:
    """The text the page opens with, in the visitor's language."""
    return t("inside.example")


def tab_labels() -> list[str]:
    return [t(f"inside.tab.{key}") for key in TAB_KEYS]


def _origin(origin: str) -> str:
    return t(f"inside.origin.{origin}") if origin in ORIGINS else origin


def _notice(kind: str, key: str, count: int | None = None, **fields: object) -> None:
    """A notice for the next draw of the text box, kept as its key: a callback runs before the run's language is set."""
    st.session_state[state.INSIDE_NOTICE] = (kind, key, count, fields)


def _show_notice() -> None:
    notice = st.session_state.pop(state.INSIDE_NOTICE, None)
    if not notice:
        return
    kind, key, count, fields = notice
    getattr(st, kind)(t(key, **fields) if count is None else tn(key, count, **fields))


def _look_at_text() -> None:
    """The button: the text box's text becomes the sequence looked at (or a notice says why not)."""
    text = st.session_state.get(state.INSIDE_TEXT, "")
    if not text.strip():
        _notice("info", "inside.notice.empty")
        return
    if len(text) > MAX_TEXT_CHARS:
        _notice("error", "inside.notice.too_long", len(text), limit=fmt_int(MAX_TEXT_CHARS), lens=fmt_int(LENS_MAX_TOKENS))
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
    current = st.session_state.setdefault(state.INSIDE_CURRENT, {"text": example(), "origin": "paste", "chat": False})
    if current.get("model") not in (None, lm.info.name):
        st.info(t("inside.handed_over", model=current["model"], now=lm.info.name))
        current = {"text": current["text"], "origin": "paste", "chat": False}
        st.session_state[state.INSIDE_CURRENT] = current
    if "model" not in current:  # this page's own text
        if not current["text"].strip() or current["text"] in EXAMPLES - {example()}:
            # Nothing, or the example in another language (the visitor switched): the example in this one.
            if st.session_state.get(state.INSIDE_TEXT) in EXAMPLES - {example()}:
                st.session_state[state.INSIDE_TEXT] = example()
            current["text"] = example()
        if current.get("chat"):
            current["ids"] = context_ids(lm, [Message("user", current["text"])])
            current["label"] = t("inside.chat_label")
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
        st.warning(t("inside.unreachable", reason=reason))
    if lm.info.source != "bundled":
        return None
    if not st.session_state.get(state.INSIDE_TORCH_COPY):
        st.caption(t("inside.torch.offer"))
        if st.button(t("inside.torch.button"), type="primary"):
            st.session_state[state.INSIDE_TORCH_COPY] = True
            st.rerun()
        return None
    try:
        with st.spinner(t("inside.torch.loading")):
            copy = torch_copy(lm.info.name)
    except ModelLoadError as error:
        st.error(t("inside.torch.failed", error=error))
        return None
    st.caption(t("inside.torch.caption", name=copy.info.name, runtime=lm.info.runtime))
    return copy


def _position_picker(look: Look, current: dict) -> int:
    labels = [charts.position_label(p, token) for p, token in enumerate(look.tokens)]
    key = state.INSIDE_VALUES.key("position")
    if not isinstance(st.session_state.get(key), int) or not 0 <= st.session_state[key] < look.positions:
        state.INSIDE_VALUES.set("position", look.positions - 1)
    position = st.select_slider(t("inside.position.label"), options=range(look.positions), key=key,
                                format_func=labels.__getitem__)
    came = (t("inside.position.came_next", token=visible_whitespace(look.tokens[position + 1]))
            if position + 1 < look.positions else t("inside.position.came_end"))
    shape = tn("inside.position.blocks", look.blocks) + (tn("inside.position.heads", look.heads) if look.heads else "")
    st.caption(t("inside.position.caption", label=labels[position], came=came, blocks=look.blocks, shape=shape))
    return position


def _text_box(current: dict) -> None:
    st.session_state.setdefault(state.INSIDE_TEXT, current.get("text", example()))
    st.text_area(t("inside.text.label"), key=state.INSIDE_TEXT, height=100, max_chars=MAX_TEXT_CHARS,
                 help=t("inside.text.help"))
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.button(t("inside.text.look"), type="primary", on_click=_look_at_text)
    right.toggle(t("inside.text.as_chat"), key=INSIDE_AS_CHAT, help=t("inside.text.as_chat_help"))
    _show_notice()


def inside_page(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    if isinstance(lm, RemoteModel):
        st.info(t("inside.remote"))
        return
    st.caption(t("inside.intro", lens=fmt_int(LENS_MAX_TOKENS), attention=fmt_int(ATTENTION_MAX_TOKENS)))
    inner = _model_for_insides(lm)
    if inner is None:
        return
    current = _current(inner)
    _text_box(current)
    if current.get("label"):
        cut = tn("inside.looking.cut", current["cut"]) if current.get("cut") else ""
        st.caption(t("inside.looking", origin=_origin(current["origin"]), label=escape_markdown(current["label"]),
                     cut=cut))
    try:
        with st.spinner(t("inside.forward_pass")):
            look = look_inside(inner, current["ids"])
    except (InternalsUnavailable, ValueError) as error:
        st.error(t("inside.cannot_look", error=error))
        return
    position = _position_picker(look, current)
    # The open tab's label is kept in session state; a language switch reopens the first tab.
    tabs = st.tabs(tab_labels(), key="inside_tab", on_change="rerun")
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
                st.error(t("inside.not_here", error=error))


def _tokens_tab(lm: LoadedModel, look: Look) -> None:
    tokens_view(lm, list(look.token_ids))
    with st.expander(t("inside.languages.expander"), expanded=False):
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
