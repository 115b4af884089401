"""The Token Inspector page: why each token came out, coloured text, alternatives, forks and summaries."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from mirror.services.scoring import TextScore, score_ids, start_token_id
from mirror.config import MAX_TEXT_CHARS
from mirror.engine.generation import Generation
from mirror.services.prompts import context_ids
from mirror.services.inspector import (
    BUCKETS,
    BUCKET_NAMES,
    Summary,
    coloured_html,
    least_confident,
    legend_html,
    rank_bucket,
    safe_csv,
    token_table,
)
from mirror.models import LoadedModel
from mirror.services.remote import RemoteModel
from mirror.engine.sampling import SamplingParams
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.remote_views import remote_inspector
from mirror.ui.pages import INSIDE, switch_to
from mirror.ui.state import InsideSource, InspectorSource
from mirror.ui.streaming import stream_into

EXAMPLE = ("Mirror, mirror on the wall, who is the fairest of them all? "
           "The mirror answered: <script>alert('boo')</script> is not a name.")
ORIGINS = {"chat": "a Chat reply", "explorer": "the Parameter Explorer", "fork": "a fork", "paste": "pasted text"}


@st.cache_data(max_entries=32, show_spinner=False)
def _score(model_name: str, ids: tuple[int, ...], context: tuple[int, ...], _lm: LoadedModel) -> TextScore:
    return score_ids(_lm, list(ids), context=list(context) or None)


def _context_of(lm: LoadedModel, source: InspectorSource) -> list[int]:
    """The prompt a handed-over text answered, as ids; at most half the window (its newest part)."""
    ids: list[int] = []
    if source.context_ids:
        ids = list(source.context_ids)
    elif source.context_messages:
        ids = context_ids(lm, source.context_messages)
    return ids[-(lm.info.context_length // 2):]


def _take_source(lm: LoadedModel) -> None:
    """Adopt text handed over by another page (a chat reply, an explorer output)."""
    source = state.take_inspector_source()
    if source is None:
        return
    ids = list(source.token_ids or lm.encode(source.text))
    st.session_state[state.INSPECTOR_CURRENT] = {
        "text": source.text, "ids": ids, "context": _context_of(lm, source), "sampler_probs": source.sampler_probs,
        "origin": source.origin, "seed": source.seed, "params": source.params, "model": source.model,
    }
    st.session_state[state.INSPECTOR_TEXT] = source.text


def _inspect_pasted(lm: LoadedModel) -> None:
    text = st.session_state.get(state.INSPECTOR_TEXT, "")
    if not text.strip():
        st.session_state[state.INSPECTOR_NOTICE] = ("info", "Paste or type a text first: there is nothing to inspect yet.")
        st.session_state.pop(state.INSPECTOR_CURRENT, None)
        return
    if len(text) > MAX_TEXT_CHARS:
        st.session_state[state.INSPECTOR_NOTICE] = ("error", f"The text has {len(text):,} characters; the inspector takes up "
                                                    f"to {MAX_TEXT_CHARS:,}. Shorten it (it is kept in the box).")
        return
    st.session_state[state.INSPECTOR_CURRENT] = {"text": text, "ids": lm.encode(text), "context": [], "sampler_probs": None,
                                     "origin": "paste"}


def _alternatives_chart(token: Any) -> alt.Chart:
    data = pd.DataFrame([{"token": visible_whitespace(name), "probability": p, "chosen": tid == token.token_id}
                         for tid, name, p in token.alternatives])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("probability:Q", title="probability (raw model)"),
        y=alt.Y("token:N", sort="-x", title=None),
        color=alt.condition("datum.chosen", alt.value("#1e66f5"), alt.value("#9ca0b0")),
        tooltip=["token", alt.Tooltip("probability:Q", format=".4f")],
    ).properties(height=260)


def _token_details(lm: LoadedModel, current: dict[str, Any], score: TextScore, params: SamplingParams) -> None:
    tokens = score.tokens
    index = st.selectbox(
        "Choose a token to explain", range(len(tokens)), key=state.INSPECTOR_SELECTED,
        format_func=lambda i: f"#{tokens[i].index} {visible_whitespace(tokens[i].token)}  (p={tokens[i].prob:.3f})",
    )
    token = tokens[index]
    sampler = current.get("sampler_probs")
    cols = st.columns(5 if sampler else 4)
    cols[0].metric("Probability (model)", f"{token.prob:.4f}", help="softmax of the raw logits at this position")
    cols[1].metric("Rank", f"{token.rank:,}", help=f"bucket: {rank_bucket(token.rank)}")
    cols[2].metric("Entropy", f"{token.entropy:.2f} bits", help="how unsure the model was about this position")
    cols[3].metric("Surprisal", f"{token.surprisal:.2f} bits", help="-log2 of the probability")
    if sampler and token.index < len(sampler) and sampler[token.index] is not None:
        cols[4].metric("Probability (sampler)", f"{sampler[token.index]:.4f}",
                       help="under the final distribution the sampler drew from (after penalties, temperature, "
                            "top-k, top-p)")
    st.altair_chart(_alternatives_chart(token), width="stretch")
    st.button("🔬 Look inside at this token", key="insp_inside", on_click=_open_inside, args=(lm, current, token.index),
              help="What each layer predicted here, where each head looked, and which words mattered")

    with st.form("fork_form"):
        st.markdown("**Fork:** what if the model had picked another token here?")
        choices = [a for a in token.alternatives if a.token_id != token.token_id]
        pick = st.selectbox("Alternative", range(len(choices)),
                            format_func=lambda i: f"{visible_whitespace(choices[i].token)}  (p={choices[i].prob:.3f})")
        forked = st.form_submit_button("🔀 Continue from here with this token", type="primary")
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
                                   label=f"token #{index} of the inspected text"))
    st.session_state[state.INSPECTOR_GO_INSIDE] = True


def _fork(lm: LoadedModel, current: dict[str, Any], index: int, token_id: int, params: SamplingParams) -> None:
    """Continue the text from position `index` with another token; the result becomes the inspected text."""
    prefix = current["ids"][:index] + [token_id]
    st.caption("The mirror continues from your choice:")
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


def _summary(score: TextScore, label: str = "") -> Summary:
    summary = Summary.of(score)
    cols = st.columns(4)
    cols[0].metric(f"Tokens{label}", f"{summary.tokens:,}")
    cols[1].metric("Perplexity", f"{summary.perplexity:.2f}", help="exp of the mean negative log-likelihood")
    cols[2].metric("Mean surprisal", f"{summary.mean_surprisal:.2f} bits")
    cols[3].metric("In the top 10", f"{summary.bucket_shares['top 10']:.0%}")
    return summary


def _bucket_chart(shares: dict[str, dict[str, float]]) -> alt.Chart:
    rows = [{"text": name, "bucket": bucket, "share": share} for name, s in shares.items() for bucket, share in s.items()]
    colours = alt.Scale(domain=list(BUCKET_NAMES), range=[c for _, _, c in BUCKETS])
    return alt.Chart(pd.DataFrame(rows)).mark_bar(stroke="#4c4f69", strokeWidth=0.5).encode(
        x=alt.X("bucket:N", sort=list(BUCKET_NAMES), title="rank bucket"),
        xOffset="text:N",
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of tokens"),
        color=alt.Color("bucket:N", scale=colours, legend=None),
        opacity=alt.Opacity("text:N", legend=alt.Legend(title=None, orient="top")),
        tooltip=["text", "bucket", alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=240)


def _surprisal_chart(table: pd.DataFrame) -> alt.Chart:
    data = table.assign(shown=table["token"].map(visible_whitespace))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("index:Q", title="token position"),
        y=alt.Y("surprisal_bits:Q", title="surprisal (bits)"),
        color=alt.Color("bucket:N", scale=alt.Scale(domain=list(BUCKET_NAMES), range=[c for _, _, c in BUCKETS])),
        tooltip=["index", "shown", alt.Tooltip("probability:Q", format=".4f"), "rank"],
    ).properties(height=220)


def _compare(lm: LoadedModel, score: TextScore) -> None:
    with st.expander("⚖️ Compare with another text (e.g. a human paragraph and a generated one)"):
        other = st.text_area("Second text", key="insp_compare_text", height=120)
        if not st.button("Compare", key="insp_compare"):
            return
        if not other.strip():
            st.info("Type or paste a second text to compare with.")
            return
        other_score = _score(lm.info.name, tuple(lm.encode(other)), (), lm)
        left, right = st.columns(2)
        with left:
            st.markdown("**This text**")
            first = _summary(score)
        with right:
            st.markdown("**Second text**")
            second = _summary(other_score)
        st.altair_chart(_bucket_chart({"this text": first.bucket_shares, "second text": second.bucket_shares}),
                        width="stretch")


def inspector_page(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    if isinstance(lm, RemoteModel):
        remote_inspector(lm)
        return
    _take_source(lm)
    if state.INSPECTOR_TEXT_NEXT in st.session_state:
        st.session_state[state.INSPECTOR_TEXT] = st.session_state.pop(state.INSPECTOR_TEXT_NEXT)
    st.session_state.setdefault(state.INSPECTOR_TEXT, EXAMPLE)
    st.text_area("Text to inspect", key=state.INSPECTOR_TEXT, height=130,
                 help="Paste any text, or open a chat reply here with its 🔍 button.")
    st.button("🔍 Inspect", type="primary", on_click=_inspect_pasted, args=(lm,))
    notice = st.session_state.pop(state.INSPECTOR_NOTICE, None)
    if notice:
        getattr(st, notice[0])(notice[1])
    current = st.session_state.get(state.INSPECTOR_CURRENT)
    if not current:
        st.caption("Every token is scored by the model in one forward pass: its probability, its rank among all "
                   f"{len(lm.tokenizer):,} tokens, the model's uncertainty (entropy) and its surprise.")
        return
    if not current["ids"]:
        st.info("This text has no tokens to score.")
        return
    if current.get("origin") in ("chat", "explorer", "fork"):
        extra = f" · seed {current['seed']}" if current.get("seed") is not None else ""
        st.caption(f"Inspecting {ORIGINS[current['origin']]} written by {current.get('model') or lm.info.name}{extra}; "
                   "the sampler's own probabilities are shown beside the model's.")
    with st.spinner("Scoring every token…"):
        score = _score(lm.info.name, tuple(current["ids"]), tuple(current["context"]), lm)
    if score.windows > 1:
        st.info(f"The text is longer than the model's {lm.info.context_length:,}-token context window: it was "
                f"scored with a sliding window in {score.windows} passes, so every token still sees at least "
                f"{lm.info.context_length // 2:,} tokens before it.")
    if not score.tokens:
        st.info("Only one token: the model has no start-of-text token to predict it from, so there is nothing to score.")
        return
    _summary(score)

    mode = st.radio("Colour by", ["rank", "prob"], horizontal=True, key="insp_mode",
                    format_func=lambda m: "rank bucket (GLTR)" if m == "rank" else "probability")
    st.html(legend_html(mode))
    st.html(coloured_html(score.tokens, mode, selected=st.session_state.get(state.INSPECTOR_SELECTED)))

    st.subheader("Why this token?")
    _token_details(lm, current, score, params)

    st.subheader("Summary")
    table = token_table(score, current.get("sampler_probs"))
    left, right = st.columns([1, 2])
    with left:
        st.altair_chart(_bucket_chart({"this text": Summary.of(score).bucket_shares}), width="stretch")
    with right:
        st.altair_chart(_surprisal_chart(table), width="stretch")
    st.markdown("**Least confident tokens**")
    st.dataframe(pd.DataFrame([{"position": t.index, "token": visible_whitespace(t.token), "probability": t.prob,
                                "rank": t.rank, "model expected": visible_whitespace(t.alternatives[0].token)}
                               for t in least_confident(score)]), hide_index=True, width="stretch")
    with st.expander("Every token (table)"):
        st.dataframe(table.assign(token=table["token"].map(visible_whitespace)), hide_index=True,
                     width="stretch")
    st.download_button("⬇️ Per-token table (CSV)", safe_csv(table), file_name="magic-mirror-tokens.csv",
                       mime="text/csv")
    _compare(lm, score)
    if st.session_state.pop(state.INSPECTOR_GO_INSIDE, False):
        switch_to(INSIDE)
