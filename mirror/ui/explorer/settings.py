"""The settings the side-by-side and grid tabs compare: named choices, or custom values per column.

The choices keep stable English names (they are widget values and table data); `setting_label` shows one
in the current language.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from mirror.config import PARAM_RANGES, PRESETS
from mirror.engine.sampling import SamplingParams
from mirror.i18n import t
from mirror.ui.controls import param_help, param_label, preset_key
from mirror.ui.explorer.format import number
from mirror.ui.explorer.kept import KEPT

SIDEBAR, GREEDY, CUSTOM = "Sidebar settings", "Greedy", "Custom"
SETTING_CHOICES = (SIDEBAR, *PRESETS, GREEDY, CUSTOM)
_OWN_KEYS = {SIDEBAR: "explorer.setting.sidebar", GREEDY: "explorer.setting.greedy", CUSTOM: "explorer.setting.custom"}
CUSTOM_PARAMS = ("temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size")


def setting_key(choice: str) -> str:
    """A choice's catalog key: a preset's shared name, or one of the explorer's own."""
    return _OWN_KEYS.get(choice) or preset_key(choice)


def setting_label(choice: str) -> str:
    return t(setting_key(choice))


def setting_help() -> str:
    """The help of the setting choosers: what the choices that are not presets mean."""
    return "; ".join(f"{setting_label(choice)}: {t(key + '.help')}" for choice, key in _OWN_KEYS.items())


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
        head = t("explorer.describe.greedy")
    else:
        head = f"T {number(params.temperature)} · top-k {params.top_k} · top-p {number(params.top_p)}"
    return t("explorer.describe.tail", head=head, penalty=number(params.repetition_penalty),
             n=params.no_repeat_ngram_size)


def custom_controls(index: int, sidebar: SamplingParams) -> dict[str, Any]:
    """Sliders for column `index`'s own values, starting from the sidebar's."""
    values = {}
    for name in CUSTOM_PARAMS:
        spec = PARAM_RANGES[name]
        cast = int if spec.is_int else float
        values[name] = st.slider(param_label(name), cast(spec.low), cast(spec.high),
                                 step=cast(spec.step), key=KEPT.key(f"sbs_{name}_{index}", getattr(sidebar, name)),
                                 help=param_help(name))
    return values
