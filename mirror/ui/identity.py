"""This visitor's person: their login's e-mail when Streamlit's authentication is set up and they are
logged in; otherwise the signed `?me=` token in the URL, kept there on every page.

Streamlit clears query parameters when the page changes, so the entrypoint puts the token back on
every run (`keep_identity`); a reload, on any page, then finds it.
"""

from __future__ import annotations

import streamlit as st

from mirror.services import people
from mirror.services.store import StoreError, database_url_from_env
from mirror.ui import state
from mirror.ui.store import get_store

QUERY_KEY = "me"


@st.cache_resource(show_spinner=False)
def _stored_key(url: str) -> str:
    # Raises rather than returning None: a failure is not cached, so the key is found once the database is back.
    store = get_store(quiet=True)
    if store is None:
        raise StoreError("the database is unavailable")
    return store.secret(people.SECRET_NAME)


def _key() -> str | None:
    """MIRROR_SECRET_KEY, else the database's key (the database is not asked when the environment has one)."""
    from_env = people.signing_key(None)
    if from_env is not None:
        return from_env
    try:
        return _stored_key(database_url_from_env())
    except StoreError:
        return None


def logged_in_email() -> str | None:
    """The e-mail of a user logged in through `st.login`, else None."""
    user = st.user
    email = user.get("email") if user.get("is_logged_in") else None
    return str(email) if email else None


def auth_configured() -> bool:
    """Whether the deployment's secrets set up `st.login` (an `[auth]` section)."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def current_person() -> str:
    """This visitor's person id: their login's, else this session's, else a valid token's in the URL, else new."""
    email = logged_in_email()
    if email is not None:
        st.session_state[state.PERSON] = people.person_for_email(email)
        return st.session_state[state.PERSON]
    person = st.session_state.get(state.PERSON)
    if person is None:
        key = _key()
        person = (people.verify(st.query_params.get(QUERY_KEY), key) if key else None) or people.new_person_id()
        st.session_state[state.PERSON] = person
    return person


def keep_identity() -> None:
    """Put this person's token in the URL (when there is a key to sign it), so a reload keeps them."""
    person = current_person()
    if logged_in_email() is not None:
        st.query_params.pop(QUERY_KEY, None)  # the login says who this is; a token would only leak
        return
    key = _key()
    if key is None:
        return  # no database and no MIRROR_SECRET_KEY: the identity lasts as long as the session
    token = people.sign(person, key)
    if st.query_params.get(QUERY_KEY) != token:
        st.query_params[QUERY_KEY] = token
