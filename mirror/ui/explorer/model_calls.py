"""The explorer's calls to the model, cached: moving a slider reruns only the cheap sampler stages.

The caches hold model data only (logits, token strings), never a text in a language, so they need no
language in their key.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
import torch

from mirror.engine.sampling import SamplerStages, SamplingParams
from mirror.i18n import t
from mirror.models import LoadedModel
from mirror.services import explorer


def _model_key(lm: LoadedModel) -> str:
    info = lm.info
    return f"{info.name}|{info.location}|{info.device}|{info.dtype}"


@st.cache_data(show_spinner=False, max_entries=128)
def _cached_logits(model_key: str, ids: tuple[int, ...], _lm: LoadedModel) -> torch.Tensor:
    # Through the module, so that a test's patch of `next_token_logits` counts the real calls.
    return explorer.next_token_logits(_lm, ids)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_token_strings(model_key: str, ids: tuple[int, ...], _lm: LoadedModel) -> list[str]:
    return _lm.token_strings(list(ids))


def logits_for(lm: LoadedModel, ids: Sequence[int]) -> torch.Tensor:
    """The next-token logits after `ids`: one forward pass per model and prompt, then from the cache."""
    with st.spinner(t("explorer.spinner.forward")):
        return _cached_logits(_model_key(lm), tuple(ids), lm)


def token_strings(lm: LoadedModel, ids: Sequence[int]) -> list[str]:
    return _cached_token_strings(_model_key(lm), tuple(ids), lm)


def stages_for(lm: LoadedModel, ids: Sequence[int], params: SamplingParams) -> SamplerStages:
    return explorer.pipeline(ids, logits_for(lm, ids), params, lm.end_ids)
