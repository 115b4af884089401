"""The explorer's prompt: the text box, example prompts, chat wrapping, seed and lengths."""

from __future__ import annotations

import streamlit as st

from mirror.config import MAX_TEXT_CHARS
from mirror.i18n import fmt_int, labeller, t, tn
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.prompts import TextPrompt, prompt_for_text
from mirror.ui.explorer.kept import KEPT, new_tokens

# The example prompts by a stable name (the selectbox's values); label and text come from the catalog.
EXAMPLES = ("once", "capital", "mirror", "learn", "code")


def example_text(name: str) -> str:
    """An example prompt in the current language."""
    return t(f"explorer.example.{name}.text")


def _example_chosen() -> None:
    choice = KEPT.value("example")
    if choice in EXAMPLES:
        KEPT.set("prompt", example_text(choice))


def prompt_box(lm: LoadedModel) -> TextPrompt | None:
    """The prompt controls; the prompt's token ids, or None (with a hint) when there is nothing to compute."""
    left, right = st.columns([3, 1])
    with right:
        st.selectbox(t("explorer.example.label"), EXAMPLES, key=KEPT.key("example", EXAMPLES[0]),
                     on_change=_example_chosen, format_func=labeller(lambda name: f"explorer.example.{name}"),
                     help=t("explorer.example.help"))
        st.toggle(t("explorer.chat.label"), key=KEPT.key("chat"), help=t("explorer.chat.help"))
        st.number_input(t("common.sidebar.seed"), min_value=0, max_value=2**31 - 1, step=1, key=KEPT.key("seed"),
                        help=t("explorer.seed.help"))
    with left:
        text = st.text_area(t("explorer.prompt.label"), key=KEPT.key("prompt", example_text(EXAMPLES[0])), height=110,
                            max_chars=MAX_TEXT_CHARS, help=t("explorer.prompt.help"))
        cols = st.columns(2)
        cols[0].slider(t("explorer.top_n.label"), *explorer.TOP_N_RANGE, key=KEPT.key("top_n"),
                       help=t("explorer.top_n.help"))
        cols[1].slider(t("explorer.new_tokens.label"), 4, 256, key=KEPT.key("tokens"),
                       help=t("explorer.new_tokens.help"))
    if not text or not text.strip():
        st.info(t("explorer.prompt.empty"))
        return None
    try:
        prompt = prompt_for_text(lm, text, bool(KEPT.value("chat")), new_tokens())
    except ValueError as error:
        st.error(t("explorer.prompt.unusable", error=error))
        return None
    if prompt.dropped:
        st.warning(t("explorer.prompt.cut", total=tn("explorer.tokens", prompt.total), model=lm.info.name,
                     context=tn("explorer.tokens", lm.info.context_length),
                     dropped=tn("explorer.tokens", prompt.dropped), kept=fmt_int(len(prompt.ids))))
    return prompt
