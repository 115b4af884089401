"""What the Parameter Explorer and the Token Inspector can show when the model is a remote server.

A server reports the raw probability of each token it writes and its top alternatives; it does not
expose the full distribution nor the sampler's stages. These views show exactly that much, and say
what is missing instead of showing numbers nobody computed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.i18n import LANGUAGES, fmt_number, t
from mirror.services.inspector import legend_html, probability_html
from mirror.services.remote import BackendError, RemoteModel
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.steps import ReplyStep
from mirror.ui.tables import show_table


def remote_inspector(lm: RemoteModel) -> None:
    st.info(t("chat.remote.inspector_intro", where=lm.info.location))
    source = state.peek_inspector_source()
    steps = source.steps if source is not None else ()
    if not steps:
        st.caption(t("chat.remote.open_from_chat"))
        return
    tokens = [s.token for s in steps]
    probs = [s.raw_prob for s in steps]
    st.html(legend_html("prob"))
    st.html(probability_html(tokens, probs))
    known = [p for p in probs if p is not None]
    if known:
        st.metric(t("chat.remote.mean_prob"), fmt_number(sum(known) / len(known), 3))
    show_table(pd.DataFrame([_step_row(i, s) for i, s in enumerate(steps)]), hide_index=True, width="stretch",
               column_config=_columns())
    st.caption(t("chat.remote.not_available"))


def _columns() -> dict[str, str]:
    """The tables' column headers in the current language (the data keeps its column names)."""
    return {name: t(f"chat.remote.col.{name}") for name in ("position", "token", "raw_prob", "rank", "alternatives")}


def _step_row(position: int, step: ReplyStep) -> dict[str, object]:
    return {
        "position": position, "token": visible_whitespace(step.token), "raw_prob": step.raw_prob,
        "rank": step.rank if step.rank is not None else f"> {len(step.alternatives)}",
        "alternatives": ", ".join(f"{visible_whitespace(a.token)} {fmt_number(a.raw_prob, 3)}" for a in step.alternatives
                                  if a.raw_prob is not None),
    }


def remote_explorer(lm: RemoteModel) -> None:
    st.info(t("chat.remote.explorer_intro"))
    _example_follows_the_language(PROMPT_KEY, "chat.remote.prompt_example")
    prompt = st.text_area(t("chat.remote.prompt"), key=PROMPT_KEY, height=80)
    if not st.button(t("chat.remote.show_top"), type="primary"):
        return
    if not prompt.strip():
        st.info(t("chat.remote.type_prompt"))
        return
    try:
        top = lm.next_token_alternatives(prompt)
    except BackendError as error:
        st.error(str(error))
        return
    if not top:
        st.warning(t("chat.remote.no_alternatives"))
        return
    show_table(pd.DataFrame([{"token": visible_whitespace(token), "raw_prob": p} for token, p in top]),
               hide_index=True, width="stretch", column_config=_columns())


PROMPT_KEY = "remote_explorer_prompt"


def _example_follows_the_language(key: str, example: str) -> None:
    """Fill a text box with the example text of today's language, unless the visitor wrote their own."""
    if st.session_state.get(key) in (None, *(t(example, language=language) for language in LANGUAGES)):
        st.session_state[key] = t(example)
