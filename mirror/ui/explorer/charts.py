"""The explorer's Altair charts: a sampler stage's bars, the temperature curve, the grid's scatter.

Titles and tooltips are in the current language; in Russian the charts format numbers the Russian way too
(a decimal comma, a space before %). Each chart has a text alternative built from the same data (`*_alt_text`,
shown as a caption right under it), and its categories are told apart by more than colour: the colours are
the Okabe–Ito palette (safe with every common colour-vision deficiency), and a second channel (a bar's
outline and fill, a point's shape) tells them apart in grey too.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from mirror.i18n import current_language, fmt_number, t, tn
from mirror.ui.explorer.format import number, percent, token_markdown

# The Okabe–Ito palette (Okabe & Ito 2008): blue, orange, bluish green, reddish purple, sky blue, vermillion.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION = OKABE_ITO
IN_RACE, REMOVED_HERE, REMOVED_EARLIER = "kept", "removed here", "removed earlier"
# A stage's bars: kept solid blue; removed here pale orange with a dashed outline (the outline a darker
# orange, 4.7:1 on the page's #f7f9fb); removed earlier (a zero-length bar, marked ✕) grey.
COLORS = {IN_RACE: BLUE, REMOVED_HERE: ORANGE, REMOVED_EARLIER: "#999999"}
OUTLINES = {IN_RACE: BLUE, REMOVED_HERE: "#A65F00", REMOVED_EARLIER: "#999999"}
FILL_OPACITY = {IN_RACE: 1.0, REMOVED_HERE: 0.35, REMOVED_EARLIER: 0.35}
DASHES = {IN_RACE: [1, 0], REMOVED_HERE: [4, 2], REMOVED_EARLIER: [1, 0]}
CUT_COLOR = VERMILLION  # the top-k / top-p cut and the sidebar's temperature: dashed rules
CUT_TEXT_COLOR = "#A84400"  # a darker vermillion for the rule's label: 5.7:1 on the page's background
CROSS_COLOR = "#6b7682"
INK = "#2b3440"  # the theme's text colour
# The temperature curve's two series, and the grid's settings: a colour and a shape each.
SERIES_COLORS = (BLUE, GREEN)
SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down")
ALT_LISTED = 5  # how many tokens a stage chart's text alternative names


def _labels(rows: pd.DataFrame) -> list[str]:
    """Axis labels: the token text, made unique with its id where two tokens look the same."""
    counts = rows["token"].value_counts()
    return [tok if counts[tok] == 1 else f"{tok} (id {i})" for tok, i in zip(rows["token"], rows["token_id"])]


def stage_chart(rows: pd.DataFrame, title: str, x_max: float, cutoff: int | None, cut_text: str,
                chosen_id: int | None) -> alt.LayerChart:
    """Horizontal bars for one stage; removed tokens pale, outlined (at the probability they had before); a cut rule."""
    data = rows.assign(label=_labels(rows), status_label=[t(f"explorer.status.{s}") for s in rows["status"]])
    # A token removed by this stage is drawn pale at the probability it had just before: the mass that was cut.
    data["bar"] = data["prob"].where(data["status"] != REMOVED_HERE, data["prob_before"])
    domain = data["label"].tolist()
    band = alt.Scale(domain=domain, type="band", paddingInner=0.2)
    y = alt.Y("label:N", sort=None, scale=band, title=None, axis=alt.Axis(labelLimit=110, labelFontSize=11))
    x = alt.X("bar:Q", title=t("explorer.chart.probability"), scale=alt.Scale(domain=[0, x_max]),
              axis=alt.Axis(format="%"))
    tooltip = [alt.Tooltip("token:N", title=t("explorer.chart.token")), alt.Tooltip("token_id:Q", title="id"),
               alt.Tooltip("prob:Q", title=t("explorer.chart.prob_here"), format=".2%"),
               alt.Tooltip("prob_before:Q", title=t("explorer.chart.prob_before"), format=".2%"),
               alt.Tooltip("logit:Q", title=t("explorer.chart.logit"), format=".3f"),
               alt.Tooltip("status_label:N", title=t("explorer.chart.status"))]
    # Styled by the shown status, so the chart's spec holds no text of another language.
    statuses = [t(f"explorer.status.{s}") for s in COLORS]

    def by_status(channel: type, style: dict[str, object]) -> object:
        return channel("status_label:N", scale=alt.Scale(domain=statuses, range=list(style.values())), legend=None)

    bars = alt.Chart(data).mark_bar(strokeWidth=1.5).encode(
        x=x, y=y, tooltip=tooltip, color=by_status(alt.Color, COLORS), stroke=by_status(alt.Stroke, OUTLINES),
        fillOpacity=by_status(alt.FillOpacity, FILL_OPACITY), strokeDash=by_status(alt.StrokeDash, DASHES),
    )
    crosses = alt.Chart(data[data["removed"]]).mark_text(text="✕", color=CROSS_COLOR, align="left", dx=2).encode(
        x=alt.datum(0), y=y)
    layers: list[alt.Chart] = [bars, crosses]
    if cutoff is not None:
        cut = pd.DataFrame({"label": [domain[cutoff - 1]], "text": [cut_text]})
        y_edge = alt.Y("label:N", sort=None, scale=band, bandPosition=1)
        layers.append(alt.Chart(cut).mark_rule(color=CUT_COLOR, strokeDash=[5, 3], strokeWidth=2).encode(y=y_edge))
        layers.append(alt.Chart(cut).mark_text(color=CUT_TEXT_COLOR, align="right", baseline="top", dy=3, fontSize=11)
                      .encode(y=y_edge, x=alt.datum(x_max), text="text:N"))
    if chosen_id is not None and chosen_id in set(data["token_id"]):
        star = data[data["token_id"] == chosen_id]
        layers.append(alt.Chart(star).mark_text(text=t("explorer.chart.drawn"), align="left", dx=4, color=INK,
                                                fontSize=11).encode(x="bar:Q", y=y))
    return alt.layer(*layers).properties(title=title, height=alt.Step(15))


def temperature_chart(data: pd.DataFrame, measure: str, temperature: float | None) -> alt.LayerChart:
    """One measure against temperature, a line per series (a colour and a point shape each); a dashed rule at
    `temperature` (None: greedy)."""
    temperature_title = t("explorer.chart.temperature")
    series = list(dict.fromkeys(data["series"]))
    base = alt.Chart(data).encode(
        x=alt.X("temperature:Q", title=temperature_title), y=alt.Y("value:Q", title=measure),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=series, range=list(SERIES_COLORS))))
    points = base.mark_point(filled=True, size=45, opacity=1).encode(
        shape=alt.Shape("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=series, range=list(SHAPES))),
        tooltip=[alt.Tooltip("temperature:Q", title=temperature_title),
                 alt.Tooltip("series:N", title=t("explorer.chart.series")),
                 alt.Tooltip("value:Q", title=measure, format=".3f")])
    layers: list[alt.Chart] = [base.mark_line(strokeWidth=2), points]
    if temperature is not None:
        layers.append(alt.Chart(pd.DataFrame({"t": [temperature]})).mark_rule(
            strokeDash=[5, 3], color=CUT_COLOR, strokeWidth=1.5).encode(x="t:Q"))
    return alt.layer(*layers).properties(title=measure, height=300)


def grid_scatter(runs: pd.DataFrame) -> alt.Chart:
    """Each run of the grid as a dot: variety of words against perplexity under the raw model.

    `runs` holds the settings as they are to be shown (the caller puts them in the current language)."""
    settings = list(dict.fromkeys(runs["setting"]))
    # A colour and a shape per setting; a thin dark outline keeps the pale colours visible on the light page.
    return alt.Chart(runs).mark_point(filled=True, size=110, opacity=0.85, stroke=INK, strokeWidth=0.6).encode(
        x=alt.X("distinct_1:Q", title=t("explorer.chart.distinct_1"), scale=alt.Scale(zero=False, padding=12)),
        y=alt.Y("perplexity:Q", title=t("explorer.chart.perplexity"),
                scale=alt.Scale(type="log", padding=12), axis=alt.Axis(tickCount=5, grid=True)),
        color=alt.Color("setting:N", title=t("explorer.chart.setting"),
                        scale=alt.Scale(domain=settings, range=list(OKABE_ITO))),
        shape=alt.Shape("setting:N", title=t("explorer.chart.setting"),
                        scale=alt.Scale(domain=settings, range=list(SHAPES))),
        tooltip=[alt.Tooltip("setting:N", title=t("explorer.chart.setting")),
                 alt.Tooltip("seed:Q", title=t("explorer.chart.seed")),
                 alt.Tooltip("tokens:Q", title=t("explorer.chart.tokens")),
                 alt.Tooltip("distinct_1:Q", title="distinct-1", format=".2f"),
                 alt.Tooltip("distinct_2:Q", title="distinct-2", format=".2f"),
                 alt.Tooltip("perplexity:Q", title=t("explorer.metric.perplexity"), format=".1f"),
                 alt.Tooltip("text:N", title=t("explorer.chart.text"))],
    ).properties(height=320)


# --- the charts in words ------------------------------------------------------------------------------------
# Each chart's text alternative, drawn as a caption right under it (for a screen reader, or anyone who cannot
# tell the bars apart): plain data in, a sentence or two in the current language out.

QUOTES = {"en": ("“", "”"), "ru": ("«", "»")}  # each language's quotation marks around a quoted token


def quoted(token: str) -> str:
    """A token for a sentence: inert Markdown, its whitespace drawn, in the language's quotation marks."""
    left, right = QUOTES[current_language()]
    return f"{left}{token_markdown(token)}{right}"


def stage_alt_text(rows: pd.DataFrame, title: str, chosen_id: int | None = None, listed: int = ALT_LISTED) -> str:
    """One stage's chart in words, from the rows `stage_chart` draws (token, token_id, prob, prob_before, status):
    the most likely tokens still in the race at this stage, how many of the shown ones are still in it, how many
    this stage removed (with the probability they had just before) and how many an earlier stage did, and the
    drawn token where the chart marks it."""
    status = rows["status"]
    shown = tn("explorer.alt.stage.shown", len(rows))
    kept = rows[status == IN_RACE].sort_values("prob", ascending=False, kind="stable").head(listed)
    if kept.empty:
        sentences = [t("explorer.alt.stage.none", title=title, shown=shown)]
    else:
        top = ", ".join(f"{quoted(token)} {percent(p)}" for token, p in zip(kept["token"], kept["prob"]))
        sentences = [t("explorer.alt.stage.top", title=title, shown=shown, top=top)]
    removed_here = rows[status == REMOVED_HERE]
    removed_earlier = int((status == REMOVED_EARLIER).sum())
    if removed_here.empty and not removed_earlier:
        sentences.append(t("explorer.alt.stage.all_kept"))
    else:
        sentences.append(t("explorer.alt.stage.kept", kept=int((status == IN_RACE).sum()), shown=len(rows)))
        if not removed_here.empty:
            sentences.append(tn("explorer.alt.stage.removed_here", len(removed_here),
                                mass=percent(float(removed_here["prob_before"].sum()))))
        if removed_earlier:
            sentences.append(tn("explorer.alt.stage.removed_earlier", removed_earlier))
    drawn = rows[rows["token_id"] == chosen_id] if chosen_id is not None else rows.iloc[0:0]
    if not drawn.empty:
        sentences.append(t("explorer.alt.stage.drawn", token=quoted(str(drawn["token"].iloc[0]))))
    return " ".join(sentences)


def temperature_alt_text(data: pd.DataFrame, measure: str, temperature: float | None,
                         as_percent: bool = False) -> str:
    """One temperature chart in words, from its data (temperature, series, value): each series' value at the
    lowest and the highest temperature, and, read off the lines, at the sidebar's temperature (None: greedy,
    no dashed line)."""
    def value(v: float) -> str:
        return percent(v) if as_percent else fmt_number(v, 2)

    curves = {name: group.sort_values("temperature") for name, group in data.groupby("series", sort=False)}
    temperatures = data["temperature"]
    changes = "; ".join(t("explorer.alt.temperature.change", series=name, start=value(curve["value"].iloc[0]),
                          end=value(curve["value"].iloc[-1])) for name, curve in curves.items())
    text = t("explorer.alt.temperature.range", measure=measure, low=number(float(temperatures.min())),
             high=number(float(temperatures.max())), changes=changes)
    if temperature is None or not curves:
        return text
    read = ", ".join(f"{name} {value(float(np.interp(temperature, curve['temperature'], curve['value'])))}"
                     for name, curve in curves.items())
    return f"{text} " + t("explorer.alt.temperature.at", temperature=number(temperature), values=read)


def grid_alt_text(runs: pd.DataFrame) -> str:
    """The grid's scatter in words, from its runs as shown (setting, distinct_1, perplexity): how many runs and
    settings, each setting's mean variety of words and perplexity, and which setting is the most varied and
    which the least surprising to the raw model."""
    means = runs.groupby("setting", sort=False)[["distinct_1", "perplexity"]].mean()
    listed = "; ".join(t("explorer.alt.grid.mean", setting=setting, distinct=fmt_number(row.distinct_1, 2),
                         perplexity=fmt_number(row.perplexity, 1)) for setting, row in means.iterrows())
    text = t("explorer.alt.grid.summary", runs=tn("explorer.grid.runs", len(runs)),
             settings=tn("explorer.alt.grid.settings", len(means)), means=listed)
    if len(means) < 2:
        return text
    extremes = t("explorer.alt.grid.extremes", varied=means["distinct_1"].idxmax(), plain=means["perplexity"].idxmin())
    return f"{text} {extremes}"

