"""The settings the side-by-side and grid tabs compare: named choices, or custom values per column."""

from __future__ import annotations

from typing import Any

import streamlit as st

from mirror.config import PARAM_RANGES, PRESETS
from mirror.engine.sampling import SamplingParams
from mirror.ui.explorer.kept import KEPT

SIDEBAR, GREEDY, CUSTOM = "Sidebar settings", "Greedy", "Custom"
SETTING_CHOICES = (SIDEBAR, *PRESETS, GREEDY, CUSTOM)
SETTING_HELP = {
    SIDEBAR: "whatever the sidebar is set to now",
    GREEDY: "temperature 0 and no penalties: always the single most likely token",
    CUSTOM: "your own values, set in this column",
}
CUSTOM_PARAMS = ("temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size")


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


def custom_controls(index: int, sidebar: SamplingParams) -> dict[str, Any]:
    """Sliders for column `index`'s own values, starting from the sidebar's."""
    values = {}
    for name in CUSTOM_PARAMS:
        spec = PARAM_RANGES[name]
        cast = int if spec.is_int else float
        values[name] = st.slider(name.replace("_", " ").capitalize(), cast(spec.low), cast(spec.high),
                                 step=cast(spec.step), key=KEPT.key(f"sbs_{name}_{index}", getattr(sidebar, name)),
                                 help=spec.help)
    return values
