"""Widgets of the home page: the model card and the "Ask the mirror" box."""

from __future__ import annotations

import streamlit as st

from mirror.config import MAX_PROMPT_CHARS
from mirror.generation import GenerationResult, generate
from mirror.models import LoadedModel, ModelInfo
from mirror.sampling import SamplingParams
from mirror.text import escape_markdown

ANSWER_KEY = "home_last_answer"
SOURCES = {"bundled": "bundled with the app, runs offline", "hub": "Hugging Face Hub", "local": "local folder"}


def model_card(info: ModelInfo) -> None:
    with st.container(border=True):
        st.subheader(f"🪞 {info.name}")
        st.caption(f"Source: {SOURCES.get(info.source, info.source)} · {info.location}")
        cols = st.columns(5)
        cols[0].metric("Parameters", f"{info.parameters / 1e6:.0f} M", help=f"{info.parameters:,} weights")
        cols[1].metric("Context", f"{info.context_length:,} tokens")
        cols[2].metric("Device", info.device)
        cols[3].metric("Precision", info.dtype)
        cols[4].metric("Load time", f"{info.load_seconds:.1f} s",
                       help="from the weight cache" if info.from_cache else "first load (cache built now)")
        if not info.has_chat_template:
            st.caption("This is a base model without a chat template: questions are asked as a plain dialogue.")


def _summary(result: GenerationResult) -> str:
    stopped = {"eos": "finished", "length": "reached the token limit", "stop_string": "finished",
               "context": "filled the context window", "cancelled": "stopped"}.get(result.finish_reason, "")
    return (f"{result.new_tokens} tokens · {result.tokens_per_second:.1f} tokens/s · first token after "
            f"{(result.time_to_first_token or 0):.2f} s · seed {result.seed} · {stopped}")


def _show(question: str, answer: str, caption: str) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar="🪞"):
        st.markdown(escape_markdown(answer))
        st.caption(caption)


def ask_the_mirror(lm: LoadedModel, params: SamplingParams) -> None:
    st.markdown("#### Ask the mirror")
    question = st.chat_input("Ask the mirror anything…", max_chars=MAX_PROMPT_CHARS)
    if question is None:
        if ANSWER_KEY in st.session_state:
            _show(*st.session_state[ANSWER_KEY])
        return
    if not question.strip():
        st.info("Type a question first: an empty message has nothing to reflect.")
        return
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar="🪞"):
        placeholder = st.empty()
        run = generate(lm, question, params, chat=True)
        answer = ""
        try:
            for step in run:
                if step.text:
                    answer += step.text
                    placeholder.markdown(escape_markdown(answer) + " ▌")
        finally:
            run.cancel()  # the script was stopped (new input, closed tab): free the model for others
        placeholder.markdown(escape_markdown(answer) if answer else "_(the mirror stayed silent)_")
        caption = _summary(run.result())
        st.caption(caption)
    st.session_state[ANSWER_KEY] = (question, answer, caption)
