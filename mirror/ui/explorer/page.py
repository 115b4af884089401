"""The Parameter Explorer page: the prompt, then six tabs that run lazily (only the open one computes).

Every number comes from `mirror.services.explorer`, which reads it from `run_pipeline`; the forward
pass is cached (`model_calls`), so a slider only reruns the cheap stages.
"""

from __future__ import annotations

import streamlit as st

from mirror.engine.sampling import SamplingParams
from mirror.i18n import t
from mirror.models import LoadedModel
from mirror.services.remote import RemoteModel
from mirror.ui import state
from mirror.ui.explorer.compare import grid_tab, side_by_side_tab
from mirror.ui.explorer.distribution import distribution_tab, temperature_tab
from mirror.ui.explorer.prompt import prompt_box
from mirror.ui.explorer.prose import settings_table
from mirror.ui.explorer.walk import walk_tab
from mirror.ui.remote_views import remote_explorer

TAB_NAMES = ("distribution", "temperature", "side_by_side", "grid", "walk", "guide")
# The tabs' English labels (what code and tests outside a Russian run compare); `tab_labels` gives today's.
TABS = tuple(t(f"explorer.tab.{name}", language="en") for name in TAB_NAMES)
BODIES = (distribution_tab, temperature_tab, side_by_side_tab, grid_tab, walk_tab)  # the guide needs no model


def tab_labels() -> tuple[str, ...]:
    """The tabs' labels in the current language (`st.tabs` keeps the open one's label in session state)."""
    return tuple(t(f"explorer.tab.{name}") for name in TAB_NAMES)


def guide_tab() -> None:
    st.markdown(t("explorer.guide.heading"))
    st.table(settings_table(), hide_index=True)
    st.markdown(t("explorer.guide.triangle"))
    st.markdown(t("explorer.guide.stage_order"))


def explorer_page(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    if not isinstance(lm, LoadedModel):
        # A remote server returns a few top log-probabilities, not the whole distribution every stage needs.
        remote_explorer(lm)
        return
    st.caption(t("explorer.intro"))
    prompt = prompt_box(lm)
    if prompt is None:
        return
    tabs = st.tabs(tab_labels(), key=state.EXPLORER_TAB, on_change="rerun")
    for tab, body in zip(tabs, BODIES):
        if tab.open is False:  # lazy: only the open tab computes (None = state unknown: run it)
            continue
        with tab:
            try:
                body(lm, prompt, params)
            except ValueError as error:  # includes ParameterError: a clear message, never a traceback
                st.error(t("explorer.page_error", error=error))
    if tabs[-1].open is not False:
        with tabs[-1]:
            guide_tab()
