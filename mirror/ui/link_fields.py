"""Which part of each page a lesson link carries, and how opening the link puts it back.

A field reads the page's current value (None: nothing to carry) and applies a value from a link,
before the page's widgets are drawn and after the link's language is set (tab names are translated).
A value that cannot be applied raises ValueError and is named to the visitor (a text too long for a
link is already dropped by `mirror.services.lesson_links.read_view`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from mirror.config import MAX_MESSAGE_CHARS
from mirror.i18n import t
from mirror.services.conversation import check_user_message
from mirror.services.explorer import TOP_N_RANGE
from mirror.services.lesson_links import read_written, write_written, written_of
from mirror.ui import state
from mirror.ui.chat import conversation
from mirror.ui.explorer import page as explorer_page
from mirror.ui.explorer.kept import KEPT
from mirror.ui.inside import page as inside_page


@dataclass(frozen=True)
class LinkField:
    query: str
    read: Callable[[], str | None]  # the page's value now, as link text
    apply: Callable[[str], None]  # the link's text back into the page's state (ValueError: cannot)
    name: Callable[[], str] | None = None  # what the visitor calls it, when a link has to leave it out

    def shown_name(self) -> str:
        return self.name() if self.name is not None else self.query


def _whole(value: str, low: int = 0, high: int = 2**31 - 1) -> int:
    number = int(value)
    if not low <= number <= high:
        raise ValueError(value)
    return number


def _flag(value: str) -> bool:
    if value not in {"0", "1"}:
        raise ValueError(value)
    return value == "1"


def _as_text(value: Any) -> str | None:
    return None if value is None else str(int(value)) if isinstance(value, bool) else str(value)


def _value(query: str, get: Callable[[], Any], put: Callable[[Any], None], cast: Callable[[str], Any]) -> LinkField:
    """A field that is one value the page keeps: read with `get`, restored with `put` after `cast`."""
    return LinkField(query, lambda: _as_text(get()), lambda text: put(cast(text)))


def _kept(name: str, cast: Callable[[str], Any] = str, query: str | None = None) -> LinkField:
    """A field of the explorer's kept widgets."""
    return _value(query or name, lambda: KEPT.value(name), lambda value: KEPT.set(name, value), cast)


def _tab(query: str, key: str, names: tuple[str, ...], labels: Callable[[], tuple[str, ...] | list[str]]) -> LinkField:
    """An open lazy tab, carried by its stable name (its label is in the visitor's language)."""
    def read() -> str | None:
        label = st.session_state.get(key)
        shown = list(labels())
        return names[shown.index(label)] if label in shown else None

    def apply(name: str) -> None:
        if name not in names:
            raise ValueError(name)
        st.session_state[key] = list(labels())[names.index(name)]
    return LinkField(query, read, apply)


# --- Chat: the visitor's questions, asked again in turn on opening (with a fixed seed, the same replies) --
LINK_QUESTIONS = 6  # the first questions of a conversation a link carries (each means a reply on opening)


def _question(number: int) -> LinkField:
    """The conversation's question `number` (from 0) as ask, ask2, ask3, ...

    The first is asked at once, and only into an empty conversation (never into one the visitor already
    has); the later ones wait in line, and the chat page asks each once the reply before it is written.
    """
    def read() -> str | None:
        questions = [turn.content for turn in conversation().turns if turn.role == "user"]
        return questions[number] if number < len(questions) else None

    def apply(text: str) -> None:
        message = check_user_message(text, MAX_MESSAGE_CHARS)
        chat = conversation()
        if number == 0:
            if not chat.turns:
                chat.add_user(message)
                st.session_state[state.LINK_QUESTIONS] = []
        elif state.LINK_QUESTIONS in st.session_state:
            st.session_state[state.LINK_QUESTIONS].append(message)
    return LinkField("ask" if number == 0 else f"ask{number + 1}", read, apply,
                     lambda: t("common.link.field.question", number=number + 1))


# --- Token Inspector: the inspected text, the chosen token, the colouring and the table view -----------
def _inspected() -> str | None:
    current = st.session_state.get(state.INSPECTOR_CURRENT)
    return current["text"] if current else None


def _inspect(text: str) -> None:
    state.hand_to_inspector(state.InspectorSource(text=text))


def _written() -> str | None:
    """How the inspected text was written, when the mirror wrote it (a chat reply, an explorer text, a fork)."""
    current = st.session_state.get(state.INSPECTOR_CURRENT)
    if not current:
        return None
    written = written_of(current.get("origin"), current.get("seed"), current["ids"], current["context"],
                         current.get("sampler_probs"))
    return None if written is None else write_written(written)


def _rewrite(text: str) -> None:
    """The link's text is scored as it was written: its own tokens, after its prompt (checked against the
    model's vocabulary when the inspector takes it)."""
    written = read_written(text)
    source = state.peek_inspector_source()
    if source is None:  # the link lost its text
        raise ValueError(text)
    state.hand_to_inspector(replace(source, origin=written.origin, seed=written.seed, token_ids=list(written.token_ids),
                                    context_ids=list(written.context_ids),
                                    sampler_probs=list(written.sampler_probs) or None))


# --- Inside the Mirror: the text, the position, the block, head and layer, the open tab ----------------
def _inside_text() -> str | None:
    current = st.session_state.get(state.INSIDE_CURRENT)
    return current["text"] if current and current.get("origin") == "paste" else None


def _look_at(text: str) -> None:
    st.session_state[state.INSIDE_TEXT] = text
    st.session_state[state.INSIDE_CURRENT] = {"text": text, "origin": "paste", "chat": False}


def _inside_value(name: str) -> LinkField:
    return _value(name, lambda: state.INSIDE_VALUES.value(name), lambda value: state.INSIDE_VALUES.set(name, value),
                  _whole)


def _session_value(query: str, key: str, cast: Callable[[str], Any]) -> LinkField:
    return _value(query, lambda: st.session_state.get(key), lambda value: st.session_state.__setitem__(key, value),
                  cast)


def _mode(text: str) -> str:
    if text not in {"rank", "prob"}:
        raise ValueError(text)
    return text


def _the_text() -> str:
    return t("common.link.field.text")


PAGE_FIELDS: dict[str, tuple[LinkField, ...]] = {
    "chat": tuple(_question(number) for number in range(LINK_QUESTIONS)),
    "explorer": (replace(_kept("prompt"), name=_the_text), _kept("chat", _flag), _kept("seed", _whole, "page_seed"),  # the page's own seed, not the sidebar's
                 _kept("top_n", lambda v: _whole(v, *TOP_N_RANGE)), _kept("tokens", lambda v: _whole(v, 4, 256)),
                 _tab("tab", state.EXPLORER_TAB, explorer_page.TAB_NAMES, explorer_page.tab_labels)),
    # "written" comes last: the longest, it is the first a link too long for web servers leaves out.
    "inspector": (LinkField("text", _inspected, _inspect, _the_text),
                  _session_value("token", state.INSPECTOR_SELECTED, _whole),
                  _session_value("mode", "insp_mode", _mode),
                  _session_value("table", "insp_table_view", _flag),
                  LinkField("written", _written, _rewrite, lambda: t("common.link.field.written"))),
    "inside": (LinkField("text", _inside_text, _look_at, _the_text), _inside_value("position"), _inside_value("block"),
               _inside_value("head"), _inside_value("layer"),
               _tab("tab", "inside_tab", inside_page.TAB_KEYS, inside_page.tab_labels)),
}
