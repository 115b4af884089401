"""The attention tab: every block and head for one position, one head in full, and each block's mean."""

from __future__ import annotations

from typing import Any

import streamlit as st

from mirror.i18n import fmt_int, fmt_number, t
from mirror.services.inside.look import ATTENTION_MAX_TOKENS, Look
from mirror.ui import state
from mirror.ui.charts import show_chart
from mirror.ui.inside import charts


def _pick_head(key: str) -> None:
    """A click on the grid: the selection names the block and head (1-based, as the grid shows them)."""
    event: Any = st.session_state.get(key)
    points = (event or {}).get("selection", {}).get(charts.GRID_SELECTION) or []
    if points:
        state.INSIDE_VALUES.set("block", int(points[0]["block"]))
        state.INSIDE_VALUES.set("head", int(points[0]["head"]))


def attention_view(look: Look, position: int) -> None:
    if look.attention is None:
        st.info(t("inside.att.over_cap", cap=fmt_int(ATTENTION_MAX_TOKENS), count=fmt_int(look.positions)))
        return
    here = charts.position_label(position, look.tokens[position])
    st.markdown(t("inside.att.grid", here=here, heads=look.heads))
    grid_key = "inside_att_grid"
    weights = look.attention[:, :, position, : position + 1]
    words = charts.grid_in_words(weights, look.tokens)
    show_chart(charts.attention_grid(weights, words), width="stretch", on_select=lambda: _pick_head(grid_key),
               key=grid_key, selection_mode=charts.GRID_SELECTION)
    st.caption(words)
    left, right = st.columns(2)
    for name, most in (("block", look.blocks), ("head", look.heads)):
        shown = state.INSIDE_VALUES.value(name)
        if not isinstance(shown, int) or not 1 <= shown <= most:  # first visit, or a model with fewer of them
            state.INSIDE_VALUES.set(name, 1)
    block = left.number_input(t("inside.att.block"), 1, look.blocks, key=state.INSIDE_VALUES.key("block", 1))
    head = right.number_input(t("inside.att.head"), 1, look.heads, key=state.INSIDE_VALUES.key("head", 1))
    st.markdown(t("inside.att.head_heading", block=block, head=head, here=here))
    pattern = look.attention[block - 1, head - 1]
    words = charts.head_in_words(pattern, look.tokens)
    show_chart(charts.head_heatmap(pattern, look.tokens, position, words), width="stretch")
    row = look.attention_row(block - 1, head - 1, position)
    best = sorted(range(len(row)), key=row.__getitem__, reverse=True)[:3]
    st.caption(t("inside.att.looks_most", here=here, best=", ".join(
        f"{charts.position_label(j, look.tokens[j])} ({fmt_number(row[j], 2)})" for j in best)))
    st.caption(words)
    st.markdown(t("inside.att.means", here=here))
    means = look.head_means(position)
    words = charts.means_in_words(means, look.tokens)
    show_chart(charts.block_means(means, look.tokens, words), width="stretch")
    st.caption(words)
    st.markdown(t("inside.att.note"))
    st.caption(t("inside.att.provenance"))
