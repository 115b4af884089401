"""The saved-work database, opened once per process."""

from __future__ import annotations

import uuid

import streamlit as st

from mirror.i18n import t
from mirror.services.store import Store, StoreError, database_url_from_env
from mirror.ui import state


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Store:
    return Store(url)


def get_store(quiet: bool = False) -> Store | None:
    """The store, or None with a visible error unless `quiet` (the page keeps working without saving)."""
    try:
        return _open_store(database_url_from_env())
    except StoreError as error:
        if not quiet:
            st.error(t("classroom.store.unavailable", error=error))
        return None


def session_id() -> str:
    if state.SESSION_ID not in st.session_state:
        st.session_state[state.SESSION_ID] = uuid.uuid4().hex
    return st.session_state[state.SESSION_ID]
