"""The Teacher page: the passcode, then everybody's saved work and feedback, their CSV, and clearing them."""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import streamlit as st

from mirror.services.store import StoreError
from mirror.services.teacher import PasscodeRefused, TeacherPasscode, check_passcode
from mirror.ui import state
from mirror.services import people
from mirror.ui.identity import auth_configured, current_person, logged_in_email
from mirror.ui.store import get_store

PASSCODE_ENV = "MIRROR_TEACHER_PASSCODE"


@st.cache_resource(show_spinner=False)
def _passcode(fingerprint: str) -> TeacherPasscode:
    # Keyed by a fingerprint, so the cache never holds the passcode's text; hashed once per process.
    return TeacherPasscode.of(os.environ[PASSCODE_ENV])


def _configured() -> TeacherPasscode | None:
    text = os.environ.get(PASSCODE_ENV, "")
    return _passcode(hashlib.sha256(text.encode()).hexdigest()) if text else None


TEACHERS_ENV = "MIRROR_TEACHERS"


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
        st.button("Log in", on_click=st.login, type="primary",
                  help=f"Teachers whose e-mail is in {TEACHERS_ENV} see this page after logging in.")
    expected = _configured()
    if expected is None:
        st.info(f"No teacher passcode is set on this server. Whoever runs it sets `{PASSCODE_ENV}` in "
                "`.streamlit/secrets.toml` (or the environment); then this page asks for it. With Streamlit's "
                f"login set up, teachers' e-mails listed in `{TEACHERS_ENV}` need no passcode.")
        return
    _sign_in(expected)


def _sign_in(expected: TeacherPasscode) -> None:
    st.caption("Teachers see everybody's saved work and feedback here. Students: this page is not for you; "
               "your own saved texts are under Chat → Saved.")
    with st.form("teacher_sign_in"):
        attempt = st.text_input("Teacher passcode", type="password", key=state.TEACHER_ATTEMPT)
        sent = st.form_submit_button("Sign in", type="primary")
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
        st.error(f"Cannot check the passcode now: {error}")
        return
    st.session_state[state.TEACHER] = True
    st.rerun()


def _clear(confirmed_key: str, class_code: str | None) -> None:
    store = get_store()
    # Checked again here: a callback is server code and must not trust how it was reached.
    if store is None or not is_teacher() or not st.session_state.get(confirmed_key):
        st.session_state[state.TEACHER_NOTICE] = ("warning", "Tick the box first: nothing was deleted.")
        return
    try:
        store.clear(class_code)
        st.session_state[state.TEACHER_NOTICE] = (
            "success", f"The saved texts and feedback of {_scope(class_code)} are deleted.")
    except StoreError as error:
        st.session_state[state.TEACHER_NOTICE] = ("error", f"Nothing deleted: {error}")


def _teacher_view() -> None:
    store = get_store()
    if store is None:
        return
    kind, text = st.session_state.pop(state.TEACHER_NOTICE, (None, ""))
    if kind:
        getattr(st, kind)(text)
    if st.session_state.get(state.TEACHER) and st.button("Sign out"):
        st.session_state.pop(state.TEACHER, None)
        st.rerun()
    try:
        classes = [c.code for c in store.classes.recent_classes()]
        class_code = st.selectbox("Class", [None, *classes], format_func=lambda c: _scope(c).capitalize(),
                                  key=state.TEACHER_CLASS)
        items, feedback = store.everyones_items(class_code=class_code), store.everyones_feedback(class_code=class_code)
        names = store.classes.names()
    except StoreError as error:
        st.error(str(error))
        return
    saved_tab, feedback_tab, clear_tab = st.tabs([f"📚 Saved work ({len(items)})", f"👍 Feedback ({len(feedback)})",
                                                  "🧹 Clear"])
    with saved_tab:
        st.download_button("⬇️ This saved work as CSV", store.everyones_csv("items", class_code),
                           file_name="saved-work.csv", mime="text/csv")
        st.dataframe(pd.DataFrame([{"who": names.get(i.owner, i.owner), "class": i.class_code, "title": i.title,
                                    "saved": i.created_at[:16].replace("T", " "), "text": i.text, "model": i.model}
                                   for i in items]), hide_index=True)
    with feedback_tab:
        st.download_button("⬇️ This feedback as CSV", store.everyones_csv("feedback", class_code),
                           file_name="feedback.csv", mime="text/csv")
        st.dataframe(pd.DataFrame([{"who": names.get(f.owner, f.owner), "class": f.class_code,
                                    "score": "👍" if f.score else "👎", "comment": f.comment, "prompt": f.prompt,
                                    "reply": f.reply} for f in feedback]), hide_index=True)
    with clear_tab:
        st.checkbox(f"Yes, delete the saved texts and feedback of {_scope(class_code)}", key=state.TEACHER_CONFIRM)
        st.button("Delete them", on_click=_clear, args=(state.TEACHER_CONFIRM, class_code))


def _scope(class_code: str | None) -> str:
    return f"class {class_code}" if class_code else "every class (and from before classes)"
