"""The explorer's Altair charts: a sampler stage's bars, the temperature curve, the grid's scatter."""

from __future__ import annotations

import altair as alt
import pandas as pd

IN_RACE, REMOVED_HERE, REMOVED_EARLIER = "kept", "removed here", "removed earlier"
COLORS = {IN_RACE: "#4f6f8f", REMOVED_HERE: "#b8c0c8", REMOVED_EARLIER: "#e1e6eb"}
CUT_COLOR = "#b5483b"


def _labels(rows: pd.DataFrame) -> list[str]:
    """Axis labels: the token text, made unique with its id where two tokens look the same."""
    counts = rows["token"].value_counts()
    return [t if counts[t] == 1 else f"{t} (id {i})" for t, i in zip(rows["token"], rows["token_id"])]


def stage_chart(rows: pd.DataFrame, title: str, x_max: float, cutoff: int | None, cut_text: str,
                chosen_id: int | None) -> alt.LayerChart:
    """Horizontal bars for one stage; removed tokens greyed (at the probability they had before), a cut-off rule."""
    data = rows.assign(label=_labels(rows))
    # A token removed by this stage is drawn grey at the probability it had just before: the mass that was cut.
    data["bar"] = data["prob"].where(data["status"] != REMOVED_HERE, data["prob_before"])
    domain = data["label"].tolist()
    band = alt.Scale(domain=domain, type="band", paddingInner=0.2)
    y = alt.Y("label:N", sort=None, scale=band, title=None, axis=alt.Axis(labelLimit=110, labelFontSize=11))
    x = alt.X("bar:Q", title="probability", scale=alt.Scale(domain=[0, x_max]), axis=alt.Axis(format="%"))
    tooltip = [alt.Tooltip("token:N"), alt.Tooltip("token_id:Q", title="id"),
               alt.Tooltip("prob:Q", title="probability here", format=".2%"),
               alt.Tooltip("prob_before:Q", title="before this stage", format=".2%"),
               alt.Tooltip("logit:Q", format=".3f"), alt.Tooltip("status:N")]
    bars = alt.Chart(data).mark_bar().encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())),
                        legend=None),
    )
    crosses = alt.Chart(data[data["removed"]]).mark_text(text="✕", color="#8a939c", align="left", dx=2).encode(
        x=alt.datum(0), y=y)
    layers: list[alt.Chart] = [bars, crosses]
    if cutoff is not None:
        cut = pd.DataFrame({"label": [domain[cutoff - 1]], "text": [cut_text]})
        y_edge = alt.Y("label:N", sort=None, scale=band, bandPosition=1)
        layers.append(alt.Chart(cut).mark_rule(color=CUT_COLOR, strokeDash=[5, 3], strokeWidth=2).encode(y=y_edge))
        layers.append(alt.Chart(cut).mark_text(color=CUT_COLOR, align="right", baseline="top", dy=3, fontSize=11)
                      .encode(y=y_edge, x=alt.datum(x_max), text="text:N"))
    if chosen_id is not None and chosen_id in set(data["token_id"]):
        star = data[data["token_id"] == chosen_id]
        layers.append(alt.Chart(star).mark_text(text="★ drawn", align="left", dx=4, color="#2b3440", fontSize=11)
                      .encode(x="bar:Q", y=y))
    return alt.layer(*layers).properties(title=title, height=alt.Step(15))


def temperature_chart(data: pd.DataFrame, measure: str, temperature: float | None) -> alt.LayerChart:
    """One measure against temperature, a line per series; a dashed rule at `temperature` (None: greedy)."""
    line = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("temperature:Q", title="temperature"), y=alt.Y("value:Q", title=measure),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["temperature", "series", alt.Tooltip("value:Q", format=".3f")])
    layers: list[alt.Chart] = [line]
    if temperature is not None:
        layers.append(alt.Chart(pd.DataFrame({"t": [temperature]})).mark_rule(
            strokeDash=[5, 3], color=CUT_COLOR).encode(x="t:Q"))
    return alt.layer(*layers).properties(title=measure, height=300)


def grid_scatter(runs: pd.DataFrame) -> alt.Chart:
    """Each run of the grid as a dot: variety of words against perplexity under the raw model."""
    return alt.Chart(runs).mark_circle(size=110, opacity=0.8).encode(
        x=alt.X("distinct_1:Q", title="distinct-1 (variety of words)", scale=alt.Scale(zero=False, padding=12)),
        y=alt.Y("perplexity:Q", title="perplexity under the raw model",
                scale=alt.Scale(type="log", padding=12), axis=alt.Axis(tickCount=5, grid=True)),
        color=alt.Color("setting:N", title="setting", scale=alt.Scale(scheme="tableau10")),
        tooltip=["setting", "seed", "tokens", alt.Tooltip("distinct_1:Q", format=".2f"),
                 alt.Tooltip("distinct_2:Q", format=".2f"), alt.Tooltip("perplexity:Q", format=".1f"), "text"],
    ).properties(height=320)
