"""The explorer's first two tabs: the next-token distribution stage by stage, and across temperatures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.engine.sampling import STAGES, SamplingParams
from mirror.i18n import fmt_int, fmt_number, t
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.prompts import TextPrompt
from mirror.ui import state
from mirror.ui.charts import show_chart
from mirror.ui.explorer.charts import stage_alt_text, stage_chart, temperature_alt_text, temperature_chart
from mirror.ui.explorer.format import number, percent, token_markdown
from mirror.ui.explorer.kept import KEPT, page_seed
from mirror.ui.explorer.model_calls import logits_for, stages_for, token_strings
from mirror.ui.tables import show_table

NUMBER_COLUMNS = ("stage", "rank", "token_id", "token", "logit", "prob", "prob_before", "removed", "status")


def _stage_param(stage: str, params: SamplingParams) -> str:
    if params.greedy and stage in ("temperature", "top_k", "top_p"):
        return t("explorer.stage.greedy_skipped")
    off = t("explorer.off")
    return {
        "raw": "",
        "repetition_penalty": t("explorer.stage.penalty", value=number(params.repetition_penalty)),
        "no_repeat_ngram": f"n = {params.no_repeat_ngram_size}" if params.no_repeat_ngram_size else off,
        "temperature": f"T = {number(params.temperature)}",
        "top_k": f"k = {params.top_k}" if params.top_k else off,
        "top_p": f"p = {number(params.top_p)}" if params.top_p < 1 else off,
    }[stage]


def _bits(value: float) -> str:
    return t("explorer.bits", value=fmt_number(value, 2))


def _signed(value: float) -> str:
    return ("-" if value < 0 else "+") + fmt_number(abs(value), 2)


def _figure_metrics(fig: explorer.Figures, chosen_token: str, seed: int) -> None:
    """The figures, stacked beside the charts (a narrow column: short labels, units in the label)."""
    greedy = t("explorer.fig.not_applied")
    st.metric(t("explorer.fig.entropy_raw"), _bits(fig.entropy_raw), help=t("explorer.fig.entropy_raw.help"))
    st.metric(t("explorer.fig.entropy_final"), _bits(fig.entropy_final),
              delta=t("explorer.fig.entropy_final.delta", value=_signed(fig.entropy_final - fig.entropy_raw)),
              delta_color="off", help=t("explorer.fig.entropy_final.help"))
    for stage, survivors in (("top_k", fig.survivors_top_k), ("top_p", fig.survivors_top_p)):
        st.metric(t(f"explorer.fig.survive_{stage}"),
                  greedy if fig.greedy else t("explorer.fig.of", kept=fmt_int(survivors), vocab=fmt_int(fig.vocab)),
                  help=t(f"explorer.fig.survive_{stage}.help"))
    st.metric(t("explorer.fig.mass_kept"), greedy if fig.greedy else percent(fig.mass_kept),
              help=t("explorer.fig.mass_kept.help", top_k=percent(fig.mass_kept_top_k)))
    st.metric(t("explorer.fig.chosen"), percent(fig.chosen_prob), help=t("explorer.fig.chosen.help"))
    shown = dict(token=token_markdown(chosen_token), id=fig.chosen_id, prob=percent(fig.chosen_prob),
                 raw=percent(fig.chosen_raw_prob))
    st.caption(t("explorer.fig.next_greedy", **shown) if fig.greedy
               else t("explorer.fig.next_drawn", seed=seed, **shown))


def _numbers_view(table: pd.DataFrame) -> pd.DataFrame:
    """The stage table as the expander shows it: the stages and statuses named in the current language."""
    view = table[list(NUMBER_COLUMNS)].copy()
    view["stage"] = [t(f"explorer.stage_short.{s}") for s in view["stage"]]
    view["status"] = [t(f"explorer.status.{s}") for s in view["status"]]
    return view


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
        st.info(t("explorer.greedy_note"))
    charts, side = st.columns([3, 1], gap="medium")
    with side:
        _figure_metrics(fig, names[-1], seed)
        st.caption(t("explorer.reading_the_charts"))
    cut_text = {"top_k": t("explorer.cut.top_k", k=params.top_k),
                "top_p": t("explorer.cut.top_p", p=number(params.top_p))}
    stage_names = list(STAGES)
    with charts:
        for pair in (stage_names[0:2], stage_names[2:4], stage_names[4:6]):
            for col, stage in zip(st.columns(2), pair):
                with col:
                    rows = table[table["stage"] == stage]
                    cutoff = explorer.cutoff_rank(table, stage) if stage in cut_text and not params.greedy else None
                    setting = _stage_param(stage, params)
                    title = explorer.stage_title(stage) + (f" · {setting}" if setting else "")
                    # Each chart its own x scale: one peaked stage would otherwise flatten all the others.
                    x_max = min(1.0, 1.2 * float(max(rows["prob"].max(), rows["prob_before"].max()))) or 1.0
                    marked = chosen if stage == "top_p" else None
                    show_chart(stage_chart(rows, title, x_max, cutoff, cut_text.get(stage, ""), marked),
                               width="stretch")
                    st.caption(stage_alt_text(rows, title, marked))  # the chart in words, right under it
                    st.caption(t(f"explorer.stage.teach.{stage}"))
    with st.expander(t("explorer.numbers.expander")):
        show_table(_numbers_view(table), hide_index=True, column_config={
            **{name: st.column_config.Column(t(f"explorer.col.{name}")) for name in NUMBER_COLUMNS},
            "prob": st.column_config.NumberColumn(t("explorer.col.prob"), format="%.4f"),
            "prob_before": st.column_config.NumberColumn(t("explorer.col.prob_before"), format="%.4f")})
        st.download_button(t("explorer.numbers.download"), table.to_csv(index=False), file_name="mirror-stages.csv",
                           mime="text/csv", key="explorer_stages_csv")


def temperature_tab(lm: LoadedModel, prompt: TextPrompt, params: SamplingParams) -> None:
    curve = explorer.temperature_curve(prompt.ids, logits_for(lm, prompt.ids), params, lm.end_ids)
    st.caption(t("explorer.temperature.intro"))
    series = {"full": t("explorer.temperature.full"), "final": t("explorer.temperature.final")}
    measures = {"entropy": t("explorer.temperature.entropy"), "top1": t("explorer.temperature.top1")}
    long = pd.concat([curve.melt("temperature", [f"{m}_full", f"{m}_final"], "series", "value").assign(measure=m)
                      for m in measures])
    long["series"] = long["series"].map(lambda s: series[s.rsplit("_", 1)[1]])
    temperature = None if params.greedy else params.temperature
    for col, (measure, title) in zip(st.columns(2), measures.items()):
        data = long[long["measure"] == measure]
        show_chart(temperature_chart(data, title, temperature), where=col, width="stretch")
        col.caption(temperature_alt_text(data, title, temperature, as_percent=measure == "top1"))
    st.caption(t("explorer.temperature.lesson"))
