"""Altair charts of the Inside the Mirror page, built from a Look (no Streamlit here), and what each shows in words.

Titles, axes, legends and tooltips are in the run's language; the data columns keep plain names. Every
chart has a text alternative (`*_in_words`), computed from the same numbers: the page writes it under the
chart, and it is the chart's own description (what a screen reader announces).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import torch

from mirror.i18n import fmt_int, fmt_number, fmt_percent, t, tn
from mirror.text import visible_whitespace

GRID_SELECTION = "head_pick"  # the point selection of the attention grid (a click picks a block and head)
CELL = 14  # pixels per row of the attention grid


def position_label(position: int, token: str) -> str:
    return f"#{position} {visible_whitespace(token)}"


def in_words(text: str) -> str:
    """A chart's text alternative, as the caption under it says it."""
    return t("inside.chart.in_words", text=text)


def _tooltip(field: str, key: str, **options) -> alt.Tooltip:
    return alt.Tooltip(field, title=t(f"inside.chart.{key}"), **options)


def lens_heatmap(probs: torch.Tensor, tokens: Sequence[str], top1: Sequence[Sequence[str]],
                 targets: Sequence[str], what: str, description: str = "") -> alt.Chart:
    """Layers (rows, the output on top) x positions: the probability of each position's target token."""
    layers, positions = probs.shape
    rows = [{"layer": layer, "position": p, "at": position_label(p, tokens[p]), "probability": float(probs[layer, p]),
             "target": visible_whitespace(targets[p]), "top1": visible_whitespace(top1[layer][p])}
            for layer in range(layers) for p in range(positions)]
    order = [position_label(p, tokens[p]) for p in range(positions)]
    return alt.Chart(pd.DataFrame(rows), description=description or alt.Undefined).mark_rect().encode(
        x=alt.X("at:N", sort=order, title=t("inside.chart.lens.x"), axis=alt.Axis(labelAngle=-60, labelLimit=90)),
        y=alt.Y("layer:O", sort="descending", title=t("inside.chart.lens.y")),
        color=alt.Color("probability:Q", scale=alt.Scale(domain=[0, 1], scheme="viridis"),
                        title=f"p({what})"),
        tooltip=[_tooltip("at:N", "at"), _tooltip("layer:O", "layer"), _tooltip("target:N", "target"),
                 _tooltip("probability:Q", "probability", format=".4f"), _tooltip("top1:N", "layer_top1")],
    ).properties(height=max(240, 11 * layers))


def lens_in_words(probs: torch.Tensor, tokens: Sequence[str], what: str) -> str:
    """The output layer's mean probability of the targets, and the chart's highest cell."""
    layers, positions = probs.shape
    flat = int(probs.argmax())
    layer, position = divmod(flat, positions)
    return in_words(t("inside.chart.alt.lens", what=what, mean=fmt_percent(float(probs[-1].mean())),
                      positions=fmt_int(positions), top=fmt_percent(float(probs[layer, position])),
                      at=position_label(position, tokens[position]), layer=layer))


def commitment_strip(commitment: Sequence[int], tokens: Sequence[str], final: Sequence[str], layers: int,
                     description: str = "") -> alt.Chart:
    """One cell per position: the first layer from which the final top-1 stays top-1 (low = decided early)."""
    rows = [{"at": position_label(p, tokens[p]), "from_layer": layer, "final": visible_whitespace(final[p]),
             "row": "committed"} for p, layer in enumerate(commitment)]
    order = [r["at"] for r in rows]
    base = alt.Chart(pd.DataFrame(rows), description=description or alt.Undefined).encode(
        x=alt.X("at:N", sort=order, title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("row:N", title=None, axis=None))
    # No axis labels or legend: Streamlit fits the whole chart, labels included, into its height. The
    # layer is written in each cell; the position is in the tooltip and under the heatmap above.
    cells = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("from_layer:Q", scale=alt.Scale(domain=[0, layers - 1], scheme="plasma"), legend=None),
        tooltip=[_tooltip("at:N", "at"), _tooltip("final:N", "final_top1"), _tooltip("from_layer:Q", "from_layer")])
    light = f"datum['from_layer'] > {0.6 * (layers - 1)}"  # plasma turns yellow: dark text there
    labels = base.mark_text(fontSize=11, fontWeight="bold").encode(
        text="from_layer:Q", color=alt.condition(light, alt.value("#1e1e2e"), alt.value("white")))
    return (cells + labels).properties(height=40)


def commitment_in_words(commitment: Sequence[int], tokens: Sequence[str]) -> str:
    """The mean commitment layer, and the positions decided earliest and latest."""
    early = min(range(len(commitment)), key=lambda p: commitment[p])
    late = max(range(len(commitment)), key=lambda p: commitment[p])
    return in_words(t("inside.chart.alt.commitment", mean=fmt_number(sum(commitment) / len(commitment), 1),
                      early=position_label(early, tokens[early]), early_layer=commitment[early],
                      late=position_label(late, tokens[late]), late_layer=commitment[late]))


def attention_grid(weights: torch.Tensor, description: str = "") -> alt.Chart:
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
    head = t("inside.chart.head_label").replace("\\", "").replace("'", "")  # inside a quoted Vega expression
    heads_axis = alt.Axis(values=[h * stride + width / 2 for h in range(heads)], orient="top", title=None,
                          labelExpr=f"'{head} ' + (floor(datum.value / {stride}) + 1)", grid=False, ticks=False,
                          domain=False, labelFontSize=10)
    return alt.Chart(pd.DataFrame(rows), description=description or alt.Undefined).mark_rect().encode(
        x=alt.X("x:Q", axis=heads_axis, scale=alt.Scale(domain=[0, heads * stride - gap], nice=False)),
        x2="x2:Q",
        y=alt.Y("block:O", title=t("inside.chart.block"), axis=alt.Axis(labelFontSize=9)),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title=t("inside.chart.weight")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[_tooltip("block:O", "block"), _tooltip("head:O", "head"), _tooltip("to:Q", "to_position"),
                 _tooltip("weight:Q", "weight", format=".3f")],
    ).add_params(pick).properties(height=CELL * blocks)


def grid_in_words(weights: torch.Tensor, tokens: Sequence[str]) -> str:
    """How many heads look most at the first token, and the strongest weight any head gives a later token."""
    blocks, heads, width = weights.shape
    first = int((weights.argmax(dim=-1) == 0).sum())
    rest = ""
    if width > 1:
        block, left = divmod(int(weights[:, :, 1:].argmax()), heads * (width - 1))
        head, to = divmod(left, width - 1)
        rest = t("inside.chart.alt.grid_rest", weight=fmt_number(float(weights[block, head, to + 1]), 2),
                 head=head + 1, block=block + 1, at=position_label(to + 1, tokens[to + 1]))
    return in_words(t("inside.chart.alt.grid", first=first, total=blocks * heads, rest=rest))


def head_heatmap(weights: torch.Tensor, tokens: Sequence[str], position: int, description: str = "") -> alt.Chart:
    """One head's whole pattern: each query position (rows) over the keys up to it (columns)."""
    n = weights.shape[0]
    rows = [{"query": position_label(q, tokens[q]), "key": position_label(k, tokens[k]), "weight": float(weights[q, k]),
             "chosen": q == position}
            for q in range(n) for k in range(q + 1)]
    order = [position_label(p, tokens[p]) for p in range(n)]
    return alt.Chart(pd.DataFrame(rows), description=description or alt.Undefined).mark_rect(stroke="#fe640b").encode(
        x=alt.X("key:N", sort=order, title=t("inside.chart.key_axis"), axis=alt.Axis(labelAngle=-60, labelLimit=80)),
        y=alt.Y("query:N", sort=order, title=t("inside.chart.query_axis"), axis=alt.Axis(labelLimit=80)),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title=t("inside.chart.weight")),
        strokeWidth=alt.condition("datum.chosen", alt.value(1.2), alt.value(0)),
        tooltip=[_tooltip("query:N", "query"), _tooltip("key:N", "key"),
                 _tooltip("weight:Q", "weight", format=".4f")],
    ).properties(height=max(260, min(720, 14 * n)))


def head_in_words(weights: torch.Tensor, tokens: Sequence[str]) -> str:
    """The token this head weighs most on average over its rows, and its strongest single weight."""
    n = weights.shape[0]
    weights = torch.tril(weights[:n, :n].float())  # a row reads only the positions up to itself
    means = weights.mean(dim=0)
    at = int(means.argmax())
    rows = weights[1:] if n > 1 else weights  # the first row always puts all its weight on itself
    query, key = divmod(int(rows.argmax()), n)
    query += n - rows.shape[0]
    return in_words(t("inside.chart.alt.head", at=position_label(at, tokens[at]),
                      weight=fmt_number(float(means[at]), 2), top=fmt_number(float(weights[query, key]), 2),
                      query=position_label(query, tokens[query]), key=position_label(key, tokens[key])))


def block_means(means: torch.Tensor, tokens: Sequence[str], description: str = "") -> alt.Chart:
    """Blocks (rows) x earlier tokens: the chosen position's weights averaged over each block's heads."""
    blocks, width = means.shape
    rows = [{"block": b + 1, "to": position_label(j, tokens[j]), "weight": float(means[b, j])}
            for b in range(blocks) for j in range(width)]
    order = [position_label(j, tokens[j]) for j in range(width)]
    return alt.Chart(pd.DataFrame(rows), description=description or alt.Undefined).mark_rect().encode(
        x=alt.X("to:N", sort=order, title=t("inside.chart.attends_to"), axis=alt.Axis(labelAngle=-60, labelLimit=80)),
        y=alt.Y("block:O", title=t("inside.chart.block")),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"),
                        title=t("inside.chart.mean_weight")),
        tooltip=[_tooltip("block:O", "block"), _tooltip("to:N", "to"), _tooltip("weight:Q", "weight", format=".4f")],
    ).properties(height=CELL * blocks)


def means_in_words(means: torch.Tensor, tokens: Sequence[str]) -> str:
    """In how many blocks the first token gets the most weight, and the strongest weight on any other token."""
    blocks, width = means.shape
    first = int((means.argmax(dim=-1) == 0).sum())
    rest = ""
    if width > 1:
        block, to = divmod(int(means[:, 1:].argmax()), width - 1)
        rest = t("inside.chart.alt.means_rest", weight=fmt_number(float(means[block, to + 1]), 2), block=block + 1,
                 at=position_label(to + 1, tokens[to + 1]))
    return in_words(tn("inside.chart.alt.means", blocks, first=first, rest=rest))
