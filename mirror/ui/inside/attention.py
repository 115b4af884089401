"""The attention tab: every block and head for one position, one head in full, and each block's mean."""

from __future__ import annotations

from typing import Any

import streamlit as st

from mirror.services.inside.look import ATTENTION_MAX_TOKENS, Look
from mirror.ui import state
from mirror.ui.inside import charts

NOTE = (
    "**What attention is, and is not.** Each head mixes information from earlier tokens into the current one; the "
    "weights say *how much of each token's value vector* it mixed in, and every row sums to 1. That is where the "
    "model looked, not why it chose its next token: a large weight can carry little information, and the value "
    "vectors, the MLPs and the other heads all matter too. For cause and effect, see **What each word did** "
    "(ablation).\n\n"
    "**Why so much weight on the first token?** A head must put its weight somewhere, even when nothing earlier is "
    "useful. Models learn to park it on the first token (an *attention sink*), whose value vector changes little, "
    "so parking there is close to doing nothing."
)
PROVENANCE = ("Computed from the model: the softmax weights of its eager attention for this very sequence, "
              "one row per head, nothing averaged unless it says so.")


def _pick_head(key: str) -> None:
    """A click on the grid: the selection names the block and head (1-based, as the grid shows them)."""
    event: Any = st.session_state.get(key)
    points = (event or {}).get("selection", {}).get(charts.GRID_SELECTION) or []
    if points:
        state.INSIDE_VALUES.set("block", int(points[0]["block"]))
        state.INSIDE_VALUES.set("head", int(points[0]["head"]))


def attention_view(look: Look, position: int) -> None:
    if look.attention is None:
        st.info(f"Attention weights are kept for texts up to {ATTENTION_MAX_TOKENS} tokens (they take blocks × heads "
                f"× tokens² numbers); this one has {look.positions}. Shorten the text to see them; the lens and the "
                "other tabs work up to the lens cap.")
        return
    here = charts.position_label(position, look.tokens[position])
    st.markdown(f"**Every block × head at {here}**: each strip is one head's weights over the tokens up to this one "
                f"(left: the first token). Heads 1–{look.heads} run left to right. **Click a strip** to open that "
                "head below.")
    grid_key = "inside_att_grid"
    st.altair_chart(charts.attention_grid(look.attention[:, :, position, : position + 1]),
                    width="stretch", on_select=lambda: _pick_head(grid_key), key=grid_key,
                    selection_mode=charts.GRID_SELECTION)
    left, right = st.columns(2)
    for name, most in (("block", look.blocks), ("head", look.heads)):
        shown = state.INSIDE_VALUES.value(name)
        if not isinstance(shown, int) or not 1 <= shown <= most:  # first visit, or a model with fewer of them
            state.INSIDE_VALUES.set(name, 1)
    block = left.number_input("Block", 1, look.blocks, key=state.INSIDE_VALUES.key("block", 1))
    head = right.number_input("Head", 1, look.heads, key=state.INSIDE_VALUES.key("head", 1))
    st.markdown(f"**Block {block}, head {head}**: every position's weights (rows: the position reading; columns: "
                f"the tokens it reads). The outlined row is {here}.")
    st.altair_chart(charts.head_heatmap(look.attention[block - 1, head - 1], look.tokens, position), width="stretch")
    row = look.attention_row(block - 1, head - 1, position)
    best = sorted(range(len(row)), key=row.__getitem__, reverse=True)[:3]
    st.caption(f"At {here} this head looks most at " + ", ".join(
        f"{charts.position_label(j, look.tokens[j])} ({row[j]:.2f})" for j in best) + ".")
    st.markdown(f"**Mean over heads, per block**, at {here}")
    st.altair_chart(charts.block_means(look.head_means(position), look.tokens), width="stretch")
    st.markdown(NOTE)
    st.caption(PROVENANCE)
