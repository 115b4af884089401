"""The session's model from the process's model pool (mirror/models/pool.py), or a remote server."""

from __future__ import annotations

import os

import streamlit as st

from mirror.config import BUNDLED_MODEL, Settings
from mirror.i18n import t
from mirror.models import LoadedModel, ModelLoadError
from mirror.services.remote import BackendError, RemoteModel, connect_remote
from mirror.ui.controls import may_add_models, model_name, use_bundled_model
from mirror.ui.pool import INSIDE_HOLDER, model_pool, session_holder

API_KEY = "MIRROR_BACKEND_API_KEY"


@st.cache_resource(show_spinner=False, max_entries=2, ttl=300)
def _cached_remote(url: str, model: str | None, _api_key: str | None) -> RemoteModel:
    # The key is not part of the cache key (underscore): it never lands in Streamlit's cache metadata.
    return connect_remote(url, api_key=_api_key, model=model)


def _api_key() -> str | None:
    """The remote server's key: from st.secrets, or the environment where a platform injects secrets."""
    if st.secrets.load_if_toml_exists() and st.secrets.get(API_KEY):
        return str(st.secrets[API_KEY])
    return os.environ.get(API_KEY) or None


def get_model() -> LoadedModel | RemoteModel | None:
    """The current model, loading it with a spinner; on failure an error and a way back to the bundled model."""
    settings = Settings.from_env()
    if settings.backend_url:
        try:
            with st.spinner(t("common.loader.connecting")):
                return _cached_remote(settings.backend_url, settings.backend_model, _api_key())
        except BackendError as error:
            st.error(t("common.loader.server_down", error=error))
            return None
    name, pool = model_name(), model_pool()
    try:
        with st.spinner(t("common.loader.loading", name=name)):
            if may_add_models() and not pool.is_offered(name):
                return pool.offer(name, holder=session_holder())  # the teacher's model is offered to the class too
            return pool.get(name, holder=session_holder(), visitor=True)
    except ModelLoadError as error:
        st.error(t("common.loader.failed", error=error))
        if name != BUNDLED_MODEL:
            st.button(t("common.loader.use_bundled", name=BUNDLED_MODEL), on_click=use_bundled_model, type="primary")
        return None


def torch_copy(name: str) -> LoadedModel:
    """The torch copy of a native runtime's weights, for the one page that reads the model's insides."""
    return model_pool().get(name, runtime="torch", holder=session_holder(INSIDE_HOLDER))
