"""The Tokens view of Inside the Mirror: the sequence as the model sees it, and one sentence in two languages.

Every number here comes from the tokenizer, through `mirror.services.inside.tokens`; this module only draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from mirror.models import LoadedModel
from mirror.services.inside.tokens import (
    TEACHING,
    TokenCost,
    character_groups,
    cost_ratio,
    ratio_sentence,
    split_descriptions,
    token_cost,
    token_pieces,
    token_table,
    tokens_html,
    tokens_summary,
)

DEFAULT_A = ("English", "The mirror shows how a language model writes.")
DEFAULT_B = ("Russian", "Зеркало показывает, как пишет языковая модель.")
MAX_SENTENCE_CHARS = 2_000
PROVENANCE = ("Computed from the model's own tokenizer for this very sequence: every id, byte and count; "
              "nothing is estimated.")
LANGUAGES_CAPTION = ("The same meaning, two scripts: a vocabulary learnt mostly from English text has few "
                     "whole Cyrillic words, so Russian falls apart into short pieces of bytes and costs more "
                     "tokens: more compute, and less text fits in the context window.")


def tokens_view(lm: LoadedModel, ids: Sequence[int]) -> None:
    """The sequence fed to the model: token chips, a caption, and a table of ids and bytes."""
    st.caption(TEACHING)
    if not ids:
        st.info("There are no tokens to show: the text is empty.")
        return
    pieces = token_pieces(lm, ids)
    groups = character_groups(pieces)
    st.html(tokens_html(pieces, groups))
    st.caption(tokens_summary(pieces, groups).caption())
    if any(p.special for p in pieces):
        st.caption("Pink outlined chips are **special tokens**: the chat template's markers (who speaks, where a "
                   "turn ends) or the document start. Nobody typed them; the model reads them like any other token.")
    examples = split_descriptions(groups)
    if examples:
        st.caption("Dashed frames hold tokens that only together make whole characters (hex bytes shown): "
                   + "; ".join(examples) + ".")
    st.dataframe(token_table(pieces, groups), hide_index=True, width="stretch")
    st.caption(PROVENANCE)


def _sentence_column(lm: LoadedModel, key: str, default: tuple[str, str]) -> tuple[str, TokenCost | None]:
    """One side: the language's name, the sentence, its chips and metrics; the cost (None if no text)."""
    name = st.text_input("Language", value=default[0], key=f"{key}_name").strip() or default[0]
    text = st.text_input(f"A sentence in {name}", value=default[1], key=key, max_chars=MAX_SENTENCE_CHARS)
    try:
        cost = token_cost(lm, text)
    except ValueError as error:
        st.info(f"Type a sentence in {name} to count its tokens ({error}).")
        return name, None
    st.html(tokens_html(token_pieces(lm, lm.encode(text))))
    tokens, characters, size = st.columns(3)
    tokens.metric("Tokens", cost.tokens)
    characters.metric("Characters", cost.characters)
    size.metric("UTF-8 bytes", cost.utf8_bytes)
    st.caption(f"{cost.characters_per_token:.2f} characters per token")
    return name, cost


def languages_view(lm: LoadedModel) -> None:
    """The same sentence in two languages side by side, with the token count of each and the cost ratio."""
    st.caption(LANGUAGES_CAPTION)
    left, right = st.columns(2)
    with left:
        name_a, a = _sentence_column(lm, "inside_lang_a", DEFAULT_A)
    with right:
        name_b, b = _sentence_column(lm, "inside_lang_b", DEFAULT_B)
    if a is None or b is None:
        st.info("Fill in both sentences to compare what they cost.")
        return
    try:
        st.markdown(ratio_sentence(cost_ratio(a, b), name_a, name_b))
    except ValueError as error:
        st.info(f"The two sentences cannot be compared: {error}.")
