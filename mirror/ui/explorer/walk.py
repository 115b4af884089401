"""The "be the sampler" tab: the user picks each next token, or lets the sampler draw it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.engine.request import FinishReason
from mirror.engine.sampling import SamplingParams
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.explorer import Walk
from mirror.services.prompts import TextPrompt
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.explorer.format import token_markdown
from mirror.ui.explorer.kept import KEPT, new_tokens, page_seed
from mirror.ui.explorer.model_calls import stages_for, token_strings
from mirror.ui.explorer.prose import CANDIDATES
from mirror.ui.streaming import FINISH_WORDS

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
    st.markdown(CANDIDATES)
    buttons = st.columns(5)
    for n, (token_id, name, p_final) in enumerate(zip(candidates, names, final)):
        label = f"{token_markdown(name)} · {p_final:.1%}" if p_final > 0 else f"{token_markdown(name)} · cut"
        buttons[n % 5].button(label, key=f"explorer_walk_pick_{n}", on_click=_pick, args=(token_id, length),
                              type="secondary" if p_final > 0 else "tertiary", width="stretch",
                              help=f"token id {token_id}: {raw.loc[n, 'prob']:.2%} under the raw model, "
                                   f"{p_final:.2%} under the sampler")
    view = pd.DataFrame({"token": raw["token"], "raw model": raw["prob"], "sampler": final,
                         "status": ["removed" if p == 0 else "can be drawn" for p in final]})
    with st.expander("Candidates as a table"):
        st.dataframe(view, hide_index=True, column_config={
            "raw model": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
            "sampler": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)})


def walk_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    seed, tokens = page_seed(), new_tokens()
    params = sidebar.replace(max_new_tokens=tokens, seed=seed)
    walk = _walk(prompt, seed)
    context = lm.info.context_length
    st.caption("You are the sampler. Pick the next token yourself, or let the sampler draw one with the sidebar's "
               f"settings and seed {seed}. Drawing every token gives exactly the text the mirror would write.")
    reason = walk.finish_reason(lm.end_ids, tokens, context)
    prompt_text = str(KEPT.value("prompt", ""))
    tail = prompt_text if len(prompt_text) <= 300 else "…" + prompt_text[-300:]
    st.caption(f"Prompt: {escape_markdown(tail)}")
    text_box = st.container(border=True)
    placeholder = text_box.empty()
    text, dropped = _walk_text(lm, walk)
    placeholder.markdown(escape_markdown(text) or "_(no tokens yet)_")
    if reason is not None and dropped:
        text_box.caption(f"The text ends inside a character: {dropped} {'byte' if dropped == 1 else 'bytes'} "
                         "of it left out.")
    if walk.new_ids:
        marks = " · ".join(f"{'🧑' if by == 'you' else '🎲'} {token_markdown(t)}"
                           for by, t in zip(walk.picked_by, token_strings(lm, walk.new_ids)))
        count = f"{len(walk.new_ids)} token" + ("s" if len(walk.new_ids) != 1 else "")
        text_box.caption(f"{count} (🧑 picked by you, 🎲 drawn by the sampler): {marks}")
    length = len(walk.new_ids)
    cols = st.columns(4)
    cols[0].button("🎲 Let the sampler draw", key="explorer_walk_draw", on_click=_draw,
                   args=(lm, params, length), disabled=reason is not None, type="primary", width="stretch")
    cols[1].button("↩️ Undo", key="explorer_walk_undo", on_click=_undo, disabled=not walk.new_ids,
                   width="stretch")
    auto = cols[2].button("⏩ Continue to the end", key="explorer_walk_auto", disabled=reason is not None,
                          width="stretch", help="The sampler draws every remaining token, one at a time.")
    cols[3].button("🔄 Start over", key="explorer_walk_reset", on_click=_reset, args=(prompt, seed),
                   disabled=not walk.new_ids, width="stretch")
    if auto:
        while walk.finish_reason(lm.end_ids, tokens, context) is None:
            # Not cached: these intermediate logits would only crowd out the cache.
            walk.draw(explorer.pipeline(walk.ids, explorer.next_token_logits(lm, walk.ids), params, lm.end_ids))
            placeholder.markdown(escape_markdown(_walk_text(lm, walk)[0]) + " ▌")
        st.rerun()
    if reason is not None:
        st.success(f"Finished: the text {FINISH_WORDS.get(reason, reason)}." if reason != FinishReason.EOS
                   else "Finished: the mirror chose its end-of-text token.")
        return
    _candidates(lm, walk, params, length)
