"""The Projector page: the teacher's big screen for the class's three games.

The teacher opens a class (its address, QR code and code, big), picks a game and a prompt, and runs
the round; the round's sampler settings are the mirror's own sliders, drawn here too. The round itself
redraws every few seconds (`st.fragment(run_every=...)`), reading the database, so votes and draws
made through any replica show without a reload.
"""

from __future__ import annotations

import math

import streamlit as st

from mirror.config import Settings
from mirror.engine.sampling import SamplingParams
from mirror.i18n import fmt_int, fmt_number, fmt_percent, labeller, t, tn
from mirror.models import LoadedModel
from mirror.services import class_games, classroom
from mirror.services.class_games import DRAW_GAME, VOTE_GAME, SamplerSetup, VoteResult
from mirror.services.classroom import ClassError, RoundResult
from mirror.services.join import class_address, join_link, qr_png
from mirror.services.store import Store, StoreError
from mirror.services.store.classes import GUESS_GAME, RoundRow
from mirror.text import escape_markdown, visible_whitespace
from mirror.ui import state
from mirror.ui.class_views import REFRESH_S, game_key, game_title, pair_chart, prompt_box, show_guess_result, token_label
from mirror.ui.controls import model_name, param_slider
from mirror.ui.identity import current_person
from mirror.ui.pages import TEACHER, link_to
from mirror.ui.store import get_store
from mirror.ui.teacher import is_teacher

GAMES = (GUESS_GAME, VOTE_GAME, DRAW_GAME)
ROUND_SLIDERS = ("temperature", "top_k", "top_p")  # what a sampler round uses, where the teacher reaches it


def projector_page(lm: LoadedModel, params: SamplingParams) -> None:
    if not is_teacher():
        st.warning(t("classroom.projector.teachers_only"))
        link_to(TEACHER, t("classroom.projector.sign_in_link"))
        return
    link_to(TEACHER, t("classroom.projector.back"), icon="↩️")
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
    try:
        playing = store.classes.latest_round(code) is not None
    except StoreError as error:
        st.error(str(error))
        return
    if playing:  # the class has joined: the round comes first, the way in stays one click away
        with st.expander(t("classroom.projector.join_again", code=code)):
            _how_to_join(code)
    else:
        _how_to_join(code)
    kind, key, fields = st.session_state.pop(state.PROJECTOR_NOTICE, (None, "", {}))
    if kind:
        getattr(st, kind)(t(key, **fields))  # kept as a key: the notice speaks the language of the run showing it
    _projector_round(store, lm, code, params)
    st.divider()
    game = st.radio(t("classroom.projector.game"), GAMES, format_func=labeller(game_key), horizontal=True,
                    key=state.PROJECTOR_GAME, help=t("classroom.projector.game_help"))
    with st.expander(t("classroom.projector.settings"), expanded=game != GUESS_GAME):
        for name in ROUND_SLIDERS:
            param_slider(name)
        st.caption(t("classroom.projector.settings_note", penalty=fmt_number(params.repetition_penalty),
                     ngram=fmt_int(params.no_repeat_ngram_size)))
    _start_form(store, lm, code, game, params)


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


def _start_form(store: Store, lm: LoadedModel, code: str, game: str, params: SamplingParams) -> None:
    with st.form("start_round"):
        # The options are the examples' English texts (None: your own), shown in the visitor's language.
        example = st.selectbox(t("classroom.projector.example"), [None, *classroom.EXAMPLE_PROMPTS],
                               format_func=labeller(_example_key))
        typed = st.text_area(t("classroom.projector.prompt"), key=state.PROJECTOR_PROMPT, height=70,
                             help=t(f"classroom.projector.prompt_help.{game}"))
        started = st.form_submit_button(t("classroom.projector.start"), type="primary")
    if not started:
        return
    prompt = typed if typed.strip() or example is None else classroom.example_prompt(example)
    try:
        with st.spinner(t("classroom.projector.asking")):
            if game == GUESS_GAME:
                classroom.start_round(store, code, prompt)
            else:
                class_games.start_sampler_round(store, lm, code, prompt, params, game, model_name())
    except (ClassError, StoreError) as error:
        st.error(str(error))
        return
    st.rerun()  # the round is drawn above the form: show it now


@st.fragment(run_every=REFRESH_S)
def _projector_round(store: Store, lm: LoadedModel, code: str, params: SamplingParams) -> None:
    try:
        members = store.classes.members(code)
        current = store.classes.latest_round(code)
    except StoreError as error:
        st.error(str(error))
        return
    if current is None:
        st.info(tn("classroom.projector.joined", len(members)))
        return
    st.caption(game_title(current.game))
    prompt_box(current.prompt, big=True)
    answered = store.classes.count_votes(current.id)
    label = {GUESS_GAME: "guesses", VOTE_GAME: "votes", DRAW_GAME: "draws"}[current.game]
    st.metric(t(f"classroom.projector.{label}"),
              t("classroom.projector.guesses_value", count=fmt_int(answered), members=fmt_int(len(members))))
    if current.game == VOTE_GAME:
        _vote_round(store, lm, code, current, params)
    elif current.game == DRAW_GAME:
        _draw_round(store, lm, code, current, params)
    else:
        _guess_round(store, lm, code, current, params)


# --- Guess the next word --------------------------------------------------------------------------------


def _guess_round(store: Store, lm: LoadedModel, code: str, current: RoundRow, params: SamplingParams) -> None:
    if current.result is None and current.closed_at is None:
        if st.button(t("classroom.projector.reveal"), type="primary"):
            with st.spinner(t("classroom.projector.asking")):
                show_guess_result(classroom.reveal(store, lm, code))
            _continue_button(store, lm, code, params)
        return
    if current.result is not None:
        show_guess_result(RoundResult.from_json(current.result))
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


# --- Be the sampler -----------------------------------------------------------------------------------------


def _vote_round(store: Store, lm: LoadedModel, code: str, current: RoundRow, params: SamplingParams) -> None:
    setup = SamplerSetup.from_json(current.setup)
    if current.result is None:
        # The candidates without their probabilities: those wait for the reveal.
        st.markdown(t("classroom.projector.candidates") + "  \n" +
                    "  \n".join(f"**{n}.** `{token_label(c.text)}`" for n, c in enumerate(setup.candidates, 1)))
        if st.button(t("classroom.projector.reveal"), type="primary", key="reveal_votes"):
            try:
                with st.spinner(t("classroom.projector.asking")):
                    class_games.reveal_votes(store, lm, code)
            except (ClassError, StoreError) as error:
                st.error(str(error))
                return
            st.rerun()
        return
    result = VoteResult.from_json(current.result)
    rows = [(token_label(r.text), r.share, r.prob) for r in result.rows]
    pair_chart(rows, t("classroom.chart.class_votes"), t("classroom.chart.sampler"))
    if result.choice is None:
        st.info(t("classroom.projector.no_votes"))
        return
    st.success(t("classroom.projector.class_chose", token=escape_markdown(token_label(result.choice.text)),
                 votes=fmt_int(result.choice.votes), probability=fmt_percent(result.choice.prob, 1)))
    st.markdown(t("classroom.projector.goes_on") + "\n\n> " + escape_markdown(result.prompt) + " **" +
                escape_markdown(result.choice.text) + "**" + escape_markdown(result.goes_on) + " …")
    if st.button(t("classroom.projector.next_from_choice"), key="next_from_choice"):
        try:
            started = class_games.next_from_choice(store, lm, code, params, model_name())
        except (ClassError, StoreError) as error:
            st.error(str(error))
            return
        if started is None:
            st.info(t("classroom.projector.ended"))
            return
        st.rerun()


# --- The class is the sampler ---------------------------------------------------------------------------


def _draw_round(store: Store, lm: LoadedModel, code: str, current: RoundRow, params: SamplingParams) -> None:
    setup = SamplerSetup.from_json(current.setup)
    draws = [class_games.draw_of(b) for b in store.classes.ballots(current.id)]
    summary = class_games.summarise_draws(setup, draws, other_label=t("classroom.chart.other"))
    rows = [(token_label(r.text) if r.token_id is not None else r.text, r.share, r.prob) for r in summary.rows]
    pair_chart(rows, t("classroom.chart.class_draws"), t("classroom.chart.sampler"))
    used = setup.params
    st.caption(t("classroom.projector.draw_settings", temperature=fmt_number(used["temperature"]),
                 top_k=fmt_int(used["top_k"]), top_p=fmt_number(used["top_p"]),
                 support=fmt_int(setup.support)))
    distance = "—" if math.isnan(summary.distance) else fmt_percent(summary.distance, 1)
    st.metric(t("classroom.projector.distance"), distance, help=t("classroom.projector.distance_help"))
    left, right = st.columns(2)
    if current.closed_at is None and left.button(t("classroom.projector.stop_draws"), key="stop_draws"):
        class_games.close_draws(store, code)
        st.rerun()
    if right.button(t("classroom.projector.draw_again"), key="draw_again", type="primary",
                    help=t("classroom.projector.draw_again_help")):
        try:
            class_games.start_sampler_round(store, lm, code, current.prompt, params, DRAW_GAME, model_name())
        except (ClassError, StoreError) as error:
            st.error(str(error))
            return
        st.rerun()
