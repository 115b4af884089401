"""The process's model pool for the Streamlit face, and who in this session holds a model."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mirror.models.pool import ModelPool, shared_pool

INSIDE_HOLDER = ":inside"  # a session's second hold: the Inside page's torch copy of a native runtime's weights


def _session_alive(holder: str) -> bool:
    """Whether the browser session behind `holder` is still open (always, outside a running server)."""
    if not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(holder.removesuffix(INSIDE_HOLDER))


@st.cache_resource(show_spinner=False)
def model_pool() -> ModelPool:
    """The process's one model pool (Streamlit's cache wraps the pool, never a model)."""
    pool = shared_pool()
    pool.alive = _session_alive
    return pool


def session_holder(suffix: str = "") -> str | None:
    """This browser session as a holder of a pooled model (None outside a script run)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id + suffix if ctx is not None else None
