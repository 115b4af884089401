"""The shared sidebar: model choice and decoding parameters, kept when the user switches pages.

The entrypoint draws it on every page, so its widgets live across page switches. The values are also
kept in one plain session-state dict (`state.CONTROLS`, see `KeptValues`): presets and the model
choice change them from callbacks, and a widget Streamlit forgot is seeded from them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from mirror.config import BUNDLED_MODEL, DEFAULT_PRESET, PARAM_RANGES, PRESETS, Settings
from mirror.text import redact_url
from mirror.engine.sampling import ParameterError, SamplingParams
from mirror.ui import state

# The value at which each parameter does nothing: what a server that lacks it effectively uses.
NEUTRAL = {"top_k": 0, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0}
CUSTOM = "Custom"
SLIDERS = ("temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size", "max_new_tokens")
LABELS = {"temperature": "Temperature", "top_k": "Top-k", "top_p": "Top-p", "repetition_penalty": "Repetition penalty",
          "no_repeat_ngram_size": "No-repeat n-gram size", "max_new_tokens": "Max new tokens"}
PRESET_HELP = {
    "Strict": "coherent and predictable: low temperature, tight top-k, strong penalties",
    "Balanced": "the middle way: temperature 0.7, top-k 50, top-p 0.95, penalty 1.2",
    "Creative": "surprising and varied: high temperature, wide top-k, light penalty, may wander off",
    CUSTOM: "your own mix",
}


def _defaults() -> dict[str, Any]:
    values: dict[str, Any] = {name: PARAM_RANGES[name].default for name in SLIDERS}
    values.update(PRESETS[DEFAULT_PRESET])
    values.update(preset=DEFAULT_PRESET, fix_seed=False, seed=42, model=Settings.from_env().model)
    return values


CONTROLS = state.KeptValues(state.CONTROLS, "ctl_", _defaults)


def _changed(name: str) -> None:
    CONTROLS.keep(name)
    if name in PRESETS[DEFAULT_PRESET]:
        CONTROLS.set("preset", CUSTOM)


def _preset_changed() -> None:
    CONTROLS.keep("preset")
    for name, value in PRESETS.get(CONTROLS.values()["preset"], {}).items():
        CONTROLS.set(name, value)


def model_name() -> str:
    """The model this session uses: the user's choice when the deployment allows it, else the operator's list."""
    settings = Settings.from_env()
    name = CONTROLS.values()["model"]
    return name if settings.allow_any_model or name in settings.models else settings.models[0]


def set_model(name: str) -> None:
    CONTROLS.set("model", name)


def use_bundled_model() -> None:
    set_model(BUNDLED_MODEL)


def current_params() -> SamplingParams:
    """The sidebar's parameters; the seed is None (a fresh random one per reply) unless fixed."""
    values = CONTROLS.values()
    try:
        return SamplingParams(**{n: values[n] for n in SLIDERS}, seed=int(values["seed"]) if values["fix_seed"] else None)
    except ParameterError:  # cannot happen through the sliders; a damaged session falls back to defaults
        CONTROLS.forget()
        return SamplingParams()


def sidebar(unsupported: Sequence[str] = ()) -> SamplingParams:
    """Draw the shared controls in the sidebar and return the parameters they set.

    `unsupported` names parameters the model's server ignores: their controls are disabled and say so,
    and the returned parameters hold them at their neutral value, so nothing shown is silently ignored.
    """
    # The entrypoint draws the sidebar on every page, so its widgets live on across page switches.
    key = CONTROLS.key

    with st.sidebar:
        st.markdown("### 🪞 Mirror settings")
        settings = Settings.from_env()
        if settings.backend_url:
            st.caption(f"Model: served by the inference server at {redact_url(settings.backend_url)}")
        elif settings.allow_any_model:
            st.text_input("Model", key=key("model"), on_change=_changed, args=("model",),
                          help=f"{BUNDLED_MODEL} is bundled and works offline. A Hugging Face id such as gpt2 or "
                               "distilgpt2, or a local folder, also works when available.")
        else:
            if CONTROLS.values()["model"] not in settings.models:
                set_model(settings.models[0])
            st.selectbox("Model", settings.models, key=key("model"), on_change=_changed, args=("model",),
                         help="The models this deployment offers (set by its operator with MIRROR_MODELS; "
                              "MIRROR_ALLOW_ANY_MODEL=1 lets users type any id).")
        options = [*PRESETS, CUSTOM]
        st.selectbox("Preset", options, key=key("preset"), on_change=_preset_changed,
                     help="; ".join(f"{name}: {text}" for name, text in PRESET_HELP.items()))
        for name in SLIDERS:
            spec = PARAM_RANGES[name]
            cast = int if spec.is_int else float
            off = name in unsupported
            st.slider(LABELS[name], cast(spec.low), cast(spec.high), step=cast(spec.step), key=key(name),
                      on_change=_changed, args=(name,), disabled=off,
                      help=spec.help + (f" Not supported by the inference server, so it is not used: "
                                        f"it stays at {NEUTRAL[name]}." if off else ""))
        st.checkbox("Fix the seed", key=key("fix_seed"), on_change=_changed, args=("fix_seed",),
                    help="Off: every reply draws a new random seed (shown under the reply). On: the same seed, "
                         "prompt and settings reproduce a reply exactly.")
        if CONTROLS.values()["fix_seed"]:
            st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key=key("seed"), on_change=_changed,
                            args=("seed",))
    params = current_params()
    neutral = {name: NEUTRAL[name] for name in unsupported if name in NEUTRAL}
    return params.replace(**neutral) if neutral else params
