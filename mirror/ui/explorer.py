"""The Parameter Explorer page: the sampler's stages on the real next-token distribution, settings side by
side, a grid run, and "be the sampler".

Every number comes from `mirror.services.explorer`, which reads it from `run_pipeline`. The forward pass is
cached per model and prompt ids, so a slider only reruns the cheap stages. Tabs run lazily (only the
open one computes); widget values are kept in `explorer_saved` so they survive tab and page switches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
import torch

from mirror.services import explorer
from mirror.config import MAX_TEXT_CHARS, PARAM_RANGES, PRESETS
from mirror.services.explorer import Walk
from mirror.services.prompts import TextPrompt, prompt_for_text
from mirror.engine.generation import Generation
from mirror.models import LoadedModel
from mirror.engine.sampling import SamplerStages, SamplingParams
from mirror.text import escape_markdown, visible_whitespace
from mirror.ui.remote_views import remote_explorer
from mirror.ui.streaming import FINISH_WORDS, stream_into

SAVED_KEY = "explorer_saved"
SBS_KEY = "explorer_sbs_results"
GRID_KEY = "explorer_grid_runs"
WALK_KEY = "explorer_walk"
TAB_KEY = "explorer_tab"
WALK_CANDIDATES = 10

KEPT, REMOVED_HERE, REMOVED_EARLIER = "kept", "removed here", "removed earlier"
COLORS = {KEPT: "#4f6f8f", REMOVED_HERE: "#b8c0c8", REMOVED_EARLIER: "#e1e6eb"}
CUT_COLOR = "#b5483b"

EXAMPLES = {
    "Once upon a time…": "Once upon a time, in a small village by the sea, there lived a",
    "The capital of France is": "The capital of France is",
    "Mirror, mirror on the wall…": "Mirror, mirror on the wall, who is the",
    "The best way to learn…": "The best way to learn a new language is",
    "def fibonacci(n):": "def fibonacci(n):\n    ",
}
SIDEBAR, GREEDY, CUSTOM = "Sidebar settings", "Greedy", "Custom"
SETTING_CHOICES = (SIDEBAR, *PRESETS, GREEDY, CUSTOM)
SETTING_HELP = {
    SIDEBAR: "whatever the sidebar is set to now",
    GREEDY: "temperature 0 and no penalties: always the single most likely token",
    CUSTOM: "your own values, set in this column",
}
TABS = ("📊 Next-token distribution", "🌡️ Temperature curve", "🆚 Side by side", "🧮 Grid run",
        "🎲 Be the sampler", "📖 Guide")

STAGE_TEACHING = {
    "raw": "What the model itself believes: the softmax of its logits. Nothing has been changed yet.",
    "repetition_penalty": "Tokens already in the text get their logit divided (if positive) or multiplied "
                          "(if negative) by the penalty, so the model is nudged away from repeating itself.",
    "no_repeat_ngram": "A token that would repeat an n-gram already in the text is removed outright: a hard "
                       "ban, not a nudge.",
    "temperature": "Logits are divided by T. Below 1 the favourites get stronger (strict); above 1 the "
                   "distribution flattens and rare tokens get a chance (creative). Order never changes.",
    "top_k": "Only the k most likely tokens stay in the race; the rest are cut. A fixed-size shortlist.",
    "top_p": "Keeps the smallest set of top tokens whose probabilities add up to p, then renormalises. "
             "Confident model: few tokens; unsure model: many. This is what the sampler draws from.",
}
TABLE_1 = pd.DataFrame(
    [("Temperature", "determinism, dry text, repetition", "creativity, nonsense, mistakes", "slider 0.1–1.5, default 0.7"),
     ("Top-k", "a limited vocabulary", "risk of picking rare words", "slider 0–100, default 50"),
     ("Top-p", "focus on the most likely tokens", "variety", "slider 0.5–1.0, default 0.95"),
     ("Repetition penalty", "loops are possible", "avoids the topic, drifts to other contexts", "slider 1.0–2.0, default 1.2")],
    columns=["Parameter", "Low value", "High value", "Recommended control"],
)
TRIANGLE = """
**The trade-off triangle** (seed document, §9.2): you can lean towards one corner, never all three.

1. **Coherence**: a high repetition penalty and a low temperature. Dull and sometimes repetitive, but grammatical.
2. **Creativity**: a high temperature with sampling switched on. New ideas, and a risk of hallucination.
3. **Correctness**: strict top-k filtering. Safe text with a limited vocabulary.

The seed recommends a *balanced* default between them: temperature 0.7, top-k 50, no-repeat n-gram size 2
(the **Balanced** preset, with top-p 0.95 and repetition penalty 1.2 from its Table 1).
"""


# --- widget state that survives lazy tabs and page switches -------------------------------------------


def _key(name: str, default: Any) -> str:
    """The widget key `explorer_<name>`, seeded from the saved value when Streamlit forgot the widget."""
    key = f"explorer_{name}"
    saved: dict[str, Any] = st.session_state.setdefault(SAVED_KEY, {})
    if key in st.session_state:
        saved[name] = st.session_state[key]
    else:
        st.session_state[key] = saved.get(name, default)
    return key


def _value(name: str, default: Any) -> Any:
    return st.session_state.get(f"explorer_{name}", st.session_state.get(SAVED_KEY, {}).get(name, default))


# --- cached model calls ----------------------------------------------------------------------------------


def _model_key(lm: LoadedModel) -> str:
    info = lm.info
    return f"{info.name}|{info.location}|{info.device}|{info.dtype}"


@st.cache_data(show_spinner=False, max_entries=128)
def _cached_logits(model_key: str, ids: tuple[int, ...], _lm: LoadedModel) -> torch.Tensor:
    # Keyed by model and prompt ids: moving a slider reuses these logits, no new forward pass.
    return explorer.next_token_logits(_lm, ids)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_token_strings(model_key: str, ids: tuple[int, ...], _lm: LoadedModel) -> list[str]:
    return _lm.token_strings(list(ids))


def logits_for(lm: LoadedModel, ids: Sequence[int]) -> torch.Tensor:
    with st.spinner("The mirror reads the prompt (one forward pass)…"):
        return _cached_logits(_model_key(lm), tuple(ids), lm)


def token_strings(lm: LoadedModel, ids: Sequence[int]) -> list[str]:
    return _cached_token_strings(_model_key(lm), tuple(ids), lm)


def stages_for(lm: LoadedModel, ids: Sequence[int], params: SamplingParams) -> SamplerStages:
    return explorer.pipeline(ids, logits_for(lm, ids), params, lm.end_ids)


def _pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.1%}"


def _shown(token: str) -> str:
    """A token as inert Markdown with its whitespace drawn."""
    return escape_markdown(visible_whitespace(token))


# --- prompt -------------------------------------------------------------------------------------------------


def _example_chosen() -> None:
    choice = st.session_state.get("explorer_example")
    if choice in EXAMPLES:
        st.session_state["explorer_prompt"] = EXAMPLES[choice]


def prompt_box(lm: LoadedModel) -> TextPrompt | None:
    """The prompt controls; the prompt's token ids, or None (with a hint) when there is nothing to compute."""
    left, right = st.columns([3, 1])
    with right:
        st.selectbox("Example prompts", list(EXAMPLES), key=_key("example", next(iter(EXAMPLES))),
                     on_change=_example_chosen, help="Pick one to put it in the prompt box; any text works.")
        st.toggle("Ask as a chat message", key=_key("chat", False),
                  help="Off: the model continues your text as it is. On: the text is wrapped as a user "
                       "message in the model's chat template, and the model answers it.")
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key=_key("seed", 42),
                        help="One seed for the whole page: the token drawn below, every side-by-side column, "
                             "and the step-through draws. The same seed reproduces the same text.")
    with left:
        text = st.text_area("Prompt", key=_key("prompt", next(iter(EXAMPLES.values()))), height=110,
                            max_chars=MAX_TEXT_CHARS, help="The text the mirror continues.")
        cols = st.columns(2)
        cols[0].slider("Tokens in the charts", *explorer.TOP_N_RANGE, key=_key("top_n", 30),
                       help="How many of the most likely tokens each chart shows.")
        cols[1].slider("New tokens per run", 4, 256, key=_key("tokens", 48),
                       help="Length of each text on this page (side by side, grid, step-through). "
                            "Kept separate from the sidebar's maximum so comparisons stay quick.")
    if not text or not text.strip():
        st.info("Type a prompt (or pick an example) to see how the mirror chooses its next token.")
        return None
    try:
        prompt = prompt_for_text(lm, text, bool(_value("chat", False)), int(_value("tokens", 48)))
    except ValueError as error:
        st.error(f"This prompt cannot be used: {error}")
        return None
    if prompt.dropped:
        st.warning(f"The prompt has {prompt.total:,} tokens, more than {lm.info.name}'s context window of "
                   f"{lm.info.context_length:,} tokens leaves room for. The first {prompt.dropped:,} tokens were "
                   f"cut from the left; the mirror reads the last {len(prompt.ids):,}.")
    return prompt


# --- tab 1: the distribution, stage by stage -------------------------------------------------------------------


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


def _labels(rows: pd.DataFrame) -> list[str]:
    """Axis labels: the token text, made unique with its id where two tokens look the same."""
    counts = rows["token"].value_counts()
    return [t if counts[t] == 1 else f"{t} (id {i})" for t, i in zip(rows["token"], rows["token_id"])]


def stage_chart(rows: pd.DataFrame, title: str, x_max: float, cutoff: int | None, cut_text: str,
                chosen_id: int | None) -> alt.LayerChart:
    """Horizontal bars for one stage; removed tokens greyed (at the probability they had before), a cut-off rule."""
    data = rows.assign(label=_labels(rows))
    # A token removed by this stage is drawn grey at the probability it had just before: the mass that was cut.
    data["bar"] = data["prob"].where(data["status"] != REMOVED_HERE, data["prob_before"])
    domain = data["label"].tolist()
    band = alt.Scale(domain=domain, type="band", paddingInner=0.2)
    y = alt.Y("label:N", sort=None, scale=band, title=None, axis=alt.Axis(labelLimit=110, labelFontSize=11))
    x = alt.X("bar:Q", title="probability", scale=alt.Scale(domain=[0, x_max]), axis=alt.Axis(format="%"))
    tooltip = [alt.Tooltip("token:N"), alt.Tooltip("token_id:Q", title="id"),
               alt.Tooltip("prob:Q", title="probability here", format=".2%"),
               alt.Tooltip("prob_before:Q", title="before this stage", format=".2%"),
               alt.Tooltip("logit:Q", format=".3f"), alt.Tooltip("status:N")]
    bars = alt.Chart(data).mark_bar().encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())),
                        legend=None),
    )
    crosses = alt.Chart(data[data["removed"]]).mark_text(text="✕", color="#8a939c", align="left", dx=2).encode(
        x=alt.datum(0), y=y)
    layers: list[alt.Chart] = [bars, crosses]
    if cutoff is not None:
        cut = pd.DataFrame({"label": [domain[cutoff - 1]], "text": [cut_text]})
        y_edge = alt.Y("label:N", sort=None, scale=band, bandPosition=1)
        layers.append(alt.Chart(cut).mark_rule(color=CUT_COLOR, strokeDash=[5, 3], strokeWidth=2).encode(y=y_edge))
        layers.append(alt.Chart(cut).mark_text(color=CUT_COLOR, align="right", baseline="top", dy=3, fontSize=11)
                      .encode(y=y_edge, x=alt.datum(x_max), text="text:N"))
    if chosen_id is not None and chosen_id in set(data["token_id"]):
        star = data[data["token_id"] == chosen_id]
        layers.append(alt.Chart(star).mark_text(text="★ drawn", align="left", dx=4, color="#2b3440", fontSize=11)
                      .encode(x="bar:Q", y=y))
    return alt.layer(*layers).properties(title=title, height=alt.Step(15))


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
    st.metric("Probability mass kept", greedy if fig.greedy else _pct(fig.mass_kept),
              help="The share of the distribution after temperature that top-k and top-p keep "
                   f"(top-k alone keeps {_pct(fig.mass_kept_top_k)}); it is then rescaled to 100%.")
    st.metric("Drawn token's probability", _pct(fig.chosen_prob),
              help="Probability of the drawn token under the sampler's final distribution.")
    how = "the sampler takes the most likely token (greedy)" if fig.greedy else f"with seed {seed} the sampler draws"
    st.caption(f"Next token: {how} “{_shown(chosen_token)}” (id {fig.chosen_id}), "
               f"{_pct(fig.chosen_prob)} under the sampler, {_pct(fig.chosen_raw_prob)} under the raw model.")


def distribution_tab(lm: LoadedModel, prompt: TextPrompt, params: SamplingParams) -> None:
    seed = int(_value("seed", 42))
    stages = stages_for(lm, prompt.ids, params)
    chosen = explorer.draw(stages, seed)
    fig = explorer.figures(stages, chosen)
    shown = explorer.top_token_ids(stages, int(_value("top_n", 30)))
    names = token_strings(lm, [*shown, chosen])
    table = explorer.stage_table(stages, shown, names[:-1])
    st.session_state["explorer_last_table"] = table  # what the charts show, for checks and the download
    if params.greedy:
        st.info("Temperature 0 means greedy decoding: temperature, top-k and top-p are skipped and the most "
                "likely token after the penalties is always chosen.")
    charts, side = st.columns([3, 1], gap="medium")
    with side:
        _figure_metrics(fig, names[-1], seed)
        st.caption("**Reading the charts.** Blue: still in the race. Grey: removed by this stage, drawn at the "
                   "probability it had just before. ✕: removed. Dashed red line: where top-k or top-p cuts. "
                   "Tokens are in the order top-k and top-p see them (after the penalties); ␣ is a space, "
                   "⏎ a newline.")
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


# --- tab 2: the temperature curve ------------------------------------------------------------------------------


def temperature_tab(lm: LoadedModel, prompt: TextPrompt, params: SamplingParams) -> None:
    curve = explorer.temperature_curve(prompt.ids, logits_for(lm, prompt.ids), params, lm.end_ids)
    st.caption("The same logits, every other setting as in the sidebar, temperature from 0.1 to 2. "
               "'whole distribution' is right after temperature; 'after top-k and top-p' is what the sampler "
               "draws from. The dashed line is the sidebar's temperature.")
    long = pd.concat([
        curve.melt("temperature", ["entropy_full", "entropy_final"], "series", "value").assign(measure="Entropy (bits)"),
        curve.melt("temperature", ["top1_full", "top1_final"], "series", "value").assign(measure="Top-1 probability"),
    ])
    long["series"] = long["series"].map(lambda s: "whole distribution" if s.endswith("full") else "after top-k and top-p")
    cols = st.columns(2)
    for col, measure in zip(cols, ("Entropy (bits)", "Top-1 probability")):
        data = long[long["measure"] == measure]
        line = alt.Chart(data).mark_line(point=True).encode(
            x=alt.X("temperature:Q", title="temperature"), y=alt.Y("value:Q", title=measure),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["temperature", "series", alt.Tooltip("value:Q", format=".3f")])
        layers = [line]
        if not params.greedy:
            layers.append(alt.Chart(pd.DataFrame({"t": [params.temperature]})).mark_rule(
                strokeDash=[5, 3], color=CUT_COLOR).encode(x="t:Q"))
        col.altair_chart(alt.layer(*layers).properties(title=measure, height=300), width="stretch")
    st.caption("Higher temperature, flatter distribution: entropy rises and the favourite's probability falls. "
               "Top-k and top-p hold the final entropy down, which is why they tame a high temperature.")


# --- settings for side by side and the grid --------------------------------------------------------------------


def resolve_setting(choice: str, sidebar: SamplingParams, max_new_tokens: int, seed: int,
                    custom: dict[str, Any] | None = None) -> SamplingParams:
    """The parameters a named choice stands for, with this page's length and seed."""
    common = dict(max_new_tokens=max_new_tokens, seed=seed)
    if choice == SIDEBAR:
        return sidebar.replace(**common)
    if choice == GREEDY:
        return SamplingParams(temperature=0.0, repetition_penalty=1.0, no_repeat_ngram_size=0, **common)
    if choice == CUSTOM:
        return SamplingParams(**(custom or {}), **common)
    return SamplingParams.preset(choice, **common)


def describe(params: SamplingParams) -> str:
    if params.greedy:
        head = "greedy"
    else:
        head = f"T {params.temperature:g} · top-k {params.top_k} · top-p {params.top_p:g}"
    return f"{head} · penalty {params.repetition_penalty:g} · n-gram {params.no_repeat_ngram_size}"


def _custom_controls(index: int, sidebar: SamplingParams) -> dict[str, Any]:
    values = {}
    for name in ("temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size"):
        spec = PARAM_RANGES[name]
        cast = int if spec.is_int else float
        values[name] = st.slider(name.replace("_", " ").capitalize(), cast(spec.low), cast(spec.high),
                                 step=cast(spec.step), key=_key(f"sbs_{name}_{index}", getattr(sidebar, name)),
                                 help=spec.help)
    return values


def _metrics_table(results: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"setting": r["label"], **r["metrics"], "finish": r["finish"]} for r in results])


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


def side_by_side_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    st.caption("The same prompt and the same seed, different settings: only the sampler differs, so every "
               "difference in the texts comes from the settings.")
    count = st.segmented_control("Columns", [2, 3, 4], key=_key("sbs_columns", 3), required=True)
    seed, tokens = int(_value("seed", 42)), int(_value("tokens", 48))
    defaults = (SIDEBAR, "Strict", "Creative", GREEDY)
    settings: list[tuple[str, SamplingParams]] = []
    columns = st.columns(int(count or 3))
    for i, col in enumerate(columns):
        with col:
            choice = st.selectbox(f"Setting {i + 1}", SETTING_CHOICES, key=_key(f"sbs_choice_{i}", defaults[i]),
                                  format_func=lambda c: c, help="; ".join(f"{k}: {v}" for k, v in SETTING_HELP.items()))
            custom = None
            if choice == CUSTOM:
                with st.expander("Custom values", expanded=True):
                    custom = _custom_controls(i, sidebar)
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
        st.session_state[SBS_KEY] = {"signature": signature, "results": results}
    stored = st.session_state.get(SBS_KEY)
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
    if st.session_state.pop("explorer_go_inspect", False):
        st.switch_page("pages/3_Token_Inspector.py")
    if stored["signature"] != signature:
        st.caption("These texts were written for an earlier prompt or other settings; press Generate to redo them.")
    st.dataframe(_metrics_table(stored["results"]), hide_index=True, column_config=METRIC_COLUMNS)
    st.caption("Perplexity and log-probability are measured under the raw model (no sampler), given the prompt: "
               "low perplexity = text the model finds natural; high distinct-n = varied wording.")


def _open_in_inspector(model: str, result: dict[str, Any]) -> None:
    """Hand a side-by-side text to the Token Inspector with the sampler's probabilities it was drawn with."""
    st.session_state["inspector_source"] = {
        "text": result["text"], "origin": "explorer", "token_ids": result["token_ids"],
        "sampler_probs": result.get("sampler_probs"), "context_ids": result["prompt_ids"],
        "seed": result.get("seed"), "params": result["params"], "model": model,
    }
    st.session_state["explorer_go_inspect"] = True


# --- tab 4: grid run ---------------------------------------------------------------------------------------------


def grid_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    st.caption("Several seeds per setting show what a setting does on average, not just once.")
    options = [c for c in SETTING_CHOICES if c != CUSTOM]
    cols = st.columns([3, 1])
    chosen = cols[0].multiselect("Settings", options, key=_key("grid_settings", [*PRESETS, GREEDY]))
    seeds = int(cols[1].number_input("Seeds per setting", 1, 10, key=_key("grid_seeds", 3)))
    base_seed, tokens = int(_value("seed", 42)), int(_value("tokens", 48))
    seed_list = list(range(base_seed, base_seed + seeds))
    st.caption(f"{len(chosen) * seeds} runs of up to {tokens} tokens, seeds {seed_list[0]}–{seed_list[-1]}.")
    if st.button("▶️ Run the grid", type="primary", key="explorer_grid_go", disabled=not chosen):
        try:
            settings = {c: resolve_setting(c, sidebar, tokens, base_seed) for c in chosen}
            bar = st.progress(0.0, text="Starting…")
            runs = explorer.grid_run(lm, prompt, settings, seed_list, on_progress=lambda done, total, name, seed:
                                     bar.progress(done / total, text=f"{done}/{total}: {name}, seed {seed}"))
            bar.empty()
            st.session_state[GRID_KEY] = runs
        except ValueError as error:
            st.error(str(error))
            return
    runs = st.session_state.get(GRID_KEY)
    if runs is None or runs.empty:
        return
    summary = explorer.summarise_grid(runs)
    st.markdown("**Mean per setting**")
    st.dataframe(summary, hide_index=True, column_config={
        **METRIC_COLUMNS, "tokens": st.column_config.NumberColumn("tokens", format="%.1f"),
        "distinct_2_std": st.column_config.NumberColumn("distinct-2 spread", format="%.2f",
                                                        help="Standard deviation over the seeds")})
    st.markdown("**Each dot is one run**: variety of words against how surprising the text is to the raw model")
    scatter = alt.Chart(runs).mark_circle(size=110, opacity=0.8).encode(
        x=alt.X("distinct_1:Q", title="distinct-1 (variety of words)", scale=alt.Scale(zero=False, padding=12)),
        y=alt.Y("perplexity:Q", title="perplexity under the raw model",
                scale=alt.Scale(type="log", padding=12), axis=alt.Axis(tickCount=5, grid=True)),
        color=alt.Color("setting:N", title="setting", scale=alt.Scale(scheme="tableau10")),
        tooltip=["setting", "seed", "tokens", alt.Tooltip("distinct_1:Q", format=".2f"),
                 alt.Tooltip("distinct_2:Q", format=".2f"), alt.Tooltip("perplexity:Q", format=".1f"), "text"],
    ).properties(height=320)
    st.altair_chart(scatter, width="stretch")
    with st.expander("All runs"):
        st.dataframe(runs, hide_index=True, column_config=METRIC_COLUMNS)
    st.download_button("⬇️ Download the runs as CSV", runs.to_csv(index=False), file_name="mirror-grid.csv",
                       mime="text/csv", key="explorer_grid_csv")


# --- tab 5: be the sampler --------------------------------------------------------------------------------------


def _walk(prompt: TextPrompt, seed: int) -> Walk:
    """The session's step-through; a new one when the prompt or the seed changed."""
    walk: Walk | None = st.session_state.get(WALK_KEY)
    if walk is None or walk.prompt_ids != prompt.ids or walk.seed != seed:
        walk = Walk(prompt.ids, seed)
        st.session_state[WALK_KEY] = walk
    return walk


def _walk_pick(token_id: int, length: int) -> None:
    walk: Walk | None = st.session_state.get(WALK_KEY)
    if walk is not None and len(walk.new_ids) == length:  # ignore a stale click
        walk.pick(token_id)


def _walk_draw(lm: LoadedModel, params: SamplingParams, length: int) -> None:
    walk: Walk | None = st.session_state.get(WALK_KEY)
    if walk is not None and len(walk.new_ids) == length:
        walk.draw(stages_for(lm, walk.ids, params))


def _walk_undo() -> None:
    walk: Walk | None = st.session_state.get(WALK_KEY)
    if walk is not None:
        walk.undo()


def _walk_reset(prompt: TextPrompt, seed: int) -> None:
    st.session_state[WALK_KEY] = Walk(prompt.ids, seed)


def _walk_text(lm: LoadedModel, walk: Walk) -> tuple[str, int]:
    """The walk's text and the bytes of an unfinished last character left out of it: a character split over
    byte tokens shows only once whole (held back mid-walk, dropped when the walk ends there)."""
    return lm.decode_whole(walk.new_ids)


def walk_tab(lm: LoadedModel, prompt: TextPrompt, sidebar: SamplingParams) -> None:
    seed, tokens = int(_value("seed", 42)), int(_value("tokens", 48))
    params = sidebar.replace(max_new_tokens=tokens, seed=seed)
    walk = _walk(prompt, seed)
    context = lm.info.context_length
    st.caption("You are the sampler. Pick the next token yourself, or let the sampler draw one with the sidebar's "
               f"settings and seed {seed}. Drawing every token gives exactly the text the mirror would write.")
    reason = walk.finish_reason(lm.end_ids, tokens, context)
    prompt_text = str(_value("prompt", ""))
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
        marks = " · ".join(f"{'🧑' if by == 'you' else '🎲'} {_shown(t)}"
                           for by, t in zip(walk.picked_by, token_strings(lm, walk.new_ids)))
        count = f"{len(walk.new_ids)} token" + ("s" if len(walk.new_ids) != 1 else "")
        text_box.caption(f"{count} (🧑 picked by you, 🎲 drawn by the sampler): {marks}")
    length = len(walk.new_ids)
    cols = st.columns(4)
    cols[0].button("🎲 Let the sampler draw", key="explorer_walk_draw", on_click=_walk_draw,
                   args=(lm, params, length), disabled=reason is not None, type="primary", width="stretch")
    cols[1].button("↩️ Undo", key="explorer_walk_undo", on_click=_walk_undo, disabled=not walk.new_ids,
                   width="stretch")
    auto = cols[2].button("⏩ Continue to the end", key="explorer_walk_auto", disabled=reason is not None,
                          width="stretch", help="The sampler draws every remaining token, one at a time.")
    cols[3].button("🔄 Start over", key="explorer_walk_reset", on_click=_walk_reset, args=(prompt, seed),
                   disabled=not walk.new_ids, width="stretch")
    if auto:
        while walk.finish_reason(lm.end_ids, tokens, context) is None:
            # Not cached: these intermediate logits would only crowd out the cache.
            walk.draw(explorer.pipeline(walk.ids, explorer.next_token_logits(lm, walk.ids), params, lm.end_ids))
            placeholder.markdown(escape_markdown(_walk_text(lm, walk)[0]) + " ▌")
        st.rerun()
    if reason is not None:
        st.success(f"Finished: the text {FINISH_WORDS.get(reason, reason)}." if reason != "eos"
                   else "Finished: the mirror chose its end-of-text token.")
        return
    stages = stages_for(lm, walk.ids, params)
    candidates = explorer.top_token_ids(stages, WALK_CANDIDATES)
    names = token_strings(lm, candidates)
    table = explorer.stage_table(stages, candidates, names)
    raw = table[table["stage"] == "raw"].reset_index(drop=True)
    final = stages.probs[0, candidates].tolist()
    st.markdown("**Candidates for the next token**: the model's top ten with the sampler's probability. "
                "Borderless ones were cut by the settings: the sampler can never draw them, but you may.")
    buttons = st.columns(5)
    for n, (token_id, name, p_final) in enumerate(zip(candidates, names, final)):
        label = f"{_shown(name)} · {p_final:.1%}" if p_final > 0 else f"{_shown(name)} · cut"
        buttons[n % 5].button(label, key=f"explorer_walk_pick_{n}", on_click=_walk_pick, args=(token_id, length),
                              type="secondary" if p_final > 0 else "tertiary", width="stretch",
                              help=f"token id {token_id}: {raw.loc[n, 'prob']:.2%} under the raw model, "
                                   f"{p_final:.2%} under the sampler")
    view = pd.DataFrame({"token": raw["token"], "raw model": raw["prob"], "sampler": final,
                         "status": ["removed" if p == 0 else "can be drawn" for p in final]})
    with st.expander("Candidates as a table"):
        st.dataframe(view, hide_index=True, column_config={
            "raw model": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
            "sampler": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)})


# --- tab 6: guide --------------------------------------------------------------------------------------------------


def guide_tab() -> None:
    st.markdown("**What each setting does** (seed document, Table 1)")
    st.table(TABLE_1, hide_index=True)
    st.markdown(TRIANGLE)
    st.markdown("**The order of the stages** is the one the sampler (and transformers' `generate`) uses: repetition "
                "penalty → no-repeat n-gram → temperature → top-k → top-p → draw. Every chart on this page is read "
                "from that same pipeline, so the numbers are exactly the ones the sampler uses.")


# --- the page -------------------------------------------------------------------------------------------------------


def explorer_page(lm: Any, params: SamplingParams) -> None:
    if not isinstance(lm, LoadedModel):
        # A remote server returns a few top log-probabilities, not the whole distribution every stage needs.
        remote_explorer(lm)
        return
    st.caption("How temperature, top-k, top-p, repetition penalty and no-repeat n-gram reshape the mirror's "
               "next-token choice, on this model and your prompt. Move the sliders in the sidebar: the charts "
               "follow without asking the model again.")
    prompt = prompt_box(lm)
    if prompt is None:
        return
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    bodies = (distribution_tab, temperature_tab, side_by_side_tab, grid_tab, walk_tab)
    for tab, body in zip(tabs, bodies):
        if tab.open is False:  # lazy: only the open tab computes (None = state unknown: run it)
            continue
        with tab:
            try:
                body(lm, prompt, params)
            except ValueError as error:  # includes ParameterError: a clear message, never a traceback
                st.error(f"Something in these settings does not work: {error}")
    if tabs[-1].open is not False:
        with tabs[-1]:
            guide_tab()
