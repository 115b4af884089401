"""What every page does first: page config, secrets, heading, the model and the shared sidebar."""

from __future__ import annotations

import os

import streamlit as st

from mirror.i18n import Language, t, tn
from mirror.models import LoadedModel
from mirror.services.remote import RemoteModel
from mirror.ui.controls import current_params, sidebar
from mirror.ui.loader import API_KEY, get_model
from mirror.ui import state
from mirror.ui.identity import keep_identity
from mirror.ui.teacher import announce_passcode
from mirror.ui.language import apply_language, language_switch
from mirror.ui.links import apply_link, link_controls, link_notices, projector_view
from mirror.ui.frame import Frame
from mirror.ui.pages import AppPage
from mirror.ui.style import hide_sidebar, page_head


def apply_secrets() -> None:
    """Top-level MIRROR_* keys of .streamlit/secrets.toml (or Cloud's secrets) become settings.

    Streamlit itself copies top-level secrets into the environment when it starts a server (replacing
    variables of the same name); this does the same for AppTest and any run where that did not happen.
    Values are never shown or logged.
    """
    if not st.secrets.load_if_toml_exists():
        return
    for key, value in st.secrets.to_dict().items():
        # The API key stays in st.secrets (read by the loader), out of the process environment.
        if key == API_KEY or not key.startswith("MIRROR_") or key in os.environ:
            continue
        if isinstance(value, (str, int, float, bool)):
            os.environ[key] = str(value)


def frame(page: AppPage) -> Frame:
    """What the entrypoint draws around every page: its config and heading, the model, the shared sidebar.

    The model is None when it could not be loaded (the frame says why and offers the bundled one).
    The page then reads both with `current_frame()`.
    """
    apply_secrets()
    announce_passcode()  # a server started without a teacher passcode prints its own once, in its terminal
    apply_link(page)  # a lesson link in the URL sets the language, the sidebar and the page's widgets first
    language = apply_language()  # then every text below is drawn in the visitor's language
    hidden = page.bare or st.session_state.get(state.PROJECTOR_VIEW)
    st.set_page_config(page_title=page.tab_title, page_icon=page.icon, layout="wide",
                       initial_sidebar_state="collapsed" if hidden else "auto")
    keep_identity()
    page_head(language)
    if page.bare:
        return _bare_frame(page, language)
    language_switch(language)
    link_controls(page)
    projector_view()
    st.title(f"{page.icon} {page.title}")
    link_notices()
    lm = get_model()
    # A remote server may not honour every parameter: those sliders are disabled and say why.
    params = sidebar(unsupported=lm.unsupported if isinstance(lm, RemoteModel) else ())
    if isinstance(lm, LoadedModel):
        st.sidebar.caption(load_line(lm))
    st.session_state[state.FRAME] = (lm, params)
    return lm, params


def _bare_frame(page: AppPage, language: Language) -> Frame:
    """A classroom role's own view: no sidebar at all (the student must not reach the mirror's
    settings; the projector shows the class only), the language switch on the page itself."""
    hide_sidebar()
    language_switch(language, in_sidebar=False)
    st.title(f"{page.icon} {page.title}")
    lm = get_model()
    params = current_params()  # the settings the visitor left on the other pages (the projector's round starts there)
    st.session_state[state.FRAME] = (lm, params)
    return lm, params


def load_line(lm: LoadedModel) -> str:
    """How busy the shared model is: every session's replies are written together, in one batch."""
    scheduler = lm.scheduler
    running, waiting = scheduler.running, scheduler.waiting
    text = t("common.sidebar.load_line", runtime=lm.info.runtime, replies=tn("common.sidebar.load_replies", running))
    if waiting:
        text += t("common.sidebar.load_waiting", count=waiting)
    return text + t("common.sidebar.load_capacity", count=scheduler.capacity)
