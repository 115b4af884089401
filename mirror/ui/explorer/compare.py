"""Settings compared: side by side on one seed, and as a grid over several seeds."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from mirror.config import PRESETS
from mirror.engine.generation import Generation
from mirror.engine.sampling import SamplingParams
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.prompts import TextPrompt
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.explorer.charts import grid_scatter
from mirror.ui.explorer.kept import KEPT, new_tokens, page_seed
from mirror.ui.explorer.prose import SIDE_BY_SIDE, SIDE_BY_SIDE_METRICS
from mirror.ui.explorer.settings import (CUSTOM, GREEDY, SETTING_CHOICES, SETTING_HELP, SIDEBAR, custom_controls,
                                         describe, resolve_setting)
from mirror.ui.pages import INSPECTOR, switch_to
from mirror.ui.state import InspectorSource
from mirror.ui.streaming import FINISH_WORDS, stream_into

METRIC_COLUMNS = {
    "tokens": st.column_config.NumberColumn("tokens", help="Length of the text in tokens"),
    "distinct_1": st.column_config.NumberColumn("distinct-1", format="%.2f", help="Distinct tokens / tokens"),
    "distinct_2": st.column_config.NumberColumn("distinct-2", format="%.2f", help="Distinct token pairs / pairs"),
    "repeated_ngram_rate": st.column_config.NumberColumn(
        f"repeated {explorer.REPEAT_N}-grams", format="%.2f",
        help=f"Share of {explorer.REPEAT_N}-grams that already appeared earlier in the text (0 = no loops)"),
    "mean_logprob": st.column_config.NumberColumn(
        "mean log-prob", format="%.2f", help="Mean natural-log probability per token under the raw model"),
    "perplexity": st.column_config.NumberColumn(
        "perplexity", format="%.1f", help="exp(−mean log-prob) under the raw model: lower = less surprising"),
}


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
                        "finish": FINISH_WORDS.get(result.finish_reason, result.finish_reason)})
    return results


def side_by_side_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    st.caption(SIDE_BY_SIDE)
    count = st.segmented_control("Columns", [2, 3, 4], key=KEPT.key("sbs_columns", 3), required=True)
    seed, tokens = page_seed(), new_tokens()
    defaults = (SIDEBAR, "Strict", "Creative", GREEDY)
    settings: list[tuple[str, SamplingParams]] = []
    columns = st.columns(int(count or 3))
    for i, col in enumerate(columns):
        with col:
            choice = st.selectbox(f"Setting {i + 1}", SETTING_CHOICES, key=KEPT.key(f"sbs_choice_{i}", defaults[i]),
                                  format_func=lambda c: c, help="; ".join(f"{k}: {v}" for k, v in SETTING_HELP.items()))
            custom = None
            if choice == CUSTOM:
                with st.expander("Custom values", expanded=True):
                    custom = custom_controls(i, sidebar)
            try:
                params = resolve_setting(choice, sidebar, tokens, seed, custom)
            except ValueError as error:
                st.error(str(error))
                return
            st.caption(describe(params))
            settings.append((choice, params))
    go = st.button("▶️ Generate side by side", type="primary", key="explorer_sbs_go",
                   help=f"Each column writes up to {tokens} tokens with seed {seed}.")
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
            placeholder.caption("Press Generate to write here.")
        return
    for index, (result, placeholder) in enumerate(zip(stored["results"], placeholders)):
        placeholder.markdown(escape_markdown(result["text"]) if result["text"] else "_(the mirror stayed silent)_")
        if result.get("token_ids") and "prompt_ids" in result:
            with columns[index]:
                st.button("🔍 Inspect tokens", key=f"explorer_inspect_{index}", on_click=_open_in_inspector,
                          args=(lm.info.name, result), help="Open this text in the Token Inspector")
    if st.session_state.pop(state.EXPLORER_GO_INSPECT, False):
        switch_to(INSPECTOR)
    if stored["signature"] != signature:
        st.caption("These texts were written for an earlier prompt or other settings; press Generate to redo them.")
    st.dataframe(_metrics_table(stored["results"]), hide_index=True, column_config=METRIC_COLUMNS)
    st.caption(SIDE_BY_SIDE_METRICS)


def grid_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    st.caption("Several seeds per setting show what a setting does on average, not just once.")
    options = [c for c in SETTING_CHOICES if c != CUSTOM]
    cols = st.columns([3, 1])
    chosen = cols[0].multiselect("Settings", options, key=KEPT.key("grid_settings", [*PRESETS, GREEDY]))
    seeds = int(cols[1].number_input("Seeds per setting", 1, 10, key=KEPT.key("grid_seeds", 3)))
    base_seed, tokens = page_seed(), new_tokens()
    seed_list = list(range(base_seed, base_seed + seeds))
    st.caption(f"{len(chosen) * seeds} runs of up to {tokens} tokens, seeds {seed_list[0]}–{seed_list[-1]}.")
    if st.button("▶️ Run the grid", type="primary", key="explorer_grid_go", disabled=not chosen):
        try:
            settings = {c: resolve_setting(c, sidebar, tokens, base_seed) for c in chosen}
            bar = st.progress(0.0, text="Starting…")
            runs = explorer.grid_run(lm, prompt, settings, seed_list, on_progress=lambda done, total, name, seed:
                                     bar.progress(done / total, text=f"{done}/{total}: {name}, seed {seed}"))
            bar.empty()
            st.session_state[state.EXPLORER_GRID] = runs
        except ValueError as error:
            st.error(str(error))
            return
    runs = st.session_state.get(state.EXPLORER_GRID)
    if runs is None or runs.empty:
        return
    summary = explorer.summarise_grid(runs)
    st.markdown("**Mean per setting**")
    st.dataframe(summary, hide_index=True, column_config={
        **METRIC_COLUMNS, "tokens": st.column_config.NumberColumn("tokens", format="%.1f"),
        "distinct_2_std": st.column_config.NumberColumn("distinct-2 spread", format="%.2f",
                                                        help="Standard deviation over the seeds")})
    st.markdown("**Each dot is one run**: variety of words against how surprising the text is to the raw model")
    st.altair_chart(grid_scatter(runs), width="stretch")
    with st.expander("All runs"):
        st.dataframe(runs, hide_index=True, column_config=METRIC_COLUMNS)
    st.download_button("⬇️ Download the runs as CSV", runs.to_csv(index=False), file_name="mirror-grid.csv",
                       mime="text/csv", key="explorer_grid_csv")
