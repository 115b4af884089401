"""The Class page: a student joins the teacher's class and plays its rounds.

A student's view holds only the class, the round, their guess, vote or draw, and the reveal (the frame
draws no sidebar here). The round redraws itself every few seconds (`st.fragment(run_every=...)`) from
the database, so it follows the projector whichever replica serves either. Membership and answers live
in the database under the student's person id, so a dropped connection or a reload keeps both.
"""

from __future__ import annotations

import streamlit as st

from mirror.i18n import fmt_percent, t
from mirror.models import LoadedModel, ModelLoadError
from mirror.services import class_games, classroom
from mirror.services.class_games import DRAW_GAME, VOTE_GAME, SamplerSetup, VoteResult
from mirror.services.classroom import ClassError, RoundResult
from mirror.services.join import JOIN_QUERY
from mirror.services.store import Store, StoreError
from mirror.services.store.classes import Ballot, RoundRow
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.class_views import REFRESH_S, game_title, prompt_box, token_label
from mirror.ui.identity import current_person, logged_in_email
from mirror.ui.pool import model_pool, session_holder
from mirror.ui.store import get_store

JOIN_CODE, JOIN_NAME = "join_code", "join_name"
JOIN_REFUSED = "join_refused"  # why the last try to join failed, shown once by the form
CLASS_REFUSED = "class_refused"  # why the last guess, vote or draw was refused, shown once by the round


def class_page() -> None:
    store = get_store()
    if store is None:
        return
    person = current_person()
    try:
        joined = classroom.my_class(store, person)
    except StoreError as error:
        st.error(str(error))
        return
    if joined is None:
        _join_form(store, person)
        return
    code, name = joined
    st.caption(t("classroom.class.joined", code=code, name=escape_markdown(name)))
    with st.expander(t("classroom.class.join_again")):
        _join_form(store, person)
    _student_round(store, code, person)


def _join_form(store: Store, person: str) -> None:
    link_code = st.query_params.get(JOIN_QUERY)
    scanned = classroom.normal_code(link_code)[:8]  # a join link (the projector's QR code)
    refused = st.session_state.pop(JOIN_REFUSED, None)
    if refused:
        st.error(refused)
    elif scanned:  # a scanned code that is wrong or expired says so before the student types a name
        try:
            classroom.check_class(store, scanned)
        except (ClassError, StoreError) as error:
            st.error(str(error))
    with st.form("join_class"):
        st.text_input(t("classroom.class.code"), value=scanned, max_chars=8, help=t("classroom.class.code_help"),
                      key=JOIN_CODE)
        login_name = str(st.user.get("name") or "") if logged_in_email() else ""  # a login names the student
        st.text_input(t("classroom.class.name"), value=login_name[: classroom.MAX_NAME_CHARS],
                      max_chars=classroom.MAX_NAME_CHARS, key=JOIN_NAME)
        # A callback: the join is done before the page's run, which then draws the class at once.
        st.form_submit_button(t("classroom.class.join"), type="primary", on_click=_join, args=(store, person))


def _join(store: Store, person: str) -> None:
    try:
        classroom.join_class(store, st.session_state.get(JOIN_CODE), person, st.session_state.get(JOIN_NAME))
    except (ClassError, StoreError) as error:
        st.session_state[JOIN_REFUSED] = str(error)
        return
    st.query_params.pop(JOIN_QUERY, None)  # joined: a reload or a shared address bar does not join again


@st.fragment(run_every=REFRESH_S)
def _student_round(store: Store, code: str, person: str) -> None:
    try:
        current = store.classes.latest_round(code)
        ballot = store.classes.ballot_of(current.id, person) if current else None
    except StoreError as error:
        st.error(str(error))
        return
    refused = st.session_state.pop(CLASS_REFUSED, None)
    if refused:
        st.error(refused)
    if current is None:
        st.info(t("classroom.class.waiting"))
        return
    st.caption(game_title(current.game))
    prompt_box(current.prompt, big=True)
    if current.game == VOTE_GAME:
        _vote(store, code, person, current, ballot)
    elif current.game == DRAW_GAME:
        _draw(store, code, person, current, ballot)
    else:
        _guess(store, code, person, current, ballot.answer if ballot else None)


# --- Guess the next word -------------------------------------------------------------------------------


def _guess(store: Store, code: str, person: str, current: RoundRow, mine: str | None) -> None:
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
        st.text_input(t("classroom.class.guess"), max_chars=classroom.MAX_GUESS_CHARS, key=state.CLASS_GUESS)
        st.form_submit_button(t("classroom.class.send"), type="primary", on_click=_answer,
                              args=(classroom.cast_vote, store, code, person, state.CLASS_GUESS))


def _answer(act, store: Store, code: str, person: str, value: object) -> None:
    """A student's guess, vote or draw, as a callback: done before the round's next run, which then
    shows it; nothing reruns the whole page. `value` is the session key of a typed guess, or the value."""
    try:
        act(store, code, person, st.session_state.get(value) if value == state.CLASS_GUESS else value)
    except (ClassError, StoreError, ModelLoadError) as error:
        st.session_state[CLASS_REFUSED] = str(error)


# --- Be the sampler ---------------------------------------------------------------------------------------


def _vote(store: Store, code: str, person: str, current: RoundRow, ballot: Ballot | None) -> None:
    if current.result is not None:
        result = VoteResult.from_json(current.result)
        if result.choice is not None:
            st.success(t("classroom.class.class_chose", token=escape_markdown(token_label(result.choice.text)),
                         probability=fmt_percent(result.choice.prob, 1)))
        if ballot is not None:
            row = next((r for r in result.rows if r.token_id == class_games.ballot_token(ballot)), None)
            if row is not None:
                st.write(t("classroom.class.you_voted_prob", token=escape_markdown(token_label(row.text)),
                           probability=fmt_percent(row.prob, 1)))
        st.caption(t("classroom.class.wait_next"))
        return
    if current.closed_at is not None:
        st.info(t("classroom.class.closed"))
        return
    if ballot is not None:
        st.success(t("classroom.class.your_vote", token=escape_markdown(token_label(ballot.answer))))
        return
    st.write(t("classroom.class.vote_prompt"))
    setup = SamplerSetup.from_json(current.setup)
    for candidate in setup.candidates:  # no probabilities: they wait for the reveal
        st.button(escape_markdown(token_label(candidate.text)), key=f"vote_{current.id}_{candidate.token_id}",
                  width="stretch", on_click=_answer, args=(class_games.vote_for, store, code, person, candidate.token_id))


# --- The class is the sampler -------------------------------------------------------------------------------


def _draw(store: Store, code: str, person: str, current: RoundRow, ballot: Ballot | None) -> None:
    if ballot is not None:
        drawn = class_games.draw_of(ballot)
        st.success(t("classroom.class.you_drew", token=escape_markdown(token_label(drawn.text)),
                     probability=fmt_percent(drawn.prob, 1), seed=drawn.seed))
        st.caption(t("classroom.class.watch_projector"))
        return
    if current.closed_at is not None:
        st.info(t("classroom.class.draws_over"))
        return
    st.write(t("classroom.class.draw_prompt"))
    st.button(t("classroom.class.draw"), key=f"draw_{current.id}", type="primary", width="stretch",
              on_click=_answer, args=(_draw_with_round_model, store, code, person, None))


def _draw_with_round_model(store: Store, code: str, person: str, _: None) -> None:
    current = classroom.student_round(store, code, person)
    class_games.draw_for(store, _round_model(SamplerSetup.from_json(current.setup).model), code, person)


def _round_model(name: str) -> LoadedModel:
    """The model the teacher started the round with (the teacher offers it to the class)."""
    return model_pool().get(name, holder=session_holder(), visitor=True)
