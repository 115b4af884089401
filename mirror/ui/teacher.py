"""The Teacher page: the passcode, then everybody's saved work and feedback, their CSV, and clearing them."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys

import pandas as pd
import streamlit as st

from mirror.i18n import current_language, fmt_date, fmt_int, t
from mirror.i18n.language import Language
from mirror.services.store import StoreError
from mirror.services.teacher import PasscodeRefused, TeacherPasscode, check_passcode, one_time_passcode
from mirror.ui import state
from mirror.services import people
from mirror.ui.identity import auth_configured, current_person, logged_in_email
from mirror.ui.store import get_store
from mirror.ui.tables import show_table
from mirror.ui.class_record_view import rounds_tab

PASSCODE_ENV = "MIRROR_TEACHER_PASSCODE"
TEACHERS_ENV = "MIRROR_TEACHERS"


@st.cache_resource(show_spinner=False)
def _passcode(fingerprint: str) -> TeacherPasscode:
    # Keyed by a fingerprint, so the cache never holds the passcode's text; hashed once per process.
    return TeacherPasscode.of(os.environ[PASSCODE_ENV])


@st.cache_resource(show_spinner=False)
def server_passcode() -> TeacherPasscode:
    """The passcode this server made for itself, printed once in its terminal (only who started it sees
    that); the process keeps its hash only."""
    text = one_time_passcode()
    banner = "=" * 72
    print(f"\n{banner}\n  Magic Mirror: the teacher passcode of this server is  {text}\n"
          f"  Type it on the Teacher page to be the teacher. It changes every time the server starts;\n"
          f"  set {PASSCODE_ENV} to choose your own.\n{banner}\n", file=sys.stderr, flush=True)
    return TeacherPasscode.of(text)


def _configured() -> TeacherPasscode | None:
    """The deployment's passcode; else the one-time one, unless teachers log in with Streamlit's login."""
    text = os.environ.get(PASSCODE_ENV, "")
    if text:
        return _passcode(hashlib.sha256(text.encode()).hexdigest())
    if os.environ.get(TEACHERS_ENV, "").strip() and auth_configured():
        return None
    return server_passcode()


def uses_one_time_passcode() -> bool:
    return not os.environ.get(PASSCODE_ENV, "") and _configured() is not None


def announce_passcode() -> None:
    """Make (and print) the one-time passcode at the server's first page run, not at the teacher's first
    visit: `make run` opens a browser at once, so the terminal shows it right after the start."""
    _configured()



def is_teacher() -> bool:
    """The passcode was given in this session, or the logged-in user's e-mail is in MIRROR_TEACHERS."""
    email = logged_in_email()
    return bool(st.session_state.get(state.TEACHER)) or (
        email is not None and email.lower() in people.teacher_emails(os.environ.get(TEACHERS_ENV)))


def teacher_page() -> None:
    if is_teacher():
        _teacher_view()
        return
    if auth_configured() and logged_in_email() is None:
        st.button(t("classroom.teacher.log_in"), on_click=st.login, type="primary",
                  help=t("classroom.teacher.log_in_help", env=TEACHERS_ENV))
    expected = _configured()
    if expected is None:
        st.info(t("classroom.teacher.no_passcode", env=PASSCODE_ENV, teachers=TEACHERS_ENV))
        return
    _sign_in(expected)


def _sign_in(expected: TeacherPasscode) -> None:
    st.caption(t("classroom.teacher.intro"))
    if uses_one_time_passcode():
        st.info(t("classroom.teacher.one_time", env=PASSCODE_ENV))
    with st.form("teacher_sign_in"):
        attempt = st.text_input(t("classroom.teacher.passcode"), type="password", key=state.TEACHER_ATTEMPT)
        sent = st.form_submit_button(t("classroom.teacher.sign_in"), type="primary")
    if not sent:
        return
    store = get_store()
    if store is None:
        return
    try:
        check_passcode(store, expected, attempt or "", current_person())
    except PasscodeRefused as refused:
        st.error(str(refused))
        return
    except StoreError as error:
        st.error(t("classroom.teacher.cannot_check", error=error))
        return
    st.session_state[state.TEACHER] = True
    st.rerun()


def _clear(confirmed_key: str, class_code: str | None) -> None:
    # A callback runs before the entrypoint sets the run's language: the notice is kept as a key and its
    # fields, and written in the visitor's language when the page shows it.
    store = get_store()
    # Checked again here: a callback is server code and must not trust how it was reached.
    if store is None or not is_teacher() or not st.session_state.get(confirmed_key):
        st.session_state[state.TEACHER_NOTICE] = ("warning", "classroom.teacher.tick_first", {})
        return
    try:
        store.clear(class_code)
        st.session_state[state.TEACHER_NOTICE] = ("success", "classroom.teacher.deleted", {"class_code": class_code})
    except StoreError as error:
        st.session_state[state.TEACHER_NOTICE] = ("error", "classroom.teacher.not_deleted", {"error": str(error)})


def _notice(key: str, fields: dict[str, object]) -> str:
    """A notice kept by `_clear`, in the current language (a class code becomes the deletion's scope)."""
    if "class_code" in fields:
        fields = {"scope": _scope(fields["class_code"])}  # type: ignore[arg-type]
    return t(key, **fields)


def _teacher_view() -> None:
    store = get_store()
    if store is None:
        return
    kind, key, fields = st.session_state.pop(state.TEACHER_NOTICE, (None, "", {}))
    if kind:
        getattr(st, kind)(_notice(key, fields))
    if st.session_state.get(state.TEACHER) and st.button(t("classroom.teacher.sign_out")):
        st.session_state.pop(state.TEACHER, None)
        st.rerun()
    try:
        classes = [c.code for c in store.classes.recent_classes()]
        class_code = st.selectbox(t("classroom.teacher.class"), [None, *classes],
                                  format_func=_option_labeller(), key=state.TEACHER_CLASS)
        items, feedback = store.everyones_items(class_code=class_code), store.everyones_feedback(class_code=class_code)
        names = store.classes.names()
    except StoreError as error:
        st.error(str(error))
        return
    saved_tab, feedback_tab, rounds, clear_tab = st.tabs([
        t("classroom.teacher.tab.saved", count=fmt_int(len(items))),
        t("classroom.teacher.tab.feedback", count=fmt_int(len(feedback))),
        t("classroom.teacher.tab.rounds"), t("classroom.teacher.tab.clear")])
    with saved_tab:
        st.download_button(t("classroom.teacher.saved_csv"), store.everyones_csv("items", class_code),
                           file_name="saved-work.csv", mime="text/csv")
        show_table(_table([{"who": names.get(i.owner, i.owner), "class": i.class_code, "title": i.title,
                            "saved": _when(i.created_at), "text": i.text, "model": i.model} for i in items],
                          ("who", "class", "title", "saved", "text", "model")), hide_index=True)
    with feedback_tab:
        st.download_button(t("classroom.teacher.feedback_csv"), store.everyones_csv("feedback", class_code),
                           file_name="feedback.csv", mime="text/csv")
        show_table(_table([{"who": names.get(f.owner, f.owner), "class": f.class_code,
                            "score": "👍" if f.score else "👎", "comment": f.comment, "prompt": f.prompt,
                            "reply": f.reply} for f in feedback],
                          ("who", "class", "score", "comment", "prompt", "reply")), hide_index=True)
    with rounds:
        rounds_tab(class_code, is_teacher())
    with clear_tab:
        st.checkbox(t("classroom.teacher.confirm", scope=_scope(class_code)), key=state.TEACHER_CONFIRM)
        st.button(t("classroom.teacher.delete"), on_click=_clear, args=(state.TEACHER_CONFIRM, class_code))


def _table(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows under their columns' names in the current language (the columns stay when there are no rows)."""
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.rename(columns={name: t(f"classroom.teacher.column.{name}") for name in columns})


def _when(stamp: str) -> str:
    """A stored ISO time (UTC) as the language writes a date, with the time of day."""
    try:
        return fmt_date(dt.datetime.fromisoformat(stamp), with_time=True)
    except ValueError:
        return stamp[:16].replace("T", " ")


def _scope(class_code: str | None, language: Language | None = None) -> str:
    """What a deletion covers, as "the saved texts and feedback of {scope}" reads it (Russian: the genitive)."""
    if class_code:
        return t("classroom.teacher.scope.class", language, code=class_code)
    return t("classroom.teacher.scope.all", language)


def _option_labeller():
    """The class selector's format_func: fixes the language now (Streamlit may call it on another thread)."""
    language = current_language()

    def label(class_code: str | None) -> str:
        if class_code:
            return t("classroom.teacher.option.class", language, code=class_code)
        return t("classroom.teacher.option.all", language)

    return label
