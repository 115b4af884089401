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

from mirror.models import LoadedModel
from mirror.services.inside.ablation import (AblationResult, Edit, Influence, Word, ablate, prompt_words, rank_words,
                                             ranked)
from mirror.text import escape_markdown, visible_whitespace

RESULTS = "inside_abl_results"  # {input key: AblationResult or list[Influence]}
KEPT_RESULTS = 24  # results kept per session (oldest dropped first)
BEFORE, AFTER = "original", "edited"
COLOURS = alt.Scale(domain=[BEFORE, AFTER], range=["#9ca0b0", "#1e66f5"])
SIGN_COLOURS = alt.Scale(domain=["more likely", "less likely"], range=["#40a02b", "#d20f39"])
REMOVE, REPLACE = "Remove it", "Replace it with…"

TEACHING = (
    "**Causal, unlike attention.** Here we *change the input* — remove or replace one word of the prompt — and "
    "score the very same continuation again. When its probability moves, that word caused part of the "
    "prediction. Attention weights only show where a head looked; a head can look hard at a word that changes "
    "nothing. Every number below is a forward pass of the model on the edited tokens, the same scoring as the "
    "Token Inspector's."
)
CAVEATS = (
    "Caveats: removing a word also changes the grammar, so part of a change can be the model reacting to a broken "
    "sentence (a replacement keeps the sentence whole). One edit is measured at a time: two words that can stand "
    "in for each other each look unimportant alone."
)


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
    span = f"token {word.first}" if word.end - word.first == 1 else f"tokens {word.first}–{word.end - 1}"
    return f"{word.index + 1}. “{_shown(word.text)}” ({span})"


def _choose_split(ids: Sequence[int], tokens: list[str], default_split: int, digest: str) -> int:
    positions = list(range(1, len(ids)))
    value = min(max(default_split, 1), len(ids) - 1)
    return int(st.select_slider(
        "The continuation starts at", options=positions, value=value, key=f"inside_abl_split_{digest}",
        format_func=lambda i: f"{i}: {visible_whitespace(tokens[i])}",
        help="Tokens before this point are the prompt, whose words you can edit; the rest is the continuation, "
             "whose probability is measured. Its tokens never change."))


def _choose_edit(words: list[Word], digest: str, split: int) -> Edit | None:
    left, middle, right = st.columns([3, 2, 3])
    index = left.selectbox("Word of the prompt", options=range(len(words)), key=f"inside_abl_word_{digest}_{split}",
                           format_func=lambda i: _word_label(words[i]))
    word = words[min(int(index or 0), len(words) - 1)]
    action = middle.radio("Edit", [REMOVE, REPLACE], key="inside_abl_action", horizontal=False)
    if action == REMOVE:
        return Edit(word)
    replacement = right.text_input("Replacement", key="inside_abl_replacement", max_chars=80,
                                   placeholder="e.g. another word",
                                   help="Keeps the word's own leading space; the tokens are spliced in its place.")
    if not replacement.strip():
        right.info("Type a replacement, or choose “Remove it”.")
        return None
    return Edit(word, replacement)


def _token_frame(result: AblationResult) -> pd.DataFrame:
    rows = [{"position": n, "label": f"{n}: {visible_whitespace(token)}", "token": visible_whitespace(token),
             "original": before, "edited": after, "change": after - before,
             "expected, original": visible_whitespace(top_b), "expected, edited": visible_whitespace(top_a)}
            for n, (token, before, after, top_b, top_a) in enumerate(zip(
                result.tokens, result.before, result.after, result.top_before, result.top_after))]
    return pd.DataFrame(rows)


def _before_after_chart(frame: pd.DataFrame, focus: int | None) -> alt.Chart:
    long = frame.melt(id_vars=["position", "label", "token"], value_vars=[BEFORE, AFTER], var_name="text",
                      value_name="probability")
    long["focus"] = long["position"] == focus
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("label:N", sort=None, title="continuation token", axis=alt.Axis(labelAngle=-45, labelLimit=90)),
        xOffset=alt.XOffset("text:N", sort=[BEFORE, AFTER]),
        y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("text:N", scale=COLOURS, legend=alt.Legend(title=None, orient="top")),
        opacity=alt.condition(alt.datum.focus, alt.value(1.0), alt.value(0.55 if focus is not None else 1.0)),
        tooltip=["position", "token", "text", alt.Tooltip("probability:Q", format=".4f")],
    )


def _times(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:,.0f}×" if ratio < 1e6 else f"{ratio:.2g}×"


def _summary(result: AblationResult) -> None:
    cols = st.columns(3)
    cols[0].metric("log-probability, original", f"{result.logprob_before:.2f} nats",
                   help="Sum of ln p over the continuation's tokens")
    cols[1].metric("log-probability, edited", f"{result.logprob_after:.2f} nats",
                   delta=f"{result.logprob_change:+.2f} nats ({result.bits_change:+.2f} bits)")
    ratio = result.likelihood_ratio
    if ratio == 0 or math.isinf(ratio):
        said = "far more likely" if ratio else "far less likely"
    else:
        said = f"{_times(ratio)} more likely" if ratio >= 1 else f"{_times(1 / ratio)} less likely"
    cols[2].metric("the whole continuation became", said,
                   help="exp(change in log-probability): how many times more (or less) likely the model finds it")


def _choose_focus(tokens: list[str], split: int, digest: str) -> int | None:
    options: list[int | None] = [None, *range(len(tokens) - split)]
    return st.selectbox("Measure", options, key=f"inside_abl_focus_{digest}_{split}",
                        format_func=lambda n: "the whole continuation" if n is None
                        else f"one chosen token: {n}: {visible_whitespace(tokens[split + n])}")


def _focus_metric(result: AblationResult, focus: int) -> None:
    before, after = result.before[focus], result.after[focus]
    st.metric(f"probability of “{escape_markdown(visible_whitespace(result.tokens[focus]))}”",
              f"{before:.2%} → {after:.2%}", delta=f"{(after - before) * 100:+.2f} points")


def _show_result(lm: LoadedModel, result: AblationResult, focus: int | None) -> None:
    st.markdown(f"**Edit:** {escape_markdown(result.edit.description)}")
    with st.expander("The edited prompt, as the model read it"):
        st.code(lm.decode(result.edited_prompt, skip_special_tokens=False), language=None, wrap_lines=True)
    _summary(result)
    if focus is not None:
        _focus_metric(result, focus)
    frame = _token_frame(result)
    st.altair_chart(_before_after_chart(frame, focus), width="stretch")
    with st.expander("Every continuation token (table)"):
        st.dataframe(frame.drop(columns=["label"]), hide_index=True, width="stretch", column_config={
            "original": st.column_config.NumberColumn("p, original", format="%.4f"),
            "edited": st.column_config.NumberColumn("p, edited", format="%.4f"),
            "change": st.column_config.NumberColumn("change", format="%+.4f")})


def _ranking_frame(influences: list[Influence]) -> pd.DataFrame:
    rows = [{"rank": n, "word": f"{i.word.index + 1}. {_shown(i.word.text)}", "tokens": i.word.end - i.word.first,
             "change": i.change, "log-prob change (nats)": i.logprob_change,
             "bits": i.result.bits_change,
             "direction": "more likely" if i.change > 0 else "less likely"}
            for n, i in enumerate(influences, start=1)]
    return pd.DataFrame(rows)


def _ranking_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("change:Q", title=title),
        y=alt.Y("word:N", sort=None, title=None, axis=alt.Axis(labelLimit=160)),
        color=alt.Color("direction:N", scale=SIGN_COLOURS,
                        legend=alt.Legend(title="without the word, it is", orient="top")),
        tooltip=["rank", "word", alt.Tooltip("change:Q", format="+.4f"),
                 alt.Tooltip("log-prob change (nats):Q", format="+.3f")],
    )


def _ranking(lm: LoadedModel, ids: list[int], split: int, words: list[Word], focus: int | None, digest: str,
             tokens: list[str]) -> None:
    st.subheader("Which words mattered most")
    st.caption(f"Removes each of the {len(words)} words in turn: {len(words) + 1} forward passes.")
    key = ("rank", digest, split)
    if st.button("🏅 Rank every word", key="inside_abl_rank"):
        bar = st.progress(0.0, text="Scoring the original…")
        try:
            influences = rank_words(lm, ids, split, progress=lambda done, total: bar.progress(
                done / total, text=f"Removed {done} of {total} words"))
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
        title = "change in the continuation's log-probability without the word (nats)"
    else:
        title = f"change in p(“{visible_whitespace(tokens[split + focus])}”) without the word"
    frame = _ranking_frame(ordered)
    st.altair_chart(_ranking_chart(frame, title), width="stretch")
    st.dataframe(frame.drop(columns=["direction"]), hide_index=True, width="stretch", column_config={
        "change": st.column_config.NumberColumn("influence" if focus is None else "p change", format="%+.4f"),
        "log-prob change (nats)": st.column_config.NumberColumn(format="%+.3f"),
        "bits": st.column_config.NumberColumn("bits", format="%+.3f")})


def ablation_view(lm: LoadedModel, ids: Sequence[int], default_split: int) -> None:
    """The "What each word did" view for the token sequence `ids` (exactly what the model is fed)."""
    ids = [int(i) for i in ids]
    st.markdown(TEACHING)
    st.caption(CAVEATS)
    if len(ids) < 2:
        st.info("Ablation needs a prompt and a continuation: this sequence has fewer than two tokens.")
        return
    digest = _digest(lm, ids)
    tokens = lm.token_strings(ids)
    split = _choose_split(ids, tokens, default_split, digest)
    words = prompt_words(lm, ids, split)
    if not words:
        st.info("There are no words before this point (only special tokens or whitespace): move the start of the "
                "continuation further right.")
        return
    focus = _choose_focus(tokens, split, digest)
    edit = _choose_edit(words, digest, split)
    key = None if edit is None else ("edit", digest, split, edit.word.first, edit.word.end, edit.replacement)
    if st.button("✂️ Apply the edit and score again", type="primary", key="inside_abl_go", disabled=edit is None):
        try:
            with st.spinner("Scoring the continuation again…"):
                _keep(key, ablate(lm, ids, split, edit))
        except ValueError as error:
            st.warning(str(error))
    result = None if key is None else _kept(key)
    if result is not None:
        _show_result(lm, result, focus)
    else:
        st.caption("Choose a word and press the button: the continuation is scored again with the edit.")
    _ranking(lm, ids, split, words, focus, digest, tokens)
