"""One model per process, shared by every session through st.cache_resource."""

from __future__ import annotations

import streamlit as st

from mirror.config import BUNDLED_MODEL
from mirror.models import LoadedModel, ModelLoadError, load_model
from mirror.ui.controls import model_name, use_bundled_model


@st.cache_resource(show_spinner=False, max_entries=1)
def _cached_model(name: str) -> LoadedModel:
    # max_entries=1: switching models frees the previous one, so one model is in memory per process.
    return load_model(name)


def get_model() -> LoadedModel | None:
    """The current model, loading it with a spinner; on failure an error and a way back to the bundled model."""
    name = model_name()
    first_start = "the first start unpacks the bundled model (about 20 s); later starts take a few seconds"
    try:
        with st.spinner(f"Polishing the mirror: loading {name}… ({first_start})"):
            return _cached_model(name)
    except ModelLoadError as error:
        st.error(f"The model could not be loaded. {error}")
        if name != BUNDLED_MODEL:
            st.button(f"Use the bundled {BUNDLED_MODEL} instead", on_click=use_bundled_model, type="primary")
        return None
