"""This browser's person: read from the signed `?me=` token in the URL, kept there on every page.

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
def _stored_key(url: str) -> str | None:
    store = get_store(quiet=True)
    try:
        return store.secret(people.SECRET_NAME) if store is not None else None
    except StoreError:
        return None


def _key() -> str | None:
    return people.signing_key(_stored_key(database_url_from_env()))


def current_person() -> str:
    """This visitor's person id: from this session, else from a valid token in the URL, else a new one."""
    person = st.session_state.get(state.PERSON)
    if person is None:
        key = _key()
        person = (people.verify(st.query_params.get(QUERY_KEY), key) if key else None) or people.new_person_id()
        st.session_state[state.PERSON] = person
    return person


def keep_identity() -> None:
    """Put this person's token in the URL (when there is a key to sign it), so a reload keeps them."""
    person, key = current_person(), _key()
    if key is None:
        return  # no database and no MIRROR_SECRET_KEY: the identity lasts as long as the session
    token = people.sign(person, key)
    if st.query_params.get(QUERY_KEY) != token:
        st.query_params[QUERY_KEY] = token
