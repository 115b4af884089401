"""The "be the sampler" tab: the user picks each next token, or lets the sampler draw it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.engine.sampling import SamplingParams
from mirror.i18n import t, tn
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.explorer import Walk
from mirror.services.prompts import TextPrompt
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.explorer.format import percent, token_markdown
from mirror.ui.explorer.kept import KEPT, new_tokens, page_seed
from mirror.ui.explorer.model_calls import stages_for, token_strings
from mirror.ui.tables import show_table

WALK_CANDIDATES = 10


def _walk(prompt: TextPrompt, seed: int) -> Walk:
    """The session's step-through; a new one when the prompt or the seed changed."""
    walk: Walk | None = st.session_state.get(state.EXPLORER_WALK)
    if walk is None or walk.prompt_ids != prompt.ids or walk.seed != seed:
        walk = Walk(prompt.ids, seed)
        st.session_state[state.EXPLORER_WALK] = walk
    return walk


def _current() -> Walk | None:
    return st.session_state.get(state.EXPLORER_WALK)


def _pick(token_id: int, length: int) -> None:
    walk = _current()
    if walk is not None and len(walk.new_ids) == length:  # ignore a stale click
        walk.pick(token_id)


def _draw(lm: LoadedModel, params: SamplingParams, length: int) -> None:
    walk = _current()
    if walk is not None and len(walk.new_ids) == length:
        walk.draw(stages_for(lm, walk.ids, params))


def _undo() -> None:
    walk = _current()
    if walk is not None:
        walk.undo()


def _reset(prompt: TextPrompt, seed: int) -> None:
    st.session_state[state.EXPLORER_WALK] = Walk(prompt.ids, seed)


def _walk_text(lm: LoadedModel, walk: Walk) -> tuple[str, int]:
    """The walk's text and the bytes of an unfinished last character left out of it: a character split over
    byte tokens shows only once whole (held back mid-walk, dropped when the walk ends there)."""
    return lm.decode_whole(walk.new_ids)


def _candidates(lm: LoadedModel, walk: Walk, params: SamplingParams, length: int) -> None:
    """Buttons for the model's top tokens, with the sampler's probability; a table of the same."""
    stages = stages_for(lm, walk.ids, params)
    candidates = explorer.top_token_ids(stages, WALK_CANDIDATES)
    names = token_strings(lm, candidates)
    table = explorer.stage_table(stages, candidates, names)
    raw = table[table["stage"] == "raw"].reset_index(drop=True)
    final = stages.probs[0, candidates].tolist()
    st.markdown(t("explorer.walk.candidates"))
    buttons = st.columns(5)
    cut = t("explorer.walk.cut")
    for n, (token_id, name, p_final) in enumerate(zip(candidates, names, final)):
        label = f"{token_markdown(name)} · {percent(p_final) if p_final > 0 else cut}"
        buttons[n % 5].button(label, key=f"explorer_walk_pick_{n}", on_click=_pick, args=(token_id, length),
                              type="secondary" if p_final > 0 else "tertiary", width="stretch",
                              help=t("explorer.walk.pick.help", id=token_id, raw=percent(raw.loc[n, "prob"], 2),
                                     final=percent(p_final, 2)))
    removed, can_draw = t("explorer.walk.removed"), t("explorer.walk.can_draw")
    view = pd.DataFrame({"token": raw["token"], "raw model": raw["prob"], "sampler": final,
                         "status": [removed if p == 0 else can_draw for p in final]})
    with st.expander(t("explorer.walk.table")):
        show_table(view, hide_index=True, column_config={
            "token": st.column_config.TextColumn(t("explorer.walk.col.token")),
            "raw model": st.column_config.ProgressColumn(t("explorer.walk.col.raw"), format="percent",
                                                         min_value=0.0, max_value=1.0),
            "sampler": st.column_config.ProgressColumn(t("explorer.walk.col.sampler"), format="percent",
                                                       min_value=0.0, max_value=1.0),
            "status": st.column_config.TextColumn(t("explorer.walk.col.status"))})


def walk_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    seed, tokens = page_seed(), new_tokens()
    params = sidebar.replace(max_new_tokens=tokens, seed=seed)
    walk = _walk(prompt, seed)
    context = lm.info.context_length
    st.caption(t("explorer.walk.intro", seed=seed))
    reason = walk.finish_reason(lm.end_ids, tokens, context)
    prompt_text = str(KEPT.value("prompt", ""))
    tail = prompt_text if len(prompt_text) <= 300 else "…" + prompt_text[-300:]
    st.caption(t("explorer.walk.prompt", prompt=escape_markdown(tail)))
    text_box = st.container(border=True)
    placeholder = text_box.empty()
    text, dropped = _walk_text(lm, walk)
    placeholder.markdown(escape_markdown(text) or t("explorer.walk.empty"))
    if reason is not None and dropped:
        text_box.caption(tn("explorer.walk.dropped", dropped))
    if walk.new_ids:
        marks = " · ".join(f"{'🧑' if by == 'you' else '🎲'} {token_markdown(token)}"
                           for by, token in zip(walk.picked_by, token_strings(lm, walk.new_ids)))
        text_box.caption(t("explorer.walk.marks", count=tn("explorer.tokens", len(walk.new_ids)), marks=marks))
    length = len(walk.new_ids)
    cols = st.columns(4)
    cols[0].button(t("explorer.walk.draw"), key="explorer_walk_draw", on_click=_draw,
                   args=(lm, params, length), disabled=reason is not None, type="primary", width="stretch")
    cols[1].button(t("explorer.walk.undo"), key="explorer_walk_undo", on_click=_undo, disabled=not walk.new_ids,
                   width="stretch")
    auto = cols[2].button(t("explorer.walk.auto"), key="explorer_walk_auto", disabled=reason is not None,
                          width="stretch", help=t("explorer.walk.auto.help"))
    cols[3].button(t("explorer.walk.reset"), key="explorer_walk_reset", on_click=_reset, args=(prompt, seed),
                   disabled=not walk.new_ids, width="stretch")
    if auto:
        while walk.finish_reason(lm.end_ids, tokens, context) is None:
            # Not cached: these intermediate logits would only crowd out the cache.
            walk.draw(explorer.pipeline(walk.ids, explorer.next_token_logits(lm, walk.ids), params, lm.end_ids))
            placeholder.markdown(escape_markdown(_walk_text(lm, walk)[0]) + " ▌")
        st.rerun()
    if reason is not None:
        st.success(t(f"explorer.walk.finished.{reason}"))
        return
    _candidates(lm, walk, params, length)
