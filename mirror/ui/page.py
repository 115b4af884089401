"""What every page does first: page config, the shared sidebar, the model."""

from __future__ import annotations

import streamlit as st

from mirror.models import LoadedModel
from mirror.sampling import SamplingParams
from mirror.ui.controls import sidebar
from mirror.ui.loader import get_model


def setup_page(title: str, icon: str) -> tuple[LoadedModel | None, SamplingParams]:
    st.set_page_config(page_title=f"{title} · Magic Mirror", page_icon=icon, layout="wide")
    params = sidebar()
    st.title(f"{icon} {title}")
    return get_model(), params
