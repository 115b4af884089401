"""The Token Inspector page: why each token came out, coloured text, alternatives, forks and summaries."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from mirror.services.scoring import TextScore, score_ids, start_token_id
from mirror.config import MAX_TEXT_CHARS
from mirror.engine.detokenize import tokenizer_bytes_reader
from mirror.engine.generation import Generation
from mirror.services.prompts import context_ids
from mirror.i18n import LANGUAGES, Language, current_language, fmt_int, fmt_number, fmt_percent, labeller, t, tn
from mirror.services.inspector import (
    BUCKETS,
    Summary,
    bucket_label,
    coloured_html,
    least_confident,
    legend_html,
    rank_bucket,
    safe_csv,
    token_table,
    whole_characters,
)
from mirror.models import LoadedModel
from mirror.services.remote import RemoteModel
from mirror.engine.sampling import SamplingParams
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.charts import show_chart
from mirror.ui.remote_views import remote_inspector
from mirror.ui.pages import INSIDE, switch_to
from mirror.ui.state import InsideSource, InspectorSource
from mirror.ui.streaming import stream_into
from mirror.ui.tables import show_table


def example() -> str:
    """The text the box starts with, in the current language (markup in it shows the text is escaped)."""
    return t("inspector.example")


@st.cache_data(max_entries=32, show_spinner=False)
def _score(model_name: str, ids: tuple[int, ...], context: tuple[int, ...], _lm: LoadedModel) -> TextScore:
    return score_ids(_lm, list(ids), context=list(context) or None)


@st.cache_data(max_entries=32, show_spinner=False)
def _pieces(model_name: str, ids: tuple[int, ...], _lm: LoadedModel) -> list[str] | None:
    """What each token of the text shows in the coloured view (whole characters), or None if the tokenizer's
    bytes cannot be read (then each token shows its own decoding)."""
    def read() -> list[bytes | None] | None:
        reader = tokenizer_bytes_reader(_lm.tokenizer)
        return None if reader is None else [reader(token) for token in _lm.tokenizer.convert_ids_to_tokens(list(ids))]

    chunks = _lm.run(read)
    if chunks is None or any(chunk is None for chunk in chunks):
        return None
    return whole_characters([chunk for chunk in chunks if chunk is not None])


def _context_of(lm: LoadedModel, source: InspectorSource) -> list[int]:
    """The prompt a handed-over text answered, as ids; at most half the window (its newest part)."""
    ids: list[int] = []
    if source.context_ids:
        ids = list(source.context_ids)
    elif source.context_messages:
        ids = context_ids(lm, source.context_messages)
    return ids[-(lm.info.context_length // 2):]


def _in_vocabulary(lm: LoadedModel, ids: list[int]) -> bool:
    return all(0 <= i < len(lm.tokenizer) for i in ids)


def _take_source(lm: LoadedModel) -> None:
    """Adopt text handed over by another page (a chat reply, an explorer output)."""
    source = state.take_inspector_source()
    if source is None:
        return
    if source.origin != "paste" and not _in_vocabulary(lm, [*(source.token_ids or ()), *(source.context_ids or ())]):
        # A lesson link made with another model: its ids would index another vocabulary.
        st.session_state[state.INSPECTOR_NOTICE] = ("warning", "inspector.notice.foreign_tokens", {})
        source = state.InspectorSource(text=source.text)
    ids = list(source.token_ids or lm.encode(source.text))
    st.session_state[state.INSPECTOR_CURRENT] = {
        "text": source.text, "ids": ids, "context": _context_of(lm, source), "sampler_probs": source.sampler_probs,
        "origin": source.origin, "seed": source.seed, "params": source.params, "model": source.model,
    }
    st.session_state[state.INSPECTOR_TEXT] = source.text


def _inspect_pasted(lm: LoadedModel) -> None:
    text = st.session_state.get(state.INSPECTOR_TEXT, "")
    # The notice keeps its key and fields, not its text: it is written in the language of the run that shows it.
    if not text.strip():
        st.session_state[state.INSPECTOR_NOTICE] = ("info", "inspector.notice.empty", {})
        st.session_state.pop(state.INSPECTOR_CURRENT, None)
        return
    if len(text) > MAX_TEXT_CHARS:
        st.session_state[state.INSPECTOR_NOTICE] = ("error", "inspector.notice.too_long",
                                                    {"chars": len(text), "limit": MAX_TEXT_CHARS})
        return
    st.session_state[state.INSPECTOR_CURRENT] = {"text": text, "ids": lm.encode(text), "context": [], "sampler_probs": None,
                                     "origin": "paste"}


def _show_notice(notice: tuple[str, str, dict[str, int]]) -> None:
    kind, key, fields = notice
    getattr(st, kind)(t(key, **{name: fmt_int(value) for name, value in fields.items()}))


def _alternatives_chart(token: Any) -> alt.Chart:
    data = pd.DataFrame([{"token": visible_whitespace(name), "probability": p, "chosen": tid == token.token_id}
                         for tid, name, p in token.alternatives])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("probability:Q", title=t("inspector.chart.probability_raw")),
        y=alt.Y("token:N", sort="-x", title=None),
        color=alt.condition("datum.chosen", alt.value("#1e66f5"), alt.value("#9ca0b0")),
        tooltip=[alt.Tooltip("token:N", title=t("inspector.col.token")),
                 alt.Tooltip("probability:Q", format=".4f", title=t("inspector.col.probability"))],
    ).properties(height=260)


def shown_token(token: str, index: int, pieces: list[str] | None, language: Language) -> str:
    """A token as the chooser lists it: a piece of a character split over several tokens (alone it decodes
    to U+FFFD) is named as a part of that character, the token that completes it shows the character."""
    if "\ufffd" not in token or pieces is None or index >= len(pieces):
        return visible_whitespace(token)
    if pieces[index]:
        return visible_whitespace(pieces[index])
    whole = next((piece for piece in pieces[index + 1:] if piece), "")
    return t("inspector.token_part", language=language, char=whole[:1] or "?")


def _bits(value: float) -> str:
    return t("inspector.bits", value=fmt_number(value, 2))


def _token_details(lm: LoadedModel, current: dict[str, Any], score: TextScore, params: SamplingParams) -> None:
    tokens = score.tokens
    language = current_language()  # format_func runs later, maybe on another thread
    pieces = _pieces(lm.info.name, tuple(current["ids"]), lm)
    index = st.selectbox(
        t("inspector.choose_token"), range(len(tokens)), key=state.INSPECTOR_SELECTED,
        format_func=lambda i: (f"#{tokens[i].index} {shown_token(tokens[i].token, tokens[i].index, pieces, language)}  "
                               f"(p={fmt_number(tokens[i].prob, 3, language)})"),
    )
    token = tokens[index]
    sampler = current.get("sampler_probs")
    cols = st.columns(5 if sampler else 4)
    cols[0].metric(t("inspector.metric.prob_model"), fmt_number(token.prob, 4), help=t("inspector.metric.prob_model.help"))
    cols[1].metric(t("inspector.metric.rank"), fmt_int(token.rank),
                   help=t("inspector.metric.rank.help", bucket=bucket_label(rank_bucket(token.rank))))
    cols[2].metric(t("inspector.metric.entropy"), _bits(token.entropy), help=t("inspector.metric.entropy.help"))
    cols[3].metric(t("inspector.metric.surprisal"), _bits(token.surprisal), help=t("inspector.metric.surprisal.help"))
    if sampler and token.index < len(sampler) and sampler[token.index] is not None:
        cols[4].metric(t("inspector.metric.prob_sampler"), fmt_number(sampler[token.index], 4),
                       help=t("inspector.metric.prob_sampler.help"))
    show_chart(_alternatives_chart(token), width="stretch")
    st.button(t("inspector.inside.button"), key="insp_inside", on_click=_open_inside, args=(lm, current, token.index),
              help=t("inspector.inside.help"))

    with st.form("fork_form"):
        st.markdown(t("inspector.fork.heading"))
        choices = [a for a in token.alternatives if a.token_id != token.token_id]
        pick = st.selectbox(t("inspector.fork.alternative"), range(len(choices)),
                            format_func=lambda i: (f"{visible_whitespace(choices[i].token)}  "
                                                   f"(p={fmt_number(choices[i].prob, 3, language)})"))
        forked = st.form_submit_button(t("inspector.fork.button"), type="primary")
    if forked and choices:
        _fork(lm, current, token.index, choices[pick].token_id, params)


def _open_inside(lm: LoadedModel, current: dict[str, Any], index: int) -> None:
    """Hand the inspected text to Inside the Mirror with the prompt it was scored after, at the position that
    predicted token `index`."""
    start = start_token_id(lm.tokenizer)
    prefix = list(current["context"]) or ([start] if start is not None else [])
    ids = prefix + list(current["ids"])
    state.hand_inside(InsideSource(ids=tuple(ids), text_start=len(prefix), position=max(0, len(prefix) + index - 1),
                                   origin=current.get("origin", "paste"),
                                   label=t("inspector.inside.label", index=index)))
    st.session_state[state.INSPECTOR_GO_INSIDE] = True


def _fork(lm: LoadedModel, current: dict[str, Any], index: int, token_id: int, params: SamplingParams) -> None:
    """Continue the text from position `index` with another token; the result becomes the inspected text."""
    prefix = current["ids"][:index] + [token_id]
    st.caption(t("inspector.fork.continues"))
    probs: list[float] = []
    run = Generation(lm, (current["context"] or []) + prefix, params)
    result = stream_into(st.empty(), run, lambda step: probs.append(step.prob))
    ids = prefix + result.token_ids
    old = current.get("sampler_probs") or []
    # Sampler probabilities: kept for the original prefix, none for the token you chose, new ones after it.
    sampler = [old[i] if i < len(old) else None for i in range(index)] + [None] + probs
    st.session_state[state.INSPECTOR_CURRENT] = {
        # The box shows whole characters only; the ids keep every token.
        "text": lm.decode_whole(ids)[0], "ids": ids, "context": current["context"], "origin": "fork",
        "sampler_probs": sampler, "seed": result.seed, "params": params.to_dict(), "model": lm.info.name,
    }
    st.session_state[state.INSPECTOR_TEXT_NEXT] = st.session_state[state.INSPECTOR_CURRENT]["text"]
    st.rerun()


def _summary(score: TextScore) -> Summary:
    summary = Summary.of(score)
    cols = st.columns(4)
    cols[0].metric(t("inspector.summary.tokens"), fmt_int(summary.tokens))
    # Not grouped by thousands: the figure reads as one number in either language.
    cols[1].metric(t("inspector.summary.perplexity"), fmt_number(summary.perplexity, 2, group=False),
                   help=t("inspector.summary.perplexity.help"))
    cols[2].metric(t("inspector.summary.mean_surprisal"), _bits(summary.mean_surprisal))
    cols[3].metric(t("inspector.summary.top10"), fmt_percent(summary.bucket_shares["top 10"], 0))
    return summary


def _bucket_scale() -> alt.Scale:
    return alt.Scale(domain=[bucket_label(b.name) for b in BUCKETS], range=[b.colour for b in BUCKETS])


def _bucket_chart(shares: dict[str, dict[str, float]]) -> alt.Chart:
    rows = [{"text": name, "bucket": bucket_label(bucket), "share": share}
            for name, s in shares.items() for bucket, share in s.items()]
    return alt.Chart(pd.DataFrame(rows)).mark_bar(stroke="#4c4f69", strokeWidth=0.5).encode(
        x=alt.X("bucket:N", sort=[bucket_label(b.name) for b in BUCKETS], title=t("inspector.chart.rank_bucket")),
        xOffset="text:N",
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title=t("inspector.chart.share")),
        color=alt.Color("bucket:N", scale=_bucket_scale(), legend=None),
        opacity=alt.Opacity("text:N", legend=alt.Legend(title=None, orient="top")),
        tooltip=[alt.Tooltip("text:N", title=t("inspector.chart.text")),
                 alt.Tooltip("bucket:N", title=t("inspector.col.bucket")),
                 alt.Tooltip("share:Q", format=".1%", title=t("inspector.chart.share_tip"))],
    ).properties(height=240)


def _surprisal_chart(table: pd.DataFrame) -> alt.Chart:
    data = table.assign(shown=table["token"].map(visible_whitespace), bucket=table["bucket"].map(bucket_label))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("index:Q", title=t("inspector.chart.position")),
        y=alt.Y("surprisal_bits:Q", title=t("inspector.chart.surprisal")),
        color=alt.Color("bucket:N", scale=_bucket_scale(), title=t("inspector.col.bucket")),
        tooltip=[alt.Tooltip("index:Q", title=t("inspector.col.position")),
                 alt.Tooltip("shown:N", title=t("inspector.col.token")),
                 alt.Tooltip("probability:Q", format=".4f", title=t("inspector.col.probability")),
                 alt.Tooltip("rank:Q", title=t("inspector.col.rank"))],
    ).properties(height=220)


def _compare(lm: LoadedModel, score: TextScore) -> None:
    with st.expander(t("inspector.compare.expander")):
        other = st.text_area(t("inspector.compare.second"), key="insp_compare_text", height=120)
        if not st.button(t("inspector.compare.button"), key="insp_compare"):
            return
        if not other.strip():
            st.info(t("inspector.compare.empty"))
            return
        other_score = _score(lm.info.name, tuple(lm.encode(other)), (), lm)
        left, right = st.columns(2)
        with left:
            st.markdown(t("inspector.compare.this_heading"))
            first = _summary(score)
        with right:
            st.markdown(t("inspector.compare.second_heading"))
            second = _summary(other_score)
        show_chart(_bucket_chart({t("inspector.compare.this_series"): first.bucket_shares,
                                  t("inspector.compare.second_series"): second.bucket_shares}), width="stretch")


def _shown_table(frame: pd.DataFrame, pieces: list[str] | None = None) -> pd.DataFrame:
    """A table for people: tokens with their whitespace drawn (a piece of a split character named as in the
    token chooser, from `pieces`), buckets in words, column names translated."""
    shown = frame.copy()
    if "token" in shown:
        where = "index" if "index" in shown else "position"
        language = current_language()
        shown["token"] = [shown_token(token, int(index), pieces, language)
                          for token, index in zip(shown["token"], shown[where])]
    if "bucket" in shown:
        shown["bucket"] = shown["bucket"].map(bucket_label)
    return shown.rename(columns={name: t(f"inspector.col.{name}") for name in shown.columns})


def _figures_table(table: pd.DataFrame, pieces: list[str] | None) -> None:
    """The coloured text's figures as a table: what the colours and underlines say, without them."""
    show_table(_shown_table(table[["index", "token", "probability", "rank", "bucket", "surprisal_bits"]], pieces),
               hide_index=True, width="stretch")


def inspector_page(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    if isinstance(lm, RemoteModel):
        remote_inspector(lm)
        return
    _take_source(lm)
    if state.INSPECTOR_TEXT_NEXT in st.session_state:
        st.session_state[state.INSPECTOR_TEXT] = st.session_state.pop(state.INSPECTOR_TEXT_NEXT)
    examples = {t("inspector.example", language) for language in LANGUAGES}
    if state.INSPECTOR_TEXT not in st.session_state or st.session_state[state.INSPECTOR_TEXT] in examples:
        st.session_state[state.INSPECTOR_TEXT] = example()  # untouched, the example follows a language switch
    st.text_area(t("inspector.text"), key=state.INSPECTOR_TEXT, height=130, help=t("inspector.text.help"))
    st.button(t("inspector.inspect"), type="primary", on_click=_inspect_pasted, args=(lm,))
    notice = st.session_state.pop(state.INSPECTOR_NOTICE, None)
    if notice:
        _show_notice(notice)
    current = st.session_state.get(state.INSPECTOR_CURRENT)
    if not current:
        st.caption(t("inspector.intro", vocabulary=fmt_int(len(lm.tokenizer))))
        return
    if not current["ids"]:
        st.info(t("inspector.no_tokens"))
        return
    if current.get("origin") in ("chat", "explorer", "fork"):
        extra = t("inspector.origin.seed", seed=current["seed"]) if current.get("seed") is not None else ""
        st.caption(t(f"inspector.origin.{current['origin']}", model=current.get("model") or lm.info.name, seed=extra))
    with st.spinner(t("inspector.scoring")):
        score = _score(lm.info.name, tuple(current["ids"]), tuple(current["context"]), lm)
    if score.windows > 1:
        st.info(t("inspector.windowed", context=tn("inspector.tokens", lm.info.context_length),
                  passes=tn("inspector.passes", score.windows), half=tn("inspector.tokens", lm.info.context_length // 2)))
    if not score.tokens:
        st.info(t("inspector.one_token"))
        return
    _summary(score)

    left, right = st.columns([3, 1], vertical_alignment="bottom")
    mode = left.radio(t("inspector.colour_by"), ["rank", "prob"], horizontal=True, key="insp_mode",
                      format_func=labeller(lambda m: f"inspector.mode.{m}"), help=t("inspector.colour_by.help"))
    as_table = right.toggle(t("inspector.table_view"), key="insp_table_view", help=t("inspector.table_view.help"))
    table = token_table(score, current.get("sampler_probs"))
    pieces = _pieces(lm.info.name, tuple(current["ids"]), lm)
    if as_table:
        _figures_table(table, pieces)
    else:
        st.html(legend_html(mode))
        st.html(coloured_html(score.tokens, mode, selected=st.session_state.get(state.INSPECTOR_SELECTED),
                              pieces=pieces))

    st.subheader(t("inspector.why"))
    _token_details(lm, current, score, params)

    st.subheader(t("inspector.summary"))
    left, right = st.columns([1, 2])
    with left:
        show_chart(_bucket_chart({t("inspector.compare.this_series"): Summary.of(score).bucket_shares}),
                   width="stretch")
    with right:
        show_chart(_surprisal_chart(table), width="stretch")
    st.markdown(t("inspector.least_confident"))
    show_table(_shown_table(pd.DataFrame([
        {"position": token.index, "token": token.token, "probability": token.prob, "rank": token.rank,
         "model_expected": visible_whitespace(token.alternatives[0].token)} for token in least_confident(score)]), pieces),
        hide_index=True, width="stretch")
    with st.expander(t("inspector.every_token")):
        show_table(_shown_table(table, pieces), hide_index=True, width="stretch")
    st.download_button(t("inspector.download"), safe_csv(table), file_name="magic-mirror-tokens.csv",
                       mime="text/csv")
    _compare(lm, score)
    if st.session_state.pop(state.INSPECTOR_GO_INSIDE, False):
        switch_to(INSIDE)
