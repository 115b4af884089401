"""The Tokens view of Inside the Mirror: the sequence as the model sees it, and one sentence in two languages.

Every number here comes from the tokenizer, through `mirror.services.inside.tokens`; this module only draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from mirror.i18n import fmt_int, fmt_number, t
from mirror.models import LoadedModel
from mirror.services.inside.tokens import (
    TABLE_COLUMNS,
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
from mirror.ui.tables import show_table

# Each side: the catalog key of the language's name, and a sentence in that language (the same in every UI language).
DEFAULT_A = ("inside.tokens.language_a", "The mirror shows how a language model writes.")
DEFAULT_B = ("inside.tokens.language_b", "Зеркало показывает, как пишет языковая модель.")
MAX_SENTENCE_CHARS = 2_000


def _table(frame):
    """The token table with its column names in the run's language (the values stay as they are)."""
    return frame.rename(columns={name: t(f"inside.tokens.column.{name}") for name in TABLE_COLUMNS})


def tokens_view(lm: LoadedModel, ids: Sequence[int]) -> None:
    """The sequence fed to the model: token chips, a caption, and a table of ids and bytes."""
    st.caption(t("inside.tokens.teaching"))
    if not ids:
        st.info(t("inside.tokens.empty"))
        return
    pieces = token_pieces(lm, ids)
    groups = character_groups(pieces)
    st.html(tokens_html(pieces, groups))
    st.caption(tokens_summary(pieces, groups).caption())
    if any(p.special for p in pieces):
        st.caption(t("inside.tokens.special_caption"))
    examples = split_descriptions(groups)
    if examples:
        st.caption(t("inside.tokens.split_caption", examples="; ".join(examples)))
    show_table(_table(token_table(pieces, groups)), hide_index=True, width="stretch")
    st.caption(t("inside.tokens.provenance"))


def _sentence_column(lm: LoadedModel, key: str, default: tuple[str, str]) -> tuple[str, TokenCost | None]:
    """One side: the language's name, the sentence, its chips and metrics; the cost (None if no text)."""
    default_name = t(default[0])
    name = st.text_input(t("inside.tokens.language"), value=default_name, key=f"{key}_name").strip() or default_name
    text = st.text_input(t("inside.tokens.sentence", name=name), value=default[1], key=key,
                         max_chars=MAX_SENTENCE_CHARS)
    try:
        cost = token_cost(lm, text)
    except ValueError as error:
        st.info(t("inside.tokens.type_sentence", name=name, error=error))
        return name, None
    st.html(tokens_html(token_pieces(lm, lm.encode(text))))
    tokens, characters, size = st.columns(3)
    tokens.metric(t("inside.tokens.metric.tokens"), fmt_int(cost.tokens))
    characters.metric(t("inside.tokens.metric.characters"), fmt_int(cost.characters))
    size.metric(t("inside.tokens.metric.bytes"), fmt_int(cost.utf8_bytes))
    st.caption(t("inside.tokens.per_token", value=fmt_number(cost.characters_per_token, 2)))
    return name, cost


def languages_view(lm: LoadedModel) -> None:
    """The same sentence in two languages side by side, with the token count of each and the cost ratio."""
    st.caption(t("inside.tokens.languages_caption"))
    left, right = st.columns(2)
    with left:
        name_a, a = _sentence_column(lm, "inside_lang_a", DEFAULT_A)
    with right:
        name_b, b = _sentence_column(lm, "inside_lang_b", DEFAULT_B)
    if a is None or b is None:
        st.info(t("inside.tokens.fill_both"))
        return
    try:
        st.markdown(ratio_sentence(cost_ratio(a, b), name_a, name_b))
    except ValueError as error:
        st.info(t("inside.tokens.cannot_compare", error=error))
