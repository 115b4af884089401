"""What the Parameter Explorer and the Token Inspector can show when the model is a remote server.

A server reports the raw probability of each token it writes and its top alternatives; it does not
expose the full distribution nor the sampler's stages. These views show exactly that much, and say
what is missing instead of showing numbers nobody computed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.services.inspector import legend_html, probability_html
from mirror.services.remote import BackendError, RemoteModel
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.steps import ReplyStep


def remote_inspector(lm: RemoteModel) -> None:
    st.info(f"The model runs on an inference server ({lm.info.location}). It reports the probability of each token "
            "it writes and its top alternatives, so replies opened from the Chat can be inspected here; scoring "
            "any pasted text needs the model itself and is not available with a server.")
    source = state.peek_inspector_source()
    steps = source.steps if source is not None else ()
    if not steps:
        st.caption("Open a reply with its 🔍 button on the Chat page.")
        return
    tokens = [s.token for s in steps]
    probs = [s.raw_prob for s in steps]
    st.html(legend_html("prob"))
    st.html(probability_html(tokens, probs))
    known = [p for p in probs if p is not None]
    if known:
        st.metric("Mean probability of the written tokens (raw model)", f"{sum(known) / len(known):.3f}")
    st.dataframe(pd.DataFrame([_step_row(i, s) for i, s in enumerate(steps)]), hide_index=True, width="stretch")
    st.caption("Not available from a server: the sampler's own probabilities, the entropy over the whole "
               "vocabulary, and ranks beyond the alternatives it returns.")


def _step_row(position: int, step: ReplyStep) -> dict[str, object]:
    return {
        "position": position, "token": visible_whitespace(step.token), "probability (raw)": step.raw_prob,
        "rank": step.rank if step.rank is not None else f"> {len(step.alternatives)}",
        "alternatives": ", ".join(f"{visible_whitespace(a.token)} {a.raw_prob:.3f}" for a in step.alternatives
                                  if a.raw_prob is not None),
    }


def remote_explorer(lm: RemoteModel) -> None:
    st.info("The Parameter Explorer shows how each sampler stage reshapes the model's full next-token "
            "distribution. An inference server does not expose that distribution nor its sampler's stages, so "
            "here you see only what it reports: its top raw alternatives for the next token. Run the mirror "
            "with a local model for the full explorer.")
    prompt = st.text_area("Prompt", "The capital of France is", key="remote_explorer_prompt", height=80)
    if not st.button("Show the server's top alternatives", type="primary"):
        return
    if not prompt.strip():
        st.info("Type a prompt first.")
        return
    try:
        top = lm.next_token_alternatives(prompt)
    except BackendError as error:
        st.error(str(error))
        return
    if not top:
        st.warning("The server returned no alternatives (it may not support log-probabilities).")
        return
    st.dataframe(pd.DataFrame([{"token": visible_whitespace(t), "probability (raw)": p} for t, p in top]),
                 hide_index=True, width="stretch")
