"""The home page: what the mirror is, the model card and the "Ask the mirror" box."""

from __future__ import annotations

import streamlit as st

from mirror.config import MAX_MESSAGE_CHARS
from mirror.services.conversation import EmptyMessage, check_user_message
from mirror.services.prompts import Message
from mirror.models import LoadedModel, ModelInfo
from mirror.services.remote import RemoteModel
from mirror.engine.sampling import SamplingParams
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.page import current_frame
from mirror.ui.pages import CHAT, INSIDE, link_to
from mirror.ui.streaming import start_reply, stream_into, summary_line

SOURCES = {"remote": "an OpenAI-compatible inference server", "bundled": "bundled with the app, runs offline", "hub": "Hugging Face Hub", "local": "local folder"}


def model_card(info: ModelInfo) -> None:
    with st.container(border=True):
        st.subheader(f"🪞 {info.name}")
        st.caption(f"Source: {SOURCES.get(info.source, info.source)} · {info.location}")
        cols = st.columns(5)
        remote = info.source == "remote"
        cols[0].metric("Parameters", "on the server" if remote else f"{info.parameters / 1e6:.0f} M",
                       help=None if remote else f"{info.parameters:,} weights")
        cols[1].metric("Context", f"{info.context_length:,} tokens" if info.context_length else "not reported")
        cols[2].metric("Device", info.device)
        cols[3].metric("Precision", info.dtype)
        cols[4].metric("Connect time" if remote else "Load time", f"{info.load_seconds:.1f} s",
                       help=None if remote else "from the weight cache" if info.from_cache else "first load (cache built now)")
        if info.note:
            st.info(info.note)
        if info.speed_choices:
            st.caption(f"Runtime {info.runtime}, chosen on this machine by timing: "
                       f"{escape_markdown(info.speed_choices)}")
        if not info.has_chat_template:
            st.caption("This is a base model without a chat template: questions are asked as a plain dialogue.")


def _show(question: str, answer: str, caption: str) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar="🪞"):
        st.markdown(escape_markdown(answer))
        st.caption(caption)


def ask_the_mirror(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    st.markdown("#### Ask the mirror")
    question = st.chat_input("Ask the mirror anything…", submit_mode="stop")
    if question is None:
        if state.HOME_ANSWER in st.session_state:
            _show(*st.session_state[state.HOME_ANSWER])
        return
    try:
        check_user_message(question, MAX_MESSAGE_CHARS)
    except EmptyMessage as hint:
        st.info(str(hint))
        return
    except ValueError as error:
        st.error(str(error))
        st.text_area("Your question", question, height=120)
        return
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar="🪞"):
        result = stream_into(st.empty(), start_reply(lm, [Message("user", question)], params).run)
        caption = summary_line(result.new_tokens, result.tokens_per_second, result.time_to_first_token,
                               result.seed, result.finish_reason, getattr(result, "queued_seconds", 0.0),
                               result.dropped_bytes)
        st.caption(caption)
    st.session_state[state.HOME_ANSWER] = (question, result.text, caption)


def home_page() -> None:
    """The home page: a welcome, the model card and one question to ask."""
    lm, params = current_frame()
    st.write(
        "A small language model you can watch think: chat with it, see how temperature, top-k and top-p "
        "reshape its choices, inspect why every token came out, and look inside it: what each layer would say "
        "and where each head looks. Everything runs on this machine."
    )
    link_to(CHAT, "Chat with the mirror")
    link_to(INSIDE, "Look inside the mirror")
    if lm is not None:
        model_card(lm.info)
        ask_the_mirror(lm, params)
