"""Lesson links and the projector view, for every page.

"🔗 Link to this" (in the sidebar) writes the page's view into the URL: language, model, parameters,
seed, projector view and the page's own fields (`mirror.ui.link_fields`: what each page carries).
Opening such a link in a new browser applies it once, before any widget is drawn, so the page opens as
the teacher saw it; later changes of the visitor are theirs (the same link is not applied twice).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from mirror.config import PRESETS
from mirror.i18n import t
from mirror.services.lesson_links import SHARED_KEYS, LessonView, fit_link, read_view, view_of
from mirror.ui import state
from mirror.ui.controls import CONTROLS, CUSTOM, current_params, may_add_models, model_name, set_model
from mirror.ui.pool import model_pool
from mirror.ui.language import apply_language, chosen_language
from mirror.ui.link_fields import PAGE_FIELDS, LinkField
from mirror.ui.pages import AppPage
from mirror.ui.style import hide_sidebar

_LINK_URL = "mirror_link_url"  # the link this session made last, shown under the button


def page_fields(page: AppPage) -> tuple[LinkField, ...]:
    return PAGE_FIELDS.get(page.key, ())


def _view_now(page: AppPage) -> LessonView:
    fields = {}
    for field in page_fields(page):
        value = field.read()
        if value is not None:
            fields[field.query] = value
    # A callback: the run's language is not set yet, so it is read from where the run will take it.
    return view_of(current_params(), chosen_language(), model_name(), fields,
                   projector=bool(st.session_state.get(state.PROJECTOR_VIEW)))


def _preset_of(params: dict[str, Any]) -> str:
    for name, values in PRESETS.items():
        if all(params.get(k) == v for k, v in values.items()):
            return name
    return CUSTOM


def _once(kind: str, signature: tuple) -> bool:
    """True the first time this session sees `signature` for `kind` (the shared part, or one page's fields)."""
    applied = st.session_state.setdefault(state.LINK_APPLIED, {})
    if applied.get(kind) == signature:
        return False
    applied[kind] = signature
    return True


def apply_link(page: AppPage) -> None:
    """Apply the URL's lesson link once per session and link (before the sidebar and the page draw).

    The shared part (model, parameters, seed) applies once per link on whichever page it is opened,
    the page's own fields once on their page; the language and the projector view are left out of
    the signature, because the switches write them into the URL themselves.
    """
    fields = page_fields(page)
    names = {f.query for f in fields}
    query = {k: v for k, v in st.query_params.to_dict().items() if k in SHARED_KEYS or k in names}
    shared = tuple(sorted((k, v) for k, v in query.items() if k not in {"lang", "projector", *names}))
    own = tuple(sorted((k, v) for k, v in query.items() if k in names))
    apply_shared = bool(shared) and _once("shared", shared)
    apply_own = bool(own) and _once(page.key, own)
    projector = query.get("projector") == "1"
    if (apply_shared or apply_own or projector) and _once("projector", (projector,)):
        st.session_state[state.PROJECTOR_VIEW] = projector  # also a bare ?projector=1
    if not (apply_shared or apply_own):
        return
    view = read_view(query, tuple(names))
    problems = list(view.problems)
    if view.lang:
        st.session_state[state.LANGUAGE] = view.lang
    if apply_shared:
        _apply_shared(view)
    if apply_own:
        apply_language()  # the link's language first: a tab is restored by its name in that language
        for field in fields:
            if field.query in view.fields:
                try:
                    field.apply(view.fields[field.query])
                except ValueError:
                    problems.append(field.query)
    st.session_state[state.LINK_PROBLEMS] = problems


def _apply_shared(view: LessonView) -> None:
    if view.model:
        if may_add_models() or model_pool().is_offered(view.model):
            set_model(view.model)
        else:
            st.session_state[state.LINK_NOTICE_MODEL] = view.model
    for name, value in view.params.items():
        CONTROLS.set(name, value)
    if view.params:
        CONTROLS.set("preset", _preset_of({**CONTROLS.values(), **view.params}))
    CONTROLS.set("fix_seed", view.seed is not None)
    if view.seed is not None:
        CONTROLS.set("seed", view.seed)


def link_notices() -> None:
    """What the last applied link could not do (drawn once, at the top of the page)."""
    problems = st.session_state.pop(state.LINK_PROBLEMS, None)
    if problems:
        st.warning(t("common.link.dropped", names=", ".join(problems)), icon="🔗")
    refused = st.session_state.pop(state.LINK_NOTICE_MODEL, None)
    if refused:
        st.warning(t("common.link.model_refused", model=refused, used=model_name()), icon="🔗")


def _make_link(page: AppPage) -> None:
    view, left_out = fit_link(_view_now(page))
    st.query_params.from_dict(view.query())
    st.session_state[_LINK_URL] = (page.key, view.query_string(), view.seed is not None, left_out)


def _set_projector(on: bool) -> None:
    """The visitor's own switch: the URL follows it, and the link's value is not applied over it again."""
    st.session_state[state.PROJECTOR_VIEW] = on
    st.session_state.setdefault(state.LINK_APPLIED, {})["projector"] = (on,)
    if on:
        st.query_params["projector"] = "1"
    else:
        st.query_params.pop("projector", None)


def _projector_changed() -> None:
    _set_projector(bool(st.session_state.get("projector_toggle")))


def _leave_projector() -> None:
    _set_projector(False)


def link_controls(page: AppPage) -> None:
    """The sidebar's "Link to this" button (with the link it made) and the projector view switch."""
    with st.sidebar:
        st.button(t("common.link.button"), key="link_to_this", on_click=_make_link, args=(page,),
                  help=t("common.link.button_help"), width="stretch")
        made = st.session_state.get(_LINK_URL)
        if made and made[0] == page.key:
            base = st.context.url or ""
            st.caption(t("common.link.ready"))
            st.code(f"{base}?{made[1]}", language=None, wrap_lines=True)
            if not made[2]:
                st.caption(t("common.link.no_seed"))
            if made[3]:
                names = {field.query: field.shown_name() for field in page_fields(page)}
                st.caption(t("common.link.left_out", names=", ".join(names[query] for query in made[3])))
        st.session_state["projector_toggle"] = bool(st.session_state.get(state.PROJECTOR_VIEW))
        st.toggle(t("common.projector.toggle"), key="projector_toggle", on_change=_projector_changed,
                  help=t("common.projector.help"))


# Larger type for the whole page (`hide_sidebar` takes the sidebar away).
_PROJECTOR_CSS = """<style>
.stMainBlockContainer, [data-testid="stMainBlockContainer"] { font-size: 1.35rem; max-width: 100%; }
.stMainBlockContainer p, .stMainBlockContainer li, .stMainBlockContainer label,
.stMainBlockContainer [data-testid="stMarkdownContainer"], .stMainBlockContainer [data-testid="stCaptionContainer"]
  { font-size: 1.35rem !important; line-height: 1.5; }
.stMainBlockContainer textarea, .stMainBlockContainer input { font-size: 1.35rem !important; }
.stMainBlockContainer h1 { font-size: 3.8rem !important; }
.stMainBlockContainer h2, .stMainBlockContainer h3 { font-size: 2.2rem !important; }
</style>"""


def projector_view() -> None:
    """In the projector view: the larger type, and a way out (the sidebar that holds the switch is hidden)."""
    if not st.session_state.get(state.PROJECTOR_VIEW):
        return
    hide_sidebar()
    st.html(_PROJECTOR_CSS)
    st.button(t("common.projector.leave"), key="leave_projector", on_click=_leave_projector, icon="↩️")
