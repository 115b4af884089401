"""Settings compared: side by side on one seed, and as a grid over several seeds."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from mirror.config import PRESETS
from mirror.engine.generation import Generation
from mirror.engine.sampling import SamplingParams
from mirror.i18n import labeller, t, tn
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.prompts import TextPrompt
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.charts import show_chart
from mirror.ui.explorer.charts import grid_alt_text, grid_scatter
from mirror.ui.explorer.kept import KEPT, new_tokens, page_seed
from mirror.ui.explorer.settings import (CUSTOM, GREEDY, SETTING_CHOICES, SIDEBAR, custom_controls, describe,
                                         resolve_setting, setting_help, setting_key, setting_label)
from mirror.ui.pages import INSPECTOR, switch_to
from mirror.ui.state import InspectorSource
from mirror.ui.streaming import finish_word, stream_into
from mirror.ui.tables import show_table


def metric_columns() -> dict[str, Any]:
    """The column headers of the metrics tables, in the current language (the data keeps its column names)."""
    n = explorer.REPEAT_N
    number = st.column_config.NumberColumn
    return {
        "setting": st.column_config.TextColumn(t("explorer.metric.setting")),
        "seed": number(t("explorer.metric.seed")),
        "runs": number(t("explorer.metric.runs")),
        "finish": st.column_config.TextColumn(t("explorer.metric.finish")),
        "text": st.column_config.TextColumn(t("explorer.metric.text")),
        "tokens": number(t("explorer.metric.tokens"), help=t("explorer.metric.tokens.help")),
        "distinct_1": number("distinct-1", format="%.2f", help=t("explorer.metric.distinct_1.help")),
        "distinct_2": number("distinct-2", format="%.2f", help=t("explorer.metric.distinct_2.help")),
        "repeated_ngram_rate": number(t("explorer.metric.repeated", n=n), format="%.2f",
                                      help=t("explorer.metric.repeated.help", n=n)),
        "mean_logprob": number(t("explorer.metric.mean_logprob"), format="%.2f",
                               help=t("explorer.metric.mean_logprob.help")),
        "perplexity": number(t("explorer.metric.perplexity"), format="%.1f", help=t("explorer.metric.perplexity.help")),
    }


def shown(runs: pd.DataFrame) -> pd.DataFrame:
    """A runs or metrics table as the page shows it: settings and endings named in the current language."""
    view = runs.copy()
    view["setting"] = [setting_label(s) for s in view["setting"]]
    if "finish" in view:
        view["finish"] = [finish_word(f) for f in view["finish"]]
    return view


def _metrics_table(results: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"setting": r["label"], **r["metrics"], "finish": r["finish"]} for r in results])


def _open_in_inspector(model: str, result: dict[str, Any]) -> None:
    """Hand a side-by-side text to the Token Inspector with the sampler's probabilities it was drawn with."""
    state.hand_to_inspector(InspectorSource(
        text=result["text"], origin="explorer", token_ids=result["token_ids"],
        sampler_probs=result.get("sampler_probs"), context_ids=result["prompt_ids"],
        seed=result.get("seed"), params=result["params"], model=model,
    ))
    st.session_state[state.EXPLORER_GO_INSPECT] = True


def _write(lm: LoadedModel, prompt: TextPrompt, settings: list[tuple[str, SamplingParams]],
           placeholders: list[Any]) -> list[dict[str, Any]]:
    """Each setting writes its text into its column; what each wrote and how it measures."""
    results = []
    for (choice, params), placeholder in zip(settings, placeholders):
        run = Generation(lm, prompt.ids, params, stop_strings=prompt.stop_strings)
        probs: list[float] = []
        result = stream_into(placeholder, run, lambda step: probs.append(step.prob))
        metrics = explorer.measure(lm, run.prompt_ids, result.token_ids)
        results.append({"label": choice, "params": params.to_dict(), "text": result.text,
                        "token_ids": result.token_ids, "sampler_probs": probs, "prompt_ids": run.prompt_ids,
                        "seed": result.seed, "metrics": metrics.to_dict(),
                        "finish": str(result.finish_reason)})  # the reason; shown in words by `shown`
    return results


def side_by_side_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    st.caption(t("explorer.sbs.intro"))
    count = st.segmented_control(t("explorer.sbs.columns"), [2, 3, 4], key=KEPT.key("sbs_columns", 3), required=True)
    seed, tokens = page_seed(), new_tokens()
    defaults = (SIDEBAR, "Strict", "Creative", GREEDY)
    settings: list[tuple[str, SamplingParams]] = []
    columns = st.columns(int(count or 3))
    label_of = labeller(setting_key)
    for i, col in enumerate(columns):
        with col:
            choice = st.selectbox(t("explorer.sbs.setting", n=i + 1), SETTING_CHOICES,
                                  key=KEPT.key(f"sbs_choice_{i}", defaults[i]), format_func=label_of,
                                  help=setting_help())
            custom = None
            if choice == CUSTOM:
                with st.expander(t("explorer.sbs.custom_values"), expanded=True):
                    custom = custom_controls(i, sidebar)
            try:
                params = resolve_setting(choice, sidebar, tokens, seed, custom)
            except ValueError as error:
                st.error(str(error))
                return
            st.caption(describe(params))
            settings.append((choice, params))
    go = st.button(t("explorer.sbs.go"), type="primary", key="explorer_sbs_go",
                   help=t("explorer.sbs.go.help", tokens=tn("explorer.tokens", tokens), seed=seed))
    signature = (prompt.ids, tuple((c, p) for c, p in settings))
    placeholders = []
    for col in columns:
        with col:
            placeholders.append(st.container(border=True).empty())
    if go:
        st.session_state[state.EXPLORER_SIDE_BY_SIDE] = {"signature": signature,
                                                         "results": _write(lm, prompt, settings, placeholders)}
    stored = st.session_state.get(state.EXPLORER_SIDE_BY_SIDE)
    if not stored:
        for placeholder in placeholders:
            placeholder.caption(t("explorer.sbs.waiting"))
        return
    for index, (result, placeholder) in enumerate(zip(stored["results"], placeholders)):
        placeholder.markdown(escape_markdown(result["text"]) if result["text"] else t("explorer.sbs.silent"))
        if result.get("token_ids") and "prompt_ids" in result:
            with columns[index]:
                st.button(t("explorer.sbs.inspect"), key=f"explorer_inspect_{index}", on_click=_open_in_inspector,
                          args=(lm.info.name, result), help=t("explorer.sbs.inspect.help"))
    if st.session_state.pop(state.EXPLORER_GO_INSPECT, False):
        switch_to(INSPECTOR)
    if stored["signature"] != signature:
        st.caption(t("explorer.sbs.stale"))
    show_table(shown(_metrics_table(stored["results"])), hide_index=True, column_config=metric_columns())
    st.caption(t("explorer.sbs.metrics_note"))


def grid_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    st.caption(t("explorer.grid.intro"))
    options = [c for c in SETTING_CHOICES if c != CUSTOM]
    cols = st.columns([3, 1])
    chosen = cols[0].multiselect(t("explorer.grid.settings"), options,
                                 key=KEPT.key("grid_settings", [*PRESETS, GREEDY]), format_func=labeller(setting_key))
    seeds = int(cols[1].number_input(t("explorer.grid.seeds"), 1, 10, key=KEPT.key("grid_seeds", 3)))
    base_seed, tokens = page_seed(), new_tokens()
    seed_list = list(range(base_seed, base_seed + seeds))
    st.caption(t("explorer.grid.plan", runs=tn("explorer.grid.runs", len(chosen) * seeds),
                 tokens=tn("explorer.tokens", tokens), first=seed_list[0], last=seed_list[-1]))
    if st.button(t("explorer.grid.go"), type="primary", key="explorer_grid_go", disabled=not chosen):
        try:
            settings = {c: resolve_setting(c, sidebar, tokens, base_seed) for c in chosen}
            bar = st.progress(0.0, text=t("explorer.grid.starting"))
            runs = explorer.grid_run(lm, prompt, settings, seed_list, on_progress=lambda done, total, name, seed:
                                     bar.progress(done / total, text=t("explorer.grid.progress", done=done, total=total,
                                                                       name=setting_label(name), seed=seed)))
            bar.empty()
            st.session_state[state.EXPLORER_GRID] = runs
        except ValueError as error:
            st.error(str(error))
            return
    runs = st.session_state.get(state.EXPLORER_GRID)
    if runs is None or runs.empty:
        return
    summary = explorer.summarise_grid(runs)
    st.markdown(t("explorer.grid.mean"))
    show_table(shown(summary), hide_index=True, column_config={
        **metric_columns(), "tokens": st.column_config.NumberColumn(t("explorer.metric.tokens"), format="%.1f"),
        "distinct_2_std": st.column_config.NumberColumn(t("explorer.metric.distinct_2_std"), format="%.2f",
                                                        help=t("explorer.metric.distinct_2_std.help"))})
    st.markdown(t("explorer.grid.dots"))
    dots = shown(runs)
    show_chart(grid_scatter(dots), width="stretch")
    st.caption(grid_alt_text(dots))  # the chart in words, right under it
    with st.expander(t("explorer.grid.all_runs")):
        show_table(shown(runs), hide_index=True, column_config=metric_columns())
    st.download_button(t("explorer.grid.download"), runs.to_csv(index=False), file_name="mirror-grid.csv",
                       mime="text/csv", key="explorer_grid_csv")
