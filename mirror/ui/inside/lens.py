"""The logit lens tab: what each layer would predict, as a heatmap, a commitment strip, a top-5 table and
one layer run through the sampler."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.engine.sampling import SamplingParams
from mirror.models import LoadedModel
from mirror.services.inside.look import Look, survival
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.inside import charts

PROVENANCE = ("Computed from the model: each layer's residual stream at each position, put through the model's own "
              "final norm and output layer. Nothing is drawn, smoothed or estimated.")
TEACHING = (
    "**What is the logit lens?** The model is a stack of blocks; each block adds to a running vector per token, the "
    "*residual stream*. Only after the last block does the model turn that vector into a guess about the next token. "
    "The lens asks the same question early: *if the model stopped after this block, what would it say?* Low layers "
    "often just echo the current token; the answer forms on the way up."
)


def layer_name(layer: int, blocks: int) -> str:
    if layer == 0:
        return "0 · embeddings"
    return f"{layer} · output" if layer == blocks else f"{layer} · after block {layer}"


def lens_view(lm: LoadedModel, look: Look, position: int, params: SamplingParams) -> None:
    st.markdown(TEACHING)
    names = _names(lm, look)
    lens = look.lens
    what = st.radio("Heatmap colour: the probability of", ["next", "final"], horizontal=True, key="inside_lens_what",
                    format_func=lambda w: "the token that came next in the text" if w == "next"
                    else "the model's final top-1 guess")
    probs = lens.next_probs if what == "next" else lens.final_probs
    targets = [names[int(i)] for i in (lens.next_ids if what == "next" else lens.final_top1)]
    top1 = [[names[int(i)] for i in row] for row in lens.top_ids[:, :, 0].tolist()]
    st.altair_chart(charts.lens_heatmap(probs, look.tokens, top1, targets,
                                        "next token" if what == "next" else "final top-1"), width="stretch")
    if what == "next":
        st.caption(f"At the last position (#{look.positions - 1}) nothing came yet: its cell shows the final top-1.")
    st.markdown("**Commitment strip**: the first layer from which the model's final top-1 stays its top-1 "
                "(low: decided early; the last layer: decided only at the end).")
    st.altair_chart(charts.commitment_strip(lens.commitment(), look.tokens, [names[int(i)] for i in lens.final_top1],
                                            lens.layers), width="stretch")
    st.markdown(f"**Top 5 at {charts.position_label(position, look.tokens[position])}**, layer by layer "
                "(the output on top)")
    st.dataframe(_top_table(look, position, names), hide_index=True, width="stretch", height=320)
    _sampler_check(lm, look, position, params, names)
    st.caption(PROVENANCE)


def _names(lm: LoadedModel, look: Look) -> dict[int, str]:
    ids = sorted(set(look.lens.top_ids.flatten().tolist()) | set(look.lens.next_ids.tolist()))
    return dict(zip(ids, lm.token_strings(ids)))


def _top_table(look: Look, position: int, names: dict[int, str]) -> pd.DataFrame:
    rows = []
    for layer in reversed(range(look.lens.layers)):
        row = {"layer": layer_name(layer, look.blocks)}
        for rank, (token_id, prob) in enumerate(zip(look.lens.top_ids[layer, position].tolist(),
                                                    look.lens.top_probs[layer, position].tolist()), start=1):
            row[f"#{rank}"] = f"{visible_whitespace(names[token_id])}  {prob:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def _sampler_check(lm: LoadedModel, look: Look, position: int, params: SamplingParams,
                   names: dict[int, str]) -> None:
    st.markdown("**Would it have survived the sampler?** One layer's distribution through the sidebar's sampler "
                "settings.")
    final_id = int(look.lens.final_top1[position])
    next_id = int(look.lens.next_ids[position])
    choices = {final_id: f"the final top-1 {visible_whitespace(names[final_id])}"}
    if position < look.positions - 1:
        choices.setdefault(next_id, f"the token that came next {visible_whitespace(names[next_id])}")
    left, right = st.columns(2)
    shown = state.INSIDE_VALUES.value("layer")
    if not isinstance(shown, int) or not 0 <= shown <= look.blocks:
        state.INSIDE_VALUES.set("layer", look.blocks // 2)
    layer = left.slider("Layer", 0, look.blocks, key=state.INSIDE_VALUES.key("layer"),
                        help="0 = the embeddings; the last = the model's own output")
    token_id = right.radio("Token", list(choices), format_func=choices.get, key="inside_lens_token")
    result = survival(lm, look, layer, position, token_id, params)
    cols = st.columns(4)
    cols[0].metric("Lens probability", f"{result.raw_prob:.4f}", help=f"at {layer_name(layer, look.blocks)}")
    cols[1].metric("Rank there", f"{result.rank:,}")
    cols[2].metric("After the sampler", f"{result.sampler_prob:.4f}",
                   help=f"temperature {params.temperature}, top-k {params.top_k}, top-p {params.top_p}, "
                        f"repetition penalty {params.repetition_penalty}")
    cols[3].metric("Tokens left a chance", f"{result.kept:,}")
    if result.survived:
        st.success(f"It survives: with these settings the sampler could pick it at {layer_name(layer, look.blocks)}.")
    else:
        st.warning(f"It is cut: at {layer_name(layer, look.blocks)} top-k / top-p leave it no chance.")
