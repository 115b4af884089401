"""Session state, named once: every key the pages read or write through `st.session_state`.

A widget key that only identifies a widget (never read back) stays beside its widget. Also here: what
another page hands to the Token Inspector (`InspectorSource`) and `KeptValues`, which keeps widget
values across page switches and lazy tabs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from mirror.services.prompts import Message
from mirror.ui.steps import ReplyStep

# --- every page ---------------------------------------------------------------------------------------
CONTROLS = "mirror_controls"  # the sidebar's values (see KeptValues)
SESSION_ID = "mirror_session_id"
MODEL_CHOSEN = "model_chosen"  # True once the visitor picked a model: it no longer follows the language
TEACHER = "mirror_teacher"  # True once this session gave the teacher passcode
TEACHER_ATTEMPT = "teacher_attempt"
TEACHER_NOTICE = "teacher_notice"
TEACHER_CONFIRM = "teacher_confirm_clear"
TEACHER_CLASS = "teacher_class"  # the class the Teacher page shows (None: all)
CLASS_GUESS = "class_guess"
PROJECTOR_PROMPT = "projector_prompt"
PROJECTOR_NOTICE = "projector_notice"
PROJECTOR_GAME = "projector_game"  # the game the next round plays
PERSON = "mirror_person"  # this visitor's person id (mirror.ui.identity), the owner of what they save
FRAME = "mirror_frame"  # this run's model and parameters, set by the entrypoint for the page it runs
PROJECTOR_VIEW = "mirror_projector_view"  # True: larger type and no sidebar (mirror.ui.links)
LINK_APPLIED = "mirror_link_applied"  # the lesson links this session applied (each applied once)
LINK_PROBLEMS = "mirror_link_problems"  # what that link could not restore, shown once
LINK_NOTICE_MODEL = "mirror_link_model"  # a model the link asked for that the deployment does not offer
LINK_QUESTIONS = "mirror_link_questions"  # a chat link's later questions, each asked once the reply before it is written
LANGUAGE = "mirror_language"  # the language this visitor chose with the sidebar switch (mirror.ui.language)
LANGUAGE_NOW = "mirror_language_now"  # the language of this visitor's last run: what every text is drawn in

# --- home ---------------------------------------------------------------------------------------------
HOME_ANSWER = "home_last_answer"  # (question, answer, caption) of the last "Ask the mirror"

# --- chat ---------------------------------------------------------------------------------------------
CONVERSATION = "mirror_conversation"
CHAT_VIEW = "chat_view"  # Conversation, Compose or Saved
CHAT_BOX = "chat_box"
CHAT_NOTICE = "chat_notice"  # (kind, text, kept text) shown once on the next run
CHAT_EDITING = "chat_editing"
EDIT_BOX = "edit_box"
IMPORT_FILE = "import_file"
CHAT_GO_TO = "chat_go_to"  # set by a callback: the page (Inspector, Inside) to switch to in the script run
DRAFT = "compose_draft"  # where the draft came from: prompt, model, params, seed, saved item id
DRAFT_TITLE = "draft_title"
DRAFT_TEXT = "draft_text"


@dataclass(frozen=True)
class FeedbackKeys:
    """The keys of one reply's feedback widgets and of the message under them."""

    score: str
    comment: str
    send: str
    message: str

    @classmethod
    def of(cls, turn_id: str) -> FeedbackKeys:
        return cls(f"fb_{turn_id}", f"fbc_{turn_id}", f"fbs_{turn_id}", f"fbmsg_{turn_id}")


# --- parameter explorer -------------------------------------------------------------------------------
EXPLORER_KEPT = "explorer_saved"  # the explorer's widget values (see KeptValues)
EXPLORER_PREFIX = "explorer_"  # of the explorer's kept widgets' keys
EXPLORER_TAB = "explorer_tab"
EXPLORER_LAST_TABLE = "explorer_last_table"  # the stage table the charts show
EXPLORER_SIDE_BY_SIDE = "explorer_sbs_results"
EXPLORER_GRID = "explorer_grid_runs"
EXPLORER_WALK = "explorer_walk"
EXPLORER_GO_INSPECT = "explorer_go_inspect"

# --- token inspector ----------------------------------------------------------------------------------
INSPECTOR_SOURCE = "inspector_source"  # an InspectorSource, taken once by the inspector
INSPECTOR_CURRENT = "inspector_current"  # the text being inspected, its ids, context and origin
INSPECTOR_TEXT = "insp_text"
INSPECTOR_TEXT_NEXT = "insp_text_next"  # the text box's next value (the box exists already this run)
INSPECTOR_NOTICE = "insp_notice"
INSPECTOR_SELECTED = "insp_selected"
INSPECTOR_GO_INSIDE = "insp_go_inside"  # set by a callback: switch to Inside the Mirror in the script run

Origin = Literal["chat", "explorer", "fork", "paste"]


@dataclass(frozen=True)
class InspectorSource:
    """A text another page hands to the Token Inspector, with what is known about how it was written.

    The inspector scores `token_ids` after the prompt the text answered (`context_ids`, or the prompt
    `context_messages` make), so its raw probabilities are the ones the model had while writing.
    """

    text: str
    origin: Origin = "paste"  # which page wrote it
    token_ids: list[int] | None = None  # the text's own tokens; None: the inspector tokenizes `text`
    sampler_probs: list[float | None] | None = None  # per token, under the sampler's final distribution
    context_ids: list[int] | None = None  # the prompt it continued, as token ids
    context_messages: tuple[Message, ...] = ()  # or the conversation it answered
    params: dict[str, Any] | None = None  # the sampling parameters it was written with
    seed: int | None = None
    model: str | None = None
    steps: tuple[ReplyStep, ...] = ()  # a chat reply's steps: all a remote server reports


def hand_to_inspector(source: InspectorSource) -> None:
    st.session_state[INSPECTOR_SOURCE] = source


def peek_inspector_source() -> InspectorSource | None:
    return st.session_state.get(INSPECTOR_SOURCE)


def take_inspector_source() -> InspectorSource | None:
    return st.session_state.pop(INSPECTOR_SOURCE, None)


# --- inside the mirror --------------------------------------------------------------------------------
INSIDE_SOURCE = "inside_source"  # an InsideSource, taken once by the Inside the Mirror page
INSIDE_CURRENT = "inside_current"  # the sequence being looked at: ids, where the text starts, origin
INSIDE_TEXT = "inside_text"
INSIDE_NOTICE = "inside_notice"
INSIDE_POSITION = "inside_position"
INSIDE_BLOCK = "inside_block"
INSIDE_HEAD = "inside_head"
INSIDE_LAYER = "inside_layer"
INSIDE_KEPT = "inside_kept"  # position, block, head and layer, kept across page switches (see INSIDE_VALUES)
INSIDE_TORCH_COPY = "inside_torch_copy"  # True: this visitor asked for the torch copy of native weights


@dataclass(frozen=True)
class InsideSource:
    """A token sequence another page hands to Inside the Mirror: exactly what the model was fed.

    `ids` is the whole sequence (a chat prompt with its template, then the reply; or the
    document-start token, then a text); `text_start` is where the handed text begins in it, and
    `position` the position to show first (the one that predicted the token the visitor picked).
    """

    ids: tuple[int, ...]
    text_start: int
    position: int
    origin: Origin
    label: str  # what it is, for the page's caption


def hand_inside(source: InsideSource) -> None:
    st.session_state[INSIDE_SOURCE] = source


def take_inside_source() -> InsideSource | None:
    return st.session_state.pop(INSIDE_SOURCE, None)


# --- widget values across page switches ---------------------------------------------------------------


class KeptValues:
    """Widget values that outlive their widgets.

    Streamlit forgets a widget's value when a run does not draw it (another page, a closed lazy tab),
    so each value is also kept in one plain session-state dict and a widget drawn again is seeded from it.
    """

    def __init__(self, store_key: str, prefix: str, defaults: Callable[[], dict[str, Any]] = dict) -> None:
        self.store_key = store_key
        self.prefix = prefix
        self.defaults = defaults

    def values(self) -> dict[str, Any]:
        if self.store_key not in st.session_state:
            st.session_state[self.store_key] = self.defaults()
        return st.session_state[self.store_key]

    def widget_key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def key(self, name: str, default: Any = None) -> str:
        """The widget key for `name`, seeded from the kept value when Streamlit forgot the widget.
        Otherwise the widget's own value wins, so quick successive changes never get an older kept
        value back."""
        key, kept = self.widget_key(name), self.values()
        if key not in st.session_state:
            st.session_state[key] = kept.get(name, default)
        else:
            kept[name] = st.session_state[key]
        return key

    def value(self, name: str, default: Any = None) -> Any:
        """The widget's value, or the kept one while the widget is not drawn."""
        return st.session_state.get(self.widget_key(name), self.values().get(name, default))

    def set(self, name: str, value: Any) -> None:
        """Change a value and its widget (in a callback, or before the widget is drawn)."""
        self.values()[name] = value
        st.session_state[self.widget_key(name)] = value

    def keep(self, name: str) -> None:
        """Keep the widget's current value (an on_change callback)."""
        self.values()[name] = st.session_state[self.widget_key(name)]

    def forget(self) -> None:
        st.session_state.pop(self.store_key, None)


# The Inside the Mirror widgets whose values outlive a visit to another page; their keys are the INSIDE_* above.
INSIDE_VALUES = KeptValues(INSIDE_KEPT, "inside_")
