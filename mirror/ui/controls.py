"""The shared sidebar: model choice and decoding parameters, kept when the user switches pages.

The entrypoint draws it on every page, so its widgets live across page switches. The values are also
kept in one plain session-state dict (`state.CONTROLS`, see `KeptValues`): presets and the model
choice change them from callbacks, and a widget Streamlit forgot is seeded from them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from mirror.config import BUNDLED_MODEL, DEFAULT_PRESET, GEMMA_MODEL, LANGUAGE_MODELS, PARAM_RANGES, PRESETS, Settings
from mirror.i18n import current_language, labeller, t
from mirror.text import redact_url
from mirror.engine.sampling import ParameterError, SamplingParams
from mirror.ui import state
from mirror.ui.pool import model_pool
from mirror.ui.teacher import is_teacher

# The value at which each parameter does nothing: what a server that lacks it effectively uses.
NEUTRAL = {"top_k": 0, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0}
CUSTOM = "Custom"
SLIDERS = ("temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size", "max_new_tokens")


def param_label(name: str) -> str:
    """A decoding parameter's name as the sliders show it, in the current language."""
    return t(f"common.param.{name}")


def param_help(name: str) -> str:
    return t(f"common.param.{name}.help")


def preset_key(name: str) -> str:
    """A preset's catalog key (the options keep the English names, so a choice survives a language switch)."""
    return f"common.preset.{name}"


def preset_label(name: str) -> str:
    return t(preset_key(name))


def preset_help() -> str:
    return "; ".join(f"{preset_label(name)}: {t(f'common.preset.{name}.help')}" for name in (*PRESETS, CUSTOM))


def _defaults() -> dict[str, Any]:
    values: dict[str, Any] = {name: PARAM_RANGES[name].default for name in SLIDERS}
    values.update(PRESETS[DEFAULT_PRESET])
    values.update(preset=DEFAULT_PRESET, fix_seed=False, seed=42, model=Settings.from_env().model)
    return values


CONTROLS = state.KeptValues(state.CONTROLS, "ctl_", _defaults)


def _changed(name: str) -> None:
    CONTROLS.keep(name)
    if name == "model":
        st.session_state[state.MODEL_CHOSEN] = True
    if name in PRESETS[DEFAULT_PRESET]:
        CONTROLS.set("preset", CUSTOM)


def _preset_changed() -> None:
    CONTROLS.keep("preset")
    for name, value in PRESETS.get(CONTROLS.values()["preset"], {}).items():
        CONTROLS.set(name, value)


def may_add_models() -> bool:
    """May this visitor type any model id or folder? Where the operator allows it for everyone
    (MIRROR_ALLOW_ANY_MODEL=1), or for the signed-in teacher, whose model is then offered to the class."""
    return Settings.from_env().allow_any_model or is_teacher()


def language_default() -> str:
    """The model a visitor who has not picked one gets: the first offered model that writes the page's
    language well (Gemma-3-270M for Russian, where it is installed), else the operator's default."""
    settings, pool = Settings.from_env(), model_pool()
    for name in LANGUAGE_MODELS.get(current_language(), ()):
        if pool.is_offered(name):
            return name
    return settings.model


def model_name() -> str:
    """The model this session uses: the visitor's choice among the offered models (any model where
    `may_add_models`), else the default for the visitor's language."""
    default = language_default()
    if not st.session_state.get(state.MODEL_CHOSEN) and CONTROLS.values()["model"] != default:
        CONTROLS.set("model", default)  # follows a language switch until the visitor picks one
    name = CONTROLS.values()["model"]
    return name if may_add_models() or model_pool().is_offered(name) else default


def set_model(name: str) -> None:
    """The visitor picks `name` (a callback, a lesson link): it no longer follows the language."""
    CONTROLS.set("model", name)
    st.session_state[state.MODEL_CHOSEN] = True


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


def param_slider(name: str, unsupported: bool = False) -> None:
    """The slider of one decoding parameter, bound to the kept value the sidebar shows (the projector
    draws the round's settings with the same sliders, so both always agree)."""
    spec = PARAM_RANGES[name]
    cast = int if spec.is_int else float
    st.slider(param_label(name), cast(spec.low), cast(spec.high), step=cast(spec.step), key=CONTROLS.key(name),
              on_change=_changed, args=(name,), disabled=unsupported,
              help=param_help(name) + (t("common.sidebar.unsupported", value=NEUTRAL[name]) if unsupported else ""))


def sidebar(unsupported: Sequence[str] = ()) -> SamplingParams:
    """Draw the shared controls in the sidebar and return the parameters they set.

    `unsupported` names parameters the model's server ignores: their controls are disabled and say so,
    and the returned parameters hold them at their neutral value, so nothing shown is silently ignored.
    """
    # The entrypoint draws the sidebar on every page, so its widgets live on across page switches.
    key = CONTROLS.key

    with st.sidebar:
        st.markdown(t("common.sidebar.heading"))
        settings = Settings.from_env()
        if settings.backend_url:
            st.caption(t("common.sidebar.served_by", url=redact_url(settings.backend_url)))
        elif may_add_models():
            st.text_input(t("common.sidebar.model"), key=key("model"), on_change=_changed, args=("model",),
                          help=t("common.sidebar.model_any_help", bundled=BUNDLED_MODEL))
        else:
            offered = model_pool().offered()
            if CONTROLS.values()["model"] not in offered:
                CONTROLS.set("model", model_name())
            st.selectbox(t("common.sidebar.model"), offered, key=key("model"), on_change=_changed,
                         args=("model",), help=t("common.sidebar.model_list_help"))
        if GEMMA_MODEL in settings.models or CONTROLS.values()["model"] == GEMMA_MODEL:
            st.caption(t("common.gemma_notice", model=GEMMA_MODEL))  # the Gemma Terms ask for it where it is offered
        options = [*PRESETS, CUSTOM]
        st.selectbox(t("common.sidebar.preset"), options, key=key("preset"), on_change=_preset_changed,
                     format_func=labeller(preset_key), help=preset_help())
        for name in SLIDERS:
            param_slider(name, unsupported=name in unsupported)
        st.checkbox(t("common.sidebar.fix_seed"), key=key("fix_seed"), on_change=_changed, args=("fix_seed",),
                    help=t("common.sidebar.fix_seed_help"))
        if CONTROLS.values()["fix_seed"]:
            st.number_input(t("common.sidebar.seed"), min_value=0, max_value=2**31 - 1, step=1, key=key("seed"), on_change=_changed,
                            args=("seed",))
    params = current_params()
    neutral = {name: NEUTRAL[name] for name in unsupported if name in NEUTRAL}
    return params.replace(**neutral) if neutral else params
