"""The home page: what the mirror is, the model card and the "Ask the mirror" box."""

from __future__ import annotations

import streamlit as st

from mirror.config import MAX_MESSAGE_CHARS
from mirror.i18n import current_language, fmt_number, t, tn
from mirror.services.conversation import EmptyMessage, check_user_message
from mirror.services.prompts import Message
from mirror.models import LoadedModel, ModelInfo
from mirror.models.pool import MB
from mirror.services.remote import RemoteModel
from mirror.engine.sampling import SamplingParams
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.frame import current_frame
from mirror.ui.pool import model_pool
from mirror.ui.pages import CHAT, INSIDE, link_to
from mirror.ui.streaming import start_reply, stream_into, summary_line

SOURCES = ("remote", "bundled", "hub", "local", "package")  # the kinds of source the model card names in words


def _source(kind: str) -> str:
    return t(f"home.source.{kind}") if kind in SOURCES else kind


def model_card(info: ModelInfo, note: str) -> None:
    with st.container(border=True):
        st.subheader(f"🪞 {info.name}")
        st.caption(t("home.card.source", source=_source(info.source), location=info.location))
        cols = st.columns(5)
        remote = info.source == "remote"
        cols[0].metric(t("home.card.parameters"),
                       t("home.card.on_server") if remote else t("home.card.millions", value=fmt_number(info.parameters / 1e6, 0)),
                       help=None if remote else tn("home.card.weights", info.parameters))
        cols[1].metric(t("home.card.context"),
                       tn("home.card.tokens", info.context_length) if info.context_length else t("home.card.not_reported"))
        cols[2].metric(t("home.card.device"), info.device)
        cols[3].metric(t("home.card.precision"), info.dtype)
        cols[4].metric(t("home.card.connect_time") if remote else t("home.card.load_time"),
                       t("home.card.seconds", value=fmt_number(info.load_seconds, 1, group=False)),
                       help=None if remote else t("home.card.from_cache") if info.from_cache else t("home.card.first_load"))
        if note:
            st.info(note)
        if info.speed_choices:
            st.caption(t("home.card.runtime", runtime=info.runtime,
                         choices=escape_markdown(info.speed_choices_in(current_language()))))
        if not info.has_chat_template:
            st.caption(t("home.card.base_model"))
        if not remote:
            st.caption(pool_line())


def pool_line() -> str:
    """Which models this server holds, the memory their weights take, and the budget."""
    pool = model_pool()

    def users(model) -> str:
        if model.loading:
            return t("models.pool.loading")
        return t("models.pool.users", count=model.holders) if model.holders else t("models.pool.idle")

    models = ", ".join(t("models.pool.model", name=m.name, runtime=m.runtime, users=users(m),
                         megabytes=fmt_number(m.megabytes, 0)) for m in pool.loaded())
    return t("models.pool.loaded", models=models, used=fmt_number(pool.used_bytes() / MB, 0),
             budget=fmt_number(pool.budget_bytes / MB, 0))


def _show(question: str, answer: str, figures: tuple) -> None:
    """The last question and answer again; the line under it is written from its figures in today's language."""
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar="🪞"):
        st.markdown(escape_markdown(answer))
        st.caption(summary_line(*figures))


def ask_the_mirror(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    st.markdown(t("home.ask.heading"))
    question = st.chat_input(t("home.ask.placeholder"), submit_mode="stop")
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
        st.text_area(t("home.ask.your_question"), question, height=120)
        return
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant", avatar="🪞"):
        result = stream_into(st.empty(), start_reply(lm, [Message("user", question)], params).run)
        figures = (result.new_tokens, result.tokens_per_second, result.time_to_first_token, result.seed,
                   result.finish_reason, getattr(result, "queued_seconds", 0.0), result.dropped_bytes)
        st.caption(summary_line(*figures))
    # The figures, not the line: a language switch rewrites the line in the new language.
    st.session_state[state.HOME_ANSWER] = (question, result.text, figures)


def home_page() -> None:
    """The home page: a welcome, the model card and one question to ask."""
    lm, params = current_frame()
    st.write(t("home.intro"))
    link_to(CHAT, t("home.link.chat"))
    link_to(INSIDE, t("home.link.inside"))
    if lm is not None:
        model_card(lm.info, lm.note)
        ask_the_mirror(lm, params)
