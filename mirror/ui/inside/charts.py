"""Altair charts of the Inside the Mirror page, built from a Look (no Streamlit here)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import torch

from mirror.text import visible_whitespace

GRID_SELECTION = "head_pick"  # the point selection of the attention grid (a click picks a block and head)
CELL = 14  # pixels per row of the attention grid


def position_label(position: int, token: str) -> str:
    return f"#{position} {visible_whitespace(token)}"


def lens_heatmap(probs: torch.Tensor, tokens: Sequence[str], top1: Sequence[Sequence[str]],
                 targets: Sequence[str], what: str) -> alt.Chart:
    """Layers (rows, the output on top) x positions: the probability of each position's target token."""
    layers, positions = probs.shape
    rows = [{"layer": layer, "position": p, "at": position_label(p, tokens[p]), "probability": float(probs[layer, p]),
             "target": visible_whitespace(targets[p]), "layer top-1": visible_whitespace(top1[layer][p])}
            for layer in range(layers) for p in range(positions)]
    order = [position_label(p, tokens[p]) for p in range(positions)]
    return alt.Chart(pd.DataFrame(rows)).mark_rect().encode(
        x=alt.X("at:N", sort=order, title="position (the token the model has just read)",
                axis=alt.Axis(labelAngle=-60, labelLimit=90)),
        y=alt.Y("layer:O", sort="descending", title="layer (0 = embeddings)"),
        color=alt.Color("probability:Q", scale=alt.Scale(domain=[0, 1], scheme="viridis"),
                        title=f"p({what})"),
        tooltip=["at", "layer", "target", alt.Tooltip("probability:Q", format=".4f"), "layer top-1"],
    ).properties(height=max(240, 11 * layers))


def commitment_strip(commitment: Sequence[int], tokens: Sequence[str], final: Sequence[str], layers: int) -> alt.Chart:
    """One cell per position: the first layer from which the final top-1 stays top-1 (low = decided early)."""
    rows = [{"at": position_label(p, tokens[p]), "from layer": layer, "final top-1": visible_whitespace(final[p]),
             "row": "committed at"} for p, layer in enumerate(commitment)]
    order = [r["at"] for r in rows]
    base = alt.Chart(pd.DataFrame(rows)).encode(
        x=alt.X("at:N", sort=order, title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("row:N", title=None, axis=None))
    # No axis labels or legend: Streamlit fits the whole chart, labels included, into its height. The
    # layer is written in each cell; the position is in the tooltip and under the heatmap above.
    cells = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("from layer:Q", scale=alt.Scale(domain=[0, layers - 1], scheme="plasma"), legend=None),
        tooltip=["at", "final top-1", "from layer"])
    light = f"datum['from layer'] > {0.6 * (layers - 1)}"  # plasma turns yellow: dark text there
    labels = base.mark_text(fontSize=11, fontWeight="bold").encode(
        text="from layer:Q", color=alt.condition(light, alt.value("#1e1e2e"), alt.value("white")))
    return (cells + labels).properties(height=40)


def attention_grid(weights: torch.Tensor) -> alt.Chart:
    """Every block x head: one strip of the weights `position` gives the tokens up to itself.

    `weights` is (blocks, heads, positions up to position). Laid out by hand (heads across, blocks
    down, a gap between strips) so that a click anywhere on a strip picks that block and head.
    """
    blocks, heads, width = weights.shape
    gap = max(1, width // 8)
    rows = [{"block": b + 1, "head": h + 1, "to": j, "x": h * (width + gap) + j, "x2": h * (width + gap) + j + 1,
             "weight": w}
            for b in range(blocks) for h in range(heads) for j, w in enumerate(weights[b, h].tolist())]
    pick = alt.selection_point(name=GRID_SELECTION, fields=["block", "head"], on="click")
    stride = width + gap
    heads_axis = alt.Axis(values=[h * stride + width / 2 for h in range(heads)], orient="top", title=None,
                          labelExpr=f"'head ' + (floor(datum.value / {stride}) + 1)", grid=False, ticks=False,
                          domain=False, labelFontSize=10)
    return alt.Chart(pd.DataFrame(rows)).mark_rect().encode(
        x=alt.X("x:Q", axis=heads_axis, scale=alt.Scale(domain=[0, heads * stride - gap], nice=False)),
        x2="x2:Q",
        y=alt.Y("block:O", title="block", axis=alt.Axis(labelFontSize=9)),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title="weight"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=["block", "head", alt.Tooltip("to:Q", title="to position"), alt.Tooltip("weight:Q", format=".3f")],
    ).add_params(pick).properties(height=CELL * blocks)


def head_heatmap(weights: torch.Tensor, tokens: Sequence[str], position: int) -> alt.Chart:
    """One head's whole pattern: each query position (rows) over the keys up to it (columns)."""
    n = weights.shape[0]
    rows = [{"query": position_label(q, tokens[q]), "key": position_label(k, tokens[k]), "weight": float(weights[q, k]),
             "chosen": q == position}
            for q in range(n) for k in range(q + 1)]
    order = [position_label(p, tokens[p]) for p in range(n)]
    return alt.Chart(pd.DataFrame(rows)).mark_rect(stroke="#fe640b").encode(
        x=alt.X("key:N", sort=order, title="attends to (key)", axis=alt.Axis(labelAngle=-60, labelLimit=80)),
        y=alt.Y("query:N", sort=order, title="from (query)", axis=alt.Axis(labelLimit=80)),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="blues")),
        strokeWidth=alt.condition("datum.chosen", alt.value(1.2), alt.value(0)),
        tooltip=["query", "key", alt.Tooltip("weight:Q", format=".4f")],
    ).properties(height=max(260, min(720, 14 * n)))


def block_means(means: torch.Tensor, tokens: Sequence[str]) -> alt.Chart:
    """Blocks (rows) x earlier tokens: the chosen position's weights averaged over each block's heads."""
    blocks, width = means.shape
    rows = [{"block": b + 1, "to": position_label(j, tokens[j]), "weight": float(means[b, j])}
            for b in range(blocks) for j in range(width)]
    order = [position_label(j, tokens[j]) for j in range(width)]
    return alt.Chart(pd.DataFrame(rows)).mark_rect().encode(
        x=alt.X("to:N", sort=order, title="attends to", axis=alt.Axis(labelAngle=-60, labelLimit=80)),
        y=alt.Y("block:O", title="block"),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title="mean weight"),
        tooltip=["block", "to", alt.Tooltip("weight:Q", format=".4f")],
    ).properties(height=CELL * blocks)
