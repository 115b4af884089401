"""The Class page (students join and guess) and the Projector page (the teacher runs "Guess the next word").

Both redraw themselves every few seconds (`st.fragment(run_every=...)`), reading the round from the
database, so a guess made through any replica shows on the projector without a reload. A fragment's
own rerun does not pass through the entrypoint, so each fragment sets the visitor's language first.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from mirror.config import Settings
from mirror.engine.sampling import SamplingParams
from mirror.i18n import fmt_int, fmt_percent, labeller, t, tn
from mirror.models import LoadedModel
from mirror.services import classroom
from mirror.services.classroom import ClassError, RoundResult
from mirror.services.join import JOIN_QUERY, class_address, join_link, qr_png
from mirror.services.store import Store, StoreError
from mirror.text import escape_markdown, visible_whitespace
from mirror.ui import state
from mirror.ui.charts import show_chart
from mirror.ui.identity import current_person, logged_in_email
from mirror.ui.pages import TEACHER, link_to
from mirror.ui.store import get_store
from mirror.ui.teacher import is_teacher

REFRESH_S = 2.0


def _prompt_box(prompt: str, big: bool = False) -> None:
    st.markdown(("### " if big else "") + escape_markdown(prompt) + " **…?**")


# --- students ------------------------------------------------------------------------------------


def class_page() -> None:
    store = get_store()
    if store is None:
        return
    person = current_person()
    joined = classroom.my_class(store, person)
    if joined is None:
        _join_form(store, person)
        return
    code, name = joined
    st.caption(t("classroom.class.joined", code=code, name=escape_markdown(name)))
    with st.expander(t("classroom.class.join_again")):
        _join_form(store, person)
    _student_round(store, code, person)


def _join_form(store: Store, person: str) -> None:
    scanned = classroom.normal_code(st.query_params.get(JOIN_QUERY))[:8]  # a join link (the projector's QR code)
    with st.form("join_class"):
        code = st.text_input(t("classroom.class.code"), value=scanned, max_chars=8, help=t("classroom.class.code_help"))
        login_name = str(st.user.get("name") or "") if logged_in_email() else ""  # a login names the student
        name = st.text_input(t("classroom.class.name"), value=login_name[: classroom.MAX_NAME_CHARS],
                             max_chars=classroom.MAX_NAME_CHARS)
        joined = st.form_submit_button(t("classroom.class.join"), type="primary")
    if joined:
        try:
            classroom.join_class(store, code, person, name)
        except (ClassError, StoreError) as error:
            st.error(str(error))
            return
        st.query_params.pop(JOIN_QUERY, None)  # joined: a reload or a shared address bar does not join again
        st.rerun()


@st.fragment(run_every=REFRESH_S)
def _student_round(store: Store, code: str, person: str) -> None:
    current = store.classes.latest_round(code)
    if current is None:
        st.info(t("classroom.class.waiting"))
        return
    _prompt_box(current.prompt, big=True)
    mine = store.classes.vote_of(current.id, person)
    if current.result is not None:
        result = RoundResult.from_json(current.result)
        st.success(t("classroom.class.top_word", word=escape_markdown(result.top_word),
                     probability=fmt_percent(result.top_prob, 0)))
        if mine is not None:
            row = next((r for r in result.words if r.word.lower() == mine.lower()), None)
            st.write(t("classroom.class.you_guessed_prob", guess=escape_markdown(mine),
                       probability=fmt_percent(row.model_prob, 1)) if row
                     else t("classroom.class.you_guessed", guess=escape_markdown(mine)))
        st.caption(t("classroom.class.wait_next"))
        return
    if current.closed_at is not None:
        st.info(t("classroom.class.closed"))
        return
    if mine is not None:
        st.success(t("classroom.class.your_guess", guess=escape_markdown(mine)))
        return
    with st.form(f"guess_{current.id}"):
        guess = st.text_input(t("classroom.class.guess"), max_chars=classroom.MAX_GUESS_CHARS, key=state.CLASS_GUESS)
        sent = st.form_submit_button(t("classroom.class.send"), type="primary")
    if sent:
        try:
            classroom.cast_vote(store, code, person, guess)
        except (ClassError, StoreError) as error:
            st.error(str(error))
            return
        st.rerun()


# --- the projector -------------------------------------------------------------------------------


def projector_page(lm: LoadedModel, params: SamplingParams) -> None:
    if not is_teacher():
        st.warning(t("classroom.projector.teachers_only"))
        link_to(TEACHER, t("classroom.projector.sign_in_link"))
        return
    if not isinstance(lm, LoadedModel):
        st.info(t("classroom.projector.local_only"))
        return
    store = get_store()
    if store is None:
        return
    teacher = current_person()
    code = classroom.my_open_class(store, teacher)
    if st.button(t("classroom.projector.open_new") if code else t("classroom.projector.open"),
                 type="secondary" if code else "primary"):
        code = classroom.open_class(store, teacher)
    if code is None:
        st.caption(t("classroom.projector.open_hint"))
        return
    _how_to_join(code)
    kind, key, fields = st.session_state.pop(state.PROJECTOR_NOTICE, (None, "", {}))
    if kind:
        getattr(st, kind)(t(key, **fields))  # kept as a key: the notice speaks the language of the run showing it
    with st.form("start_round"):
        # The options are the examples' English texts (None: your own), shown in the visitor's language.
        example = st.selectbox(t("classroom.projector.example"), [None, *classroom.EXAMPLE_PROMPTS],
                               format_func=labeller(_example_key))
        typed = st.text_area(t("classroom.projector.prompt"), key=state.PROJECTOR_PROMPT, height=70,
                             help=t("classroom.projector.prompt_help"))
        started = st.form_submit_button(t("classroom.projector.start"), type="primary")
    if started:
        prompt = typed if typed.strip() or example is None else classroom.example_prompt(example)
        try:
            classroom.start_round(store, code, prompt)
        except (ClassError, StoreError) as error:
            st.error(str(error))
    _projector_round(store, lm, code, params)


def _how_to_join(code: str) -> None:
    """Big enough for the back row: the address to open, a QR code of the join link, and the code."""
    address = class_address(Settings.from_env().public_url, int(st.get_option("server.port")))
    link = join_link(address, code)
    text, picture = st.columns([3, 2], vertical_alignment="center")
    with text:
        st.markdown(t("classroom.projector.code_heading", code=code))
        st.markdown(t("classroom.projector.join_address", address=address))
        st.caption(t("classroom.projector.join_hint"))
    picture.image(qr_png(link), caption=link, width=320, output_format="PNG",  # sharp edges: JPEG would blur them
                  alt=t("classroom.projector.qr_alt", link=link))


def _example_key(example: str | None) -> str:
    if example is None:
        return "classroom.projector.own_prompt"
    return f"classroom.example.{classroom.EXAMPLE_KEYS[classroom.EXAMPLE_PROMPTS.index(example)]}"


@st.fragment(run_every=REFRESH_S)
def _projector_round(store: Store, lm: LoadedModel, code: str, params: SamplingParams) -> None:
    members = store.classes.members(code)
    current = store.classes.latest_round(code)
    if current is None:
        st.info(tn("classroom.projector.joined", len(members)))
        return
    _prompt_box(current.prompt, big=True)
    count = store.classes.count_votes(current.id)
    st.metric(t("classroom.projector.guesses"),
              t("classroom.projector.guesses_value", count=fmt_int(count), members=fmt_int(len(members))))
    if current.result is None and current.closed_at is None:
        if st.button(t("classroom.projector.reveal"), type="primary"):
            with st.spinner(t("classroom.projector.asking")):
                _show_result(classroom.reveal(store, lm, code))
            _continue_button(store, lm, code, params)
        return
    if current.result is not None:
        _show_result(RoundResult.from_json(current.result))
    _continue_button(store, lm, code, params)


def _continue_button(store: Store, lm: LoadedModel, code: str, params: SamplingParams) -> None:
    if st.button(t("classroom.projector.continue"), key="projector_continue"):
        try:
            piece, round_id = classroom.continue_text(store, lm, code, params)
        except (ClassError, StoreError) as error:
            st.error(str(error))
            return
        st.session_state[state.PROJECTOR_NOTICE] = (
            ("info", "classroom.projector.wrote", {"piece": escape_markdown(visible_whitespace(piece))})
            if round_id is not None
            else ("info", "classroom.projector.ended", {}))
        st.rerun()


def _show_result(result: RoundResult) -> None:
    bars = ((t("classroom.chart.class"), "class_share"), (t("classroom.chart.model"), "model_prob"))
    data = pd.DataFrame([{"word": r.word, "who": who, "share": getattr(r, share)}
                         for r in result.words for who, share in bars])
    order = [r.word for r in result.words]
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("word:N", sort=order, title=None), x=alt.X("share:Q", title=t("classroom.chart.share"),
                                                          axis=alt.Axis(format="%")),
        color=alt.Color("who:N", title=None), yOffset="who:N",
        tooltip=[alt.Tooltip("word:N", title=t("classroom.chart.word")),
                 alt.Tooltip("who:N", title=t("classroom.chart.who")),
                 alt.Tooltip("share:Q", format=".1%", title=t("classroom.chart.share_tooltip"))])
    show_chart(chart, width="stretch")
    who = ", ".join(result.top_guessers) if result.top_guessers else t("classroom.result.nobody")
    st.success(t("classroom.result.top", word=escape_markdown(result.top_word),
                 probability=fmt_percent(result.top_prob, 0), who=escape_markdown(who)))
    if result.voters:
        score = "—" if math.isnan(result.class_score) else fmt_percent(result.class_score, 1)
        key = "classroom.result.score_top" if result.favourite_is_top else "classroom.result.score_not_top"
        st.write(t(key, score=score, favourite=escape_markdown(result.favourite or "")))
