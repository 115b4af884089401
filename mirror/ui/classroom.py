"""The Class page (students join and guess) and the Projector page (the teacher runs "Guess the next word").

Both redraw themselves every few seconds (`st.fragment(run_every=...)`), reading the round from the
database, so a guess made through any replica shows on the projector without a reload.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from mirror.engine.sampling import SamplingParams
from mirror.models import LoadedModel
from mirror.services import classroom
from mirror.services.classroom import ClassError, RoundResult
from mirror.services.store import Store, StoreError
from mirror.text import escape_markdown
from mirror.ui import state
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
    st.caption(f"Class **{code}** · you are **{escape_markdown(name)}**. Change your name by joining again.")
    with st.expander("Join another class or change your name"):
        _join_form(store, person)
    _student_round(store, code, person)


def _join_form(store: Store, person: str) -> None:
    with st.form("join_class"):
        code = st.text_input("Class code", max_chars=8, help="The four letters your teacher shows.")
        login_name = str(st.user.get("name") or "") if logged_in_email() else ""  # a login names the student
        name = st.text_input("Your name", value=login_name[: classroom.MAX_NAME_CHARS],
                             max_chars=classroom.MAX_NAME_CHARS)
        joined = st.form_submit_button("Join", type="primary")
    if joined:
        try:
            classroom.join_class(store, code, person, name)
        except (ClassError, StoreError) as error:
            st.error(str(error))
            return
        st.rerun()


@st.fragment(run_every=REFRESH_S)
def _student_round(store: Store, code: str, person: str) -> None:
    current = store.classes.latest_round(code)
    if current is None:
        st.info("Waiting for your teacher to start a round…")
        return
    _prompt_box(current.prompt, big=True)
    mine = store.classes.vote_of(current.id, person)
    if current.result is not None:
        result = RoundResult.from_json(current.result)
        st.success(f"The mirror's most likely next word: **{escape_markdown(result.top_word)}** "
                   f"({result.top_prob:.0%}).")
        if mine is not None:
            row = next((r for r in result.words if r.word.lower() == mine.lower()), None)
            st.write(f"You guessed **{escape_markdown(mine)}**"
                     + (f": the model gives it {row.model_prob:.1%}." if row else "."))
        st.caption("Wait for the next round…")
        return
    if current.closed_at is not None:
        st.info("This round was closed without a reveal. Wait for the next one…")
        return
    if mine is not None:
        st.success(f"Your guess: **{escape_markdown(mine)}**. Wait for the reveal on the projector.")
        return
    with st.form(f"guess_{current.id}"):
        guess = st.text_input("Your guess: the next word", max_chars=classroom.MAX_GUESS_CHARS, key=state.CLASS_GUESS)
        sent = st.form_submit_button("Send my guess", type="primary")
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
        st.warning("The Projector page is for the teacher: sign in on the Teacher page first. "
                   "Students: your page is Class.")
        link_to(TEACHER, "Sign in as the teacher")
        return
    if not isinstance(lm, LoadedModel):
        st.info("The game asks the local model for its probabilities; with a remote inference server it is not "
                "available.")
        return
    store = get_store()
    if store is None:
        return
    teacher = current_person()
    code = classroom.my_open_class(store, teacher)
    if st.button("Open a new class" if code else "Open a class", type="secondary" if code else "primary"):
        code = classroom.open_class(store, teacher)
    if code is None:
        st.caption("Open a class: its four-letter code appears here, big, for the students to type on their Class page.")
        return
    st.markdown(f"# Class code: `{code}`")
    kind, text = st.session_state.pop(state.PROJECTOR_NOTICE, (None, ""))
    if kind:
        getattr(st, kind)(text)
    with st.form("start_round"):
        example = st.selectbox("An example prompt", ["(type your own below)", *classroom.EXAMPLE_PROMPTS])
        typed = st.text_area("Prompt", key=state.PROJECTOR_PROMPT, height=70,
                             help="The class guesses the word the mirror writes after it.")
        started = st.form_submit_button("▶️ Start a round", type="primary")
    if started:
        prompt = typed if typed.strip() or example.startswith("(") else example
        try:
            classroom.start_round(store, code, prompt)
        except (ClassError, StoreError) as error:
            st.error(str(error))
    _projector_round(store, lm, code, params)


@st.fragment(run_every=REFRESH_S)
def _projector_round(store: Store, lm: LoadedModel, code: str, params: SamplingParams) -> None:
    members = store.classes.members(code)
    current = store.classes.latest_round(code)
    if current is None:
        st.info(f"{len(members)} {'student has' if len(members) == 1 else 'students have'} joined. "
                "Start a round when the class is ready.")
        return
    _prompt_box(current.prompt, big=True)
    count = store.classes.count_votes(current.id)
    st.metric("Guesses", f"{count} of {len(members)}")
    if current.result is None and current.closed_at is None:
        if st.button("🎉 Reveal", type="primary"):
            with st.spinner("Asking the mirror…"):
                _show_result(classroom.reveal(store, lm, code))
            _continue_button(store, lm, code, params)
        return
    if current.result is not None:
        _show_result(RoundResult.from_json(current.result))
    _continue_button(store, lm, code, params)


def _continue_button(store: Store, lm: LoadedModel, code: str, params: SamplingParams) -> None:
    if st.button("➡️ Continue: the mirror writes its next token", key="projector_continue"):
        try:
            piece, round_id = classroom.continue_text(store, lm, code, params)
        except (ClassError, StoreError) as error:
            st.error(str(error))
            return
        st.session_state[state.PROJECTOR_NOTICE] = (
            ("info", f"The mirror wrote “{piece}”. A new round has started.") if round_id is not None
            else ("info", "The mirror ended the text here. Start a new round with another prompt."))
        st.rerun()


def _show_result(result: RoundResult) -> None:
    data = pd.DataFrame([{"word": r.word, "who": who, "share": share}
                         for r in result.words
                         for who, share in (("the class", r.class_share), ("the model", r.model_prob))])
    order = [r.word for r in result.words]
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("word:N", sort=order, title=None), x=alt.X("share:Q", title="share of guesses / model probability",
                                                          axis=alt.Axis(format="%")),
        color=alt.Color("who:N", title=None), yOffset="who:N",
        tooltip=["word", "who", alt.Tooltip("share:Q", format=".1%")])
    st.altair_chart(chart, width="stretch")
    who = ", ".join(result.top_guessers) if result.top_guessers else "nobody"
    st.success(f"The mirror's top choice: **{escape_markdown(result.top_word)}** ({result.top_prob:.0%}). "
               f"Guessed by: {escape_markdown(who)}.")
    if result.voters:
        score = "—" if math.isnan(result.class_score) else f"{result.class_score:.1%}"
        st.write(f"Class score: on average the model gives your guesses **{score}**. "
                 f"Your favourite, **{escape_markdown(result.favourite or '')}**, "
                 + ("is the model's top choice too." if result.favourite_is_top else "is not the model's top choice."))
