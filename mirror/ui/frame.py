"""This run's model and parameters, as the entrypoint's frame set them up for the page it runs."""

from __future__ import annotations

import streamlit as st

from mirror.engine.sampling import SamplingParams
from mirror.models import LoadedModel
from mirror.services.remote import RemoteModel
from mirror.ui import state

# The model is None when it could not be loaded (the frame says why and offers the bundled one).
Frame = tuple[LoadedModel | RemoteModel | None, SamplingParams]


def current_frame() -> Frame:
    """The model and parameters the entrypoint's `frame` set up for this run's page."""
    return st.session_state[state.FRAME]
