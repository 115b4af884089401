"""The logit lens tab: what each layer would predict, as a heatmap, a commitment strip, a top-5 table and
one layer run through the sampler."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.engine.sampling import SamplingParams
from mirror.i18n import current_language, fmt_int, fmt_number, labeller, t
from mirror.models import LoadedModel
from mirror.services.inside.look import Look, survival
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.charts import show_chart
from mirror.ui.inside import charts
from mirror.ui.tables import show_table



def layer_name(layer: int, blocks: int) -> str:
    if layer == 0:
        return t("inside.lens.layer_embeddings")
    return t("inside.lens.layer_output", layer=layer) if layer == blocks else t("inside.lens.layer_after", layer=layer)


def _setting(value: float) -> str:
    """A sampler setting as the sidebar shows it (0.7, 50), with the language's decimal mark."""
    return str(value).replace(".", ",") if current_language() == "ru" else str(value)


def lens_view(lm: LoadedModel, look: Look, position: int, params: SamplingParams) -> None:
    st.markdown(t("inside.lens.teaching"))
    names = _names(lm, look)
    lens = look.lens
    what = st.radio(t("inside.lens.what"), ["next", "final"], horizontal=True, key="inside_lens_what",
                    format_func=labeller(lambda w: f"inside.lens.what.{w}"))
    probs = lens.next_probs if what == "next" else lens.final_probs
    targets = [names[int(i)] for i in (lens.next_ids if what == "next" else lens.final_top1)]
    top1 = [[names[int(i)] for i in row] for row in lens.top_ids[:, :, 0].tolist()]
    words = charts.lens_in_words(probs, look.tokens, t(f"inside.lens.what.{what}"))
    show_chart(charts.lens_heatmap(probs, look.tokens, top1, targets, t(f"inside.lens.legend.{what}"), words),
               width="stretch")
    st.caption(words)
    if what == "next":
        st.caption(t("inside.lens.last_position", position=look.positions - 1))
    st.markdown(t("inside.lens.commitment"))
    commitment = lens.commitment()
    words = charts.commitment_in_words(commitment, look.tokens)
    show_chart(charts.commitment_strip(commitment, look.tokens, [names[int(i)] for i in lens.final_top1],
                                       lens.layers, words), width="stretch")
    st.caption(words)
    st.markdown(t("inside.lens.top5", label=charts.position_label(position, look.tokens[position])))
    show_table(_top_table(look, position, names), hide_index=True, width="stretch", height=320)
    _sampler_check(lm, look, position, params, names)
    st.caption(t("inside.lens.provenance"))


def _names(lm: LoadedModel, look: Look) -> dict[int, str]:
    ids = sorted(set(look.lens.top_ids.flatten().tolist()) | set(look.lens.next_ids.tolist()))
    return dict(zip(ids, lm.token_strings(ids)))


def _top_table(look: Look, position: int, names: dict[int, str]) -> pd.DataFrame:
    rows = []
    for layer in reversed(range(look.lens.layers)):
        row = {t("inside.lens.column.layer"): layer_name(layer, look.blocks)}
        for rank, (token_id, prob) in enumerate(zip(look.lens.top_ids[layer, position].tolist(),
                                                    look.lens.top_probs[layer, position].tolist()), start=1):
            row[f"#{rank}"] = f"{visible_whitespace(names[token_id])}  {fmt_number(prob, 3)}"
        rows.append(row)
    return pd.DataFrame(rows)


def _sampler_check(lm: LoadedModel, look: Look, position: int, params: SamplingParams,
                   names: dict[int, str]) -> None:
    st.markdown(t("inside.lens.sampler"))
    final_id = int(look.lens.final_top1[position])
    next_id = int(look.lens.next_ids[position])
    choices = {final_id: t("inside.lens.choice_final", token=visible_whitespace(names[final_id]))}
    if position < look.positions - 1:
        choices.setdefault(next_id, t("inside.lens.choice_next", token=visible_whitespace(names[next_id])))
    left, right = st.columns(2)
    shown = state.INSIDE_VALUES.value("layer")
    if not isinstance(shown, int) or not 0 <= shown <= look.blocks:
        state.INSIDE_VALUES.set("layer", look.blocks // 2)
    layer = left.slider(t("inside.lens.layer"), 0, look.blocks, key=state.INSIDE_VALUES.key("layer"),
                        help=t("inside.lens.layer_help"))
    token_id = right.radio(t("inside.lens.token"), list(choices), format_func=choices.get, key="inside_lens_token")
    result = survival(lm, look, layer, position, token_id, params)
    shown = layer_name(layer, look.blocks)
    cols = st.columns(4)
    cols[0].metric(t("inside.lens.metric.raw"), fmt_number(result.raw_prob, 4),
                   help=t("inside.lens.metric.raw_help", layer=shown))
    cols[1].metric(t("inside.lens.metric.rank"), fmt_int(result.rank))
    cols[2].metric(t("inside.lens.metric.sampler"), fmt_number(result.sampler_prob, 4),
                   help=t("inside.lens.metric.sampler_help", temperature=_setting(params.temperature),
                          top_k=_setting(params.top_k), top_p=_setting(params.top_p),
                          penalty=_setting(params.repetition_penalty)))
    cols[3].metric(t("inside.lens.metric.kept"), fmt_int(result.kept))
    if result.survived:
        st.success(t("inside.lens.survives", layer=shown))
    else:
        st.warning(t("inside.lens.cut", layer=shown))
