"""What the Class and Projector pages both draw: the prompt, a game's name, a token, the two-bar chart
(the class beside the model or the sampler) and the reveal of "Guess the next word"."""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from mirror.i18n import fmt_percent, t
from mirror.services.classroom import RoundResult
from mirror.text import escape_markdown, visible_whitespace
from mirror.ui.charts import show_chart

REFRESH_S = 2.0  # how often a round redraws itself from the database


def prompt_box(prompt: str, big: bool = False) -> None:
    st.markdown(("### " if big else "") + escape_markdown(prompt) + " **…?**")


def game_key(game: str) -> str:
    return f"classroom.game.{game}"


def game_title(game: str) -> str:
    return t(game_key(game))


def token_label(text: str) -> str:
    """A token as the class reads it: its spaces and newlines drawn (an empty one is shown as ∅)."""
    return visible_whitespace(text) or "∅"


def pair_chart(rows: Sequence[tuple[str, float, float]], class_name: str, model_name: str,
               axis_key: str = "classroom.chart.share_sampler") -> None:
    """Two bars per label, in the order given: the class's share and the model's (or sampler's) probability."""
    data = pd.DataFrame([{"label": label, "who": who, "share": share}
                         for label, class_share, prob in rows
                         for who, share in ((class_name, class_share), (model_name, prob))])
    order = list(dict.fromkeys(label for label, _, _ in rows))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", sort=order, title=None), x=alt.X("share:Q", title=t(axis_key),
                                                           axis=alt.Axis(format="%")),
        color=alt.Color("who:N", title=None, sort=[class_name, model_name]), yOffset="who:N",
        tooltip=[alt.Tooltip("label:N", title=t("classroom.chart.word")),
                 alt.Tooltip("who:N", title=t("classroom.chart.who")),
                 alt.Tooltip("share:Q", format=".1%", title=t("classroom.chart.share_tooltip"))])
    show_chart(chart, width="stretch")


def show_guess_result(result: RoundResult) -> None:
    pair_chart([(r.word, r.class_share, r.model_prob) for r in result.words], t("classroom.chart.class"),
               t("classroom.chart.model"), axis_key="classroom.chart.share")
    who = ", ".join(result.top_guessers) if result.top_guessers else t("classroom.result.nobody")
    st.success(t("classroom.result.top", word=escape_markdown(result.top_word),
                 probability=fmt_percent(result.top_prob, 0), who=escape_markdown(who)))
    if result.voters:
        score = "—" if math.isnan(result.class_score) else fmt_percent(result.class_score, 1)
        key = "classroom.result.score_top" if result.favourite_is_top else "classroom.result.score_not_top"
        st.write(t(key, score=score, favourite=escape_markdown(result.favourite or "")))
