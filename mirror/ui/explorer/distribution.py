"""The explorer's first two tabs: the next-token distribution stage by stage, and across temperatures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.engine.sampling import SamplingParams
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.prompts import TextPrompt
from mirror.ui import state
from mirror.ui.explorer.charts import stage_chart, temperature_chart
from mirror.ui.explorer.format import percent, token_markdown
from mirror.ui.explorer.kept import KEPT, page_seed
from mirror.ui.explorer.model_calls import logits_for, stages_for, token_strings
from mirror.ui.explorer.prose import (GREEDY_NOTE, READING_THE_CHARTS, STAGE_TEACHING, TEMPERATURE_CURVE,
                                      TEMPERATURE_LESSON)


def _stage_param(stage: str, params: SamplingParams) -> str:
    if params.greedy and stage in ("temperature", "top_k", "top_p"):
        return "greedy: not applied"
    return {
        "raw": "",
        "repetition_penalty": f"penalty {params.repetition_penalty:g}",
        "no_repeat_ngram": f"n = {params.no_repeat_ngram_size}" if params.no_repeat_ngram_size else "off",
        "temperature": f"T = {params.temperature:g}",
        "top_k": f"k = {params.top_k}" if params.top_k else "off",
        "top_p": f"p = {params.top_p:g}" if params.top_p < 1 else "off",
    }[stage]


def _figure_metrics(fig: explorer.Figures, chosen_token: str, seed: int) -> None:
    """The figures, stacked beside the charts (a narrow column: short labels, units in the label)."""
    greedy = "not applied"
    st.metric("Entropy, raw model", f"{fig.entropy_raw:.2f} bits",
              help="How unsure the model is (Shannon entropy of its own distribution). "
                   "1 bit = a fair coin; 10 bits ≈ 1,000 equally likely tokens.")
    st.metric("Entropy, sampler", f"{fig.entropy_final:.2f} bits",
              delta=f"{fig.entropy_final - fig.entropy_raw:+.2f} bits vs raw", delta_color="off",
              help="Entropy of the distribution the token is really drawn from, after every stage.")
    st.metric("Survive top-k", greedy if fig.greedy else f"{fig.survivors_top_k:,} of {fig.vocab:,}",
              help="Tokens still in the race after top-k.")
    st.metric("Survive top-p", greedy if fig.greedy else f"{fig.survivors_top_p:,} of {fig.vocab:,}",
              help="Tokens still in the race after top-p: the final shortlist.")
    st.metric("Probability mass kept", greedy if fig.greedy else percent(fig.mass_kept),
              help="The share of the distribution after temperature that top-k and top-p keep "
                   f"(top-k alone keeps {percent(fig.mass_kept_top_k)}); it is then rescaled to 100%.")
    st.metric("Drawn token's probability", percent(fig.chosen_prob),
              help="Probability of the drawn token under the sampler's final distribution.")
    how = "the sampler takes the most likely token (greedy)" if fig.greedy else f"with seed {seed} the sampler draws"
    st.caption(f"Next token: {how} “{token_markdown(chosen_token)}” (id {fig.chosen_id}), "
               f"{percent(fig.chosen_prob)} under the sampler, {percent(fig.chosen_raw_prob)} under the raw model.")


def distribution_tab(lm: LoadedModel, prompt: TextPrompt, params: SamplingParams) -> None:
    seed = page_seed()
    stages = stages_for(lm, prompt.ids, params)
    chosen = explorer.draw(stages, seed)
    fig = explorer.figures(stages, chosen)
    shown = explorer.top_token_ids(stages, int(KEPT.value("top_n")))
    names = token_strings(lm, [*shown, chosen])
    table = explorer.stage_table(stages, shown, names[:-1])
    st.session_state[state.EXPLORER_LAST_TABLE] = table  # what the charts show, for checks and the download
    if params.greedy:
        st.info(GREEDY_NOTE)
    charts, side = st.columns([3, 1], gap="medium")
    with side:
        _figure_metrics(fig, names[-1], seed)
        st.caption(READING_THE_CHARTS)
    cut_text = {"top_k": f"top-k cut (k = {params.top_k})", "top_p": f"top-p cut (p = {params.top_p:g})"}
    stage_names = list(explorer.STAGE_TITLES)
    with charts:
        for pair in (stage_names[0:2], stage_names[2:4], stage_names[4:6]):
            for col, stage in zip(st.columns(2), pair):
                with col:
                    rows = table[table["stage"] == stage]
                    cutoff = explorer.cutoff_rank(table, stage) if stage in cut_text and not params.greedy else None
                    setting = _stage_param(stage, params)
                    title = explorer.STAGE_TITLES[stage] + (f" · {setting}" if setting else "")
                    # Each chart its own x scale: one peaked stage would otherwise flatten all the others.
                    x_max = min(1.0, 1.2 * float(max(rows["prob"].max(), rows["prob_before"].max()))) or 1.0
                    st.altair_chart(stage_chart(rows, title, x_max, cutoff, cut_text.get(stage, ""),
                                                chosen if stage == "top_p" else None), width="stretch")
                    st.caption(STAGE_TEACHING[stage])
    with st.expander("The numbers behind the charts"):
        st.dataframe(table.drop(columns=["stage_title"]), hide_index=True,
                     column_config={"prob": st.column_config.NumberColumn(format="%.4f"),
                                    "prob_before": st.column_config.NumberColumn(format="%.4f")})
        st.download_button("⬇️ Stages as CSV", table.to_csv(index=False), file_name="mirror-stages.csv",
                           mime="text/csv", key="explorer_stages_csv")


def temperature_tab(lm: LoadedModel, prompt: TextPrompt, params: SamplingParams) -> None:
    curve = explorer.temperature_curve(prompt.ids, logits_for(lm, prompt.ids), params, lm.end_ids)
    st.caption(TEMPERATURE_CURVE)
    long = pd.concat([
        curve.melt("temperature", ["entropy_full", "entropy_final"], "series", "value").assign(measure="Entropy (bits)"),
        curve.melt("temperature", ["top1_full", "top1_final"], "series", "value").assign(measure="Top-1 probability"),
    ])
    long["series"] = long["series"].map(lambda s: "whole distribution" if s.endswith("full") else "after top-k and top-p")
    for col, measure in zip(st.columns(2), ("Entropy (bits)", "Top-1 probability")):
        chart = temperature_chart(long[long["measure"] == measure], measure,
                                  None if params.greedy else params.temperature)
        col.altair_chart(chart, width="stretch")
    st.caption(TEMPERATURE_LESSON)
