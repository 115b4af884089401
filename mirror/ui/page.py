"""What every page does first: page config, secrets, the shared sidebar, the model."""

from __future__ import annotations

import os

import streamlit as st

from mirror.models import LoadedModel
from mirror.sampling import SamplingParams
from mirror.ui.controls import sidebar
from mirror.ui.loader import get_model


def apply_secrets() -> None:
    """Top-level MIRROR_* keys of .streamlit/secrets.toml (or Cloud's secrets) become settings.

    The environment wins, so an operator can always override a secrets file. Values are never shown
    or logged.
    """
    if not st.secrets.load_if_toml_exists():
        return
    for key, value in st.secrets.to_dict().items():
        if key.startswith("MIRROR_") and isinstance(value, (str, int, float, bool)) and key not in os.environ:
            os.environ[key] = str(value)


def setup_page(title: str, icon: str) -> tuple[LoadedModel | None, SamplingParams]:
    st.set_page_config(page_title=f"{title} · Magic Mirror", page_icon=icon, layout="wide")
    apply_secrets()
    params = sidebar()
    st.title(f"{icon} {title}")
    return get_model(), params
