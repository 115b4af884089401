"""Inside the Mirror, "What each word did": remove or replace one word of the prompt and watch the continuation.

Every figure is the continuation scored again on the edited tokens (`mirror.services.inside.ablation`).
Results live in `st.session_state`, keyed by the model, the sequence, the split and the edit, so a rerun or
a tab switch never scores again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from mirror.i18n import current_language, fmt_int, fmt_number, fmt_percent, labeller, t, tn
from mirror.models import LoadedModel
from mirror.services.inside.ablation import (AblationResult, Edit, Influence, Word, ablate, prompt_words, rank_words,
                                             ranked)
from mirror.text import escape_markdown, visible_whitespace
from mirror.ui.charts import show_chart
from mirror.ui.inside import charts
from mirror.ui.tables import show_table

RESULTS = "inside_abl_results"  # {input key: AblationResult or list[Influence]}
KEPT_RESULTS = 24  # results kept per session (oldest dropped first)
BEFORE, AFTER = "original", "edited"
COLOURS = ("#9ca0b0", "#1e66f5")  # original, edited
SIGN_COLOURS = ("#40a02b", "#d20f39")  # more likely, less likely
REMOVE, REPLACE = "remove", "replace"  # the edit radio's options (shown as inside.abl.action.*)


def _digest(lm: LoadedModel, ids: Sequence[int]) -> str:
    return hashlib.sha1(f"{lm.info.name}|{','.join(map(str, ids))}".encode()).hexdigest()[:12]


def _kept(key: tuple[Any, ...]) -> Any:
    return st.session_state.get(RESULTS, {}).get(key)


def _keep(key: tuple[Any, ...], value: Any) -> None:
    results: dict[tuple[Any, ...], Any] = st.session_state.setdefault(RESULTS, {})
    results.pop(key, None)
    results[key] = value
    while len(results) > KEPT_RESULTS:
        results.pop(next(iter(results)))


def _shown(text: str) -> str:
    return visible_whitespace(text.strip() or text)


def _word_label(word: Word) -> str:
    if word.end - word.first == 1:
        return t("inside.abl.word_one", number=word.index + 1, text=_shown(word.text), first=word.first)
    return t("inside.abl.word_many", number=word.index + 1, text=_shown(word.text), first=word.first, last=word.end - 1)


def _signed(value: float, digits: int) -> str:
    """+0.25 / -0.25 with the language's decimal mark (a leading '-' tells st.metric the delta falls)."""
    return ("-" if value < 0 else "+") + fmt_number(abs(value), digits)


def _choose_split(ids: Sequence[int], tokens: list[str], default_split: int, digest: str) -> int:
    positions = list(range(1, len(ids)))
    value = min(max(default_split, 1), len(ids) - 1)
    return int(st.select_slider(
        t("inside.abl.split"), options=positions, value=value, key=f"inside_abl_split_{digest}",
        format_func=lambda i: f"{i}: {visible_whitespace(tokens[i])}", help=t("inside.abl.split_help")))


def _choose_edit(words: list[Word], digest: str, split: int) -> Edit | None:
    left, middle, right = st.columns([3, 2, 3])
    labels = [_word_label(word) for word in words]  # made here: format_func may run on another thread
    index = left.selectbox(t("inside.abl.word"), options=range(len(words)), key=f"inside_abl_word_{digest}_{split}",
                           format_func=labels.__getitem__)
    word = words[min(int(index or 0), len(words) - 1)]
    action = middle.radio(t("inside.abl.edit"), [REMOVE, REPLACE], key="inside_abl_action", horizontal=False,
                          format_func=labeller(lambda a: f"inside.abl.action.{a}"))
    if action != REPLACE:
        return Edit(word)
    replacement = right.text_input(t("inside.abl.replacement"), key="inside_abl_replacement", max_chars=80,
                                   placeholder=t("inside.abl.replacement_placeholder"),
                                   help=t("inside.abl.replacement_help"))
    if not replacement.strip():
        right.info(t("inside.abl.type_replacement", remove=t("inside.abl.action.remove")))
        return None
    return Edit(word, replacement)


def _token_frame(result: AblationResult) -> pd.DataFrame:
    rows = [{"position": n, "label": f"{n}: {visible_whitespace(token)}", "token": visible_whitespace(token),
             "original": before, "edited": after, "change": after - before,
             "expected, original": visible_whitespace(top_b), "expected, edited": visible_whitespace(top_a)}
            for n, (token, before, after, top_b, top_a) in enumerate(zip(
                result.tokens, result.before, result.after, result.top_before, result.top_after))]
    return pd.DataFrame(rows)


def _before_after_chart(frame: pd.DataFrame, focus: int | None, description: str) -> alt.Chart:
    long = frame.melt(id_vars=["position", "label", "token"], value_vars=[BEFORE, AFTER], var_name="text",
                      value_name="probability")
    shown = {BEFORE: t("inside.abl.original"), AFTER: t("inside.abl.edited")}  # the legend shows the values
    long["text"] = long["text"].map(shown)
    long["focus"] = long["position"] == focus
    order = [shown[BEFORE], shown[AFTER]]
    return alt.Chart(long, description=description).mark_bar().encode(
        x=alt.X("label:N", sort=None, title=t("inside.abl.chart.x"), axis=alt.Axis(labelAngle=-45, labelLimit=90)),
        xOffset=alt.XOffset("text:N", sort=order),
        y=alt.Y("probability:Q", title=t("inside.chart.probability"), scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        color=alt.Color("text:N", scale=alt.Scale(domain=order, range=list(COLOURS)),
                        legend=alt.Legend(title=None, orient="top")),
        opacity=alt.condition(alt.datum.focus, alt.value(1.0), alt.value(0.55 if focus is not None else 1.0)),
        tooltip=[alt.Tooltip("position:Q", title=t("inside.abl.position")),
                 alt.Tooltip("token:N", title=t("inside.abl.token")), alt.Tooltip("text:N", title=t("inside.abl.text")),
                 alt.Tooltip("probability:Q", title=t("inside.chart.probability"), format=".4f")],
    )


def _before_after_in_words(result: AblationResult) -> str:
    changes = result.prob_changes
    biggest = max(range(len(changes)), key=lambda n: abs(changes[n]))
    return charts.in_words(tn("inside.abl.alt.before_after", len(changes), up=sum(c > 0 for c in changes),
                              down=sum(c < 0 for c in changes),
                              label=f"{biggest}: {visible_whitespace(result.tokens[biggest])}",
                              before=fmt_percent(result.before[biggest], 2), after=fmt_percent(result.after[biggest], 2)))


def _times(ratio: float) -> str:
    if ratio < 10:
        return fmt_number(ratio, 2)
    if ratio < 1e6:
        return fmt_number(ratio, 0)
    return f"{ratio:.2g}".replace(".", "," if current_language() == "ru" else ".")


def _summary(result: AblationResult) -> None:
    cols = st.columns(3)
    cols[0].metric(t("inside.abl.metric.before"), t("inside.abl.nats", value=fmt_number(result.logprob_before, 2)),
                   help=t("inside.abl.metric.before_help"))
    cols[1].metric(t("inside.abl.metric.after"), t("inside.abl.nats", value=fmt_number(result.logprob_after, 2)),
                   delta=t("inside.abl.nats_bits", nats=_signed(result.logprob_change, 2),
                           bits=_signed(result.bits_change, 2)))
    ratio = result.likelihood_ratio
    if ratio == 0 or math.isinf(ratio):
        said = t("inside.abl.far_more") if ratio else t("inside.abl.far_less")
    else:
        said = (t("inside.abl.times_more", times=_times(ratio)) if ratio >= 1
                else t("inside.abl.times_less", times=_times(1 / ratio)))
    cols[2].metric(t("inside.abl.metric.became"), said, help=t("inside.abl.metric.became_help"))


def _choose_focus(tokens: list[str], split: int, digest: str) -> int | None:
    options: list[int | None] = [None, *range(len(tokens) - split)]
    labels = {n: t("inside.abl.measure_whole") if n is None
              else t("inside.abl.measure_one", number=n, token=visible_whitespace(tokens[split + n])) for n in options}
    return st.selectbox(t("inside.abl.measure"), options, key=f"inside_abl_focus_{digest}_{split}",
                        format_func=labels.__getitem__)


def _focus_metric(result: AblationResult, focus: int) -> None:
    before, after = result.before[focus], result.after[focus]
    st.metric(t("inside.abl.focus_metric", token=escape_markdown(visible_whitespace(result.tokens[focus]))),
              f"{fmt_percent(before, 2)} → {fmt_percent(after, 2)}",
              delta=t("inside.abl.points", value=_signed((after - before) * 100, 2)))


def _show_result(lm: LoadedModel, result: AblationResult, focus: int | None) -> None:
    st.markdown(t("inside.abl.edit_shown", description=escape_markdown(result.edit.description)))
    with st.expander(t("inside.abl.edited_prompt")):
        st.code(lm.decode(result.edited_prompt, skip_special_tokens=False), language=None, wrap_lines=True)
    _summary(result)
    if focus is not None:
        _focus_metric(result, focus)
    frame = _token_frame(result)
    words = _before_after_in_words(result)
    show_chart(_before_after_chart(frame, focus, words), width="stretch")
    st.caption(words)
    with st.expander(t("inside.abl.every_token")):
        names = {"position": t("inside.abl.position"), "token": t("inside.abl.token"),
                 "original": t("inside.abl.column.p_original"), "edited": t("inside.abl.column.p_edited"),
                 "change": t("inside.abl.column.change"), "expected, original": t("inside.abl.column.expected_original"),
                 "expected, edited": t("inside.abl.column.expected_edited")}
        show_table(frame.drop(columns=["label"]).rename(columns=names), hide_index=True, width="stretch",
                   column_config={names["original"]: st.column_config.NumberColumn(format="%.4f"),
                                  names["edited"]: st.column_config.NumberColumn(format="%.4f"),
                                  names["change"]: st.column_config.NumberColumn(format="%+.4f")})


def _ranking_frame(influences: list[Influence]) -> pd.DataFrame:
    rows = [{"rank": n, "word": f"{i.word.index + 1}. {_shown(i.word.text)}", "tokens": i.word.end - i.word.first,
             "change": i.change, "logprob_change": i.logprob_change,
             "bits": i.result.bits_change,
             "direction": t("inside.abl.more_likely") if i.change > 0 else t("inside.abl.less_likely")}
            for n, i in enumerate(influences, start=1)]
    return pd.DataFrame(rows, columns=["rank", "word", "tokens", "change", "logprob_change", "bits", "direction"])


def _ranking_chart(frame: pd.DataFrame, title: str, description: str) -> alt.Chart:
    signs = [t("inside.abl.more_likely"), t("inside.abl.less_likely")]
    return alt.Chart(frame, description=description).mark_bar().encode(
        x=alt.X("change:Q", title=title),
        y=alt.Y("word:N", sort=None, title=None, axis=alt.Axis(labelLimit=160)),
        color=alt.Color("direction:N", scale=alt.Scale(domain=signs, range=list(SIGN_COLOURS)),
                        legend=alt.Legend(title=t("inside.abl.rank_legend"), orient="top")),
        tooltip=[alt.Tooltip("rank:Q", title=t("inside.abl.column.rank")),
                 alt.Tooltip("word:N", title=t("inside.abl.column.word")),
                 alt.Tooltip("change:Q", title=t("inside.abl.column.change"), format="+.4f"),
                 alt.Tooltip("logprob_change:Q", title=t("inside.abl.column.logprob_change"), format="+.3f")],
    )


def _ranking_in_words(ordered: list[Influence], digits: int) -> str:
    top = ordered[0]
    direction = t("inside.abl.more_likely") if top.change > 0 else t("inside.abl.less_likely")
    return charts.in_words(tn("inside.abl.alt.ranking", len(ordered), word=_shown(top.word.text),
                              change=_signed(top.change, digits), direction=direction,
                              more=sum(i.change > 0 for i in ordered), less=sum(i.change < 0 for i in ordered)))


def _ranking(lm: LoadedModel, ids: list[int], split: int, words: list[Word], focus: int | None, digest: str,
             tokens: list[str]) -> None:
    st.subheader(t("inside.abl.ranking"))
    st.caption(tn("inside.abl.ranking_caption", len(words), passes=fmt_int(len(words) + 1)))
    key = ("rank", digest, split)
    if st.button(t("inside.abl.rank"), key="inside_abl_rank"):
        bar = st.progress(0.0, text=t("inside.abl.scoring_original"))
        language = current_language()
        try:
            influences = rank_words(lm, ids, split, progress=lambda done, total: bar.progress(
                done / total, text=t("inside.abl.removed", language=language, done=done, total=total)))
        except ValueError as error:
            bar.empty()
            st.warning(str(error))
            return
        bar.empty()
        _keep(key, influences)
    influences = _kept(key)
    if influences is None:
        return
    ordered = ranked(influences, focus)
    if focus is None:
        title = t("inside.abl.rank_title_whole")
    else:
        title = t("inside.abl.rank_title_token", token=visible_whitespace(tokens[split + focus]))
    frame = _ranking_frame(ordered)
    words_said = _ranking_in_words(ordered, 3 if focus is None else 4)
    show_chart(_ranking_chart(frame, title, words_said), width="stretch")
    st.caption(words_said)
    names = {"rank": t("inside.abl.column.rank"), "word": t("inside.abl.column.word"),
             "tokens": t("inside.abl.column.tokens"),
             "change": t("inside.abl.column.influence" if focus is None else "inside.abl.column.p_change"),
             "logprob_change": t("inside.abl.column.logprob_change"), "bits": t("inside.abl.column.bits")}
    show_table(frame.drop(columns=["direction"]).rename(columns=names), hide_index=True, width="stretch",
               column_config={names["change"]: st.column_config.NumberColumn(format="%+.4f"),
                              names["logprob_change"]: st.column_config.NumberColumn(format="%+.3f"),
                              names["bits"]: st.column_config.NumberColumn(format="%+.3f")})


def ablation_view(lm: LoadedModel, ids: Sequence[int], default_split: int) -> None:
    """The "What each word did" view for the token sequence `ids` (exactly what the model is fed)."""
    ids = [int(i) for i in ids]
    st.markdown(t("inside.abl.teaching"))
    st.caption(t("inside.abl.caveats"))
    if len(ids) < 2:
        st.info(t("inside.abl.too_short"))
        return
    digest = _digest(lm, ids)
    tokens = lm.token_strings(ids)
    split = _choose_split(ids, tokens, default_split, digest)
    words = prompt_words(lm, ids, split)
    if not words:
        st.info(t("inside.abl.no_words"))
        return
    focus = _choose_focus(tokens, split, digest)
    edit = _choose_edit(words, digest, split)
    key = None if edit is None else ("edit", digest, split, edit.word.first, edit.word.end, edit.replacement)
    if st.button(t("inside.abl.apply"), type="primary", key="inside_abl_go", disabled=edit is None):
        try:
            with st.spinner(t("inside.abl.scoring_again")):
                _keep(key, ablate(lm, ids, split, edit))
        except ValueError as error:
            st.warning(str(error))
    result = None if key is None else _kept(key)
    if result is not None:
        _show_result(lm, result, focus)
    else:
        st.caption(t("inside.abl.hint"))
    _ranking(lm, ids, split, words, focus, digest, tokens)
