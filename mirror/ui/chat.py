"""The chat page: conversation with streaming replies, actions, export/import, feedback, compose and saved work."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from mirror.config import MAX_MESSAGE_CHARS
from mirror.i18n import LANGUAGES, fmt_date, fmt_number, labeller, t, tn
from mirror.services.conversation import (Conversation, EmptyMessage, ReplyInfo, Turn, check_user_message,
                                          default_system_prompt, is_default_system_prompt)
from mirror.services.prompts import Message, context_ids
from mirror.models import LoadedModel
from mirror.services.remote import RemoteModel
from mirror.engine.request import FinishReason
from mirror.engine.sampling import SamplingParams
from mirror.services.store import StoreError
from mirror.text import escape_markdown
from mirror.ui import state
from mirror.ui.pages import INSIDE, INSPECTOR, switch_to
from mirror.ui.frame import current_frame
from mirror.ui.state import FeedbackKeys, InsideSource, InspectorSource
from mirror.ui.steps import read_steps, stored_step
from mirror.services import classroom
from mirror.ui.identity import current_person
from mirror.ui.store import get_store, session_id
from mirror.ui.streaming import start_reply, stream_into, summary_line

AVATARS = {"user": "🧑", "assistant": "🪞"}
# The views' values stay these English names (tests and callbacks set them); the control shows them translated.
VIEWS = ("💬 Conversation", "✍️ Compose", "📚 Saved")
VIEW_KEYS = dict(zip(VIEWS, ("chat.view.conversation", "chat.view.compose", "chat.view.saved")))
COMPOSE_PROMPT = "compose_prompt"
PERSONA_BOX = "persona_box"


def conversation() -> Conversation:
    if state.CONVERSATION not in st.session_state:
        st.session_state[state.CONVERSATION] = Conversation(system_prompt=default_system_prompt())
    return st.session_state[state.CONVERSATION]


def _notice(kind: str, text: str, keep: str | None = None) -> None:
    """A notice for the next run, kept already translated: callbacks speak the visitor's language too."""
    st.session_state[state.CHAT_NOTICE] = (kind, text, keep)


def _show_notice() -> None:
    notice = st.session_state.pop(state.CHAT_NOTICE, None)
    if notice is None:
        return
    kind, text, keep = notice
    getattr(st, kind)(text)
    if keep:
        st.text_area(t("chat.kept_message"), keep, height=150, key="kept_message")


# --- callbacks (they run before the script, so the page draws the new state at once) -----------------


def _ask_next_link_question(conv: Conversation) -> bool:
    """A lesson link's next question, asked once the reply before it is written. A stopped or failed reply
    ends the replay, and so does the visitor's own message."""
    waiting = st.session_state.get(state.LINK_QUESTIONS)
    if not waiting:
        return False
    last = conv.turns[-1] if conv.turns else None
    if last is None or last.reply is None or last.reply.stopped or last.reply.finish_reason == FinishReason.ERROR:
        st.session_state.pop(state.LINK_QUESTIONS, None)
        return False
    conv.add_user(waiting.pop(0))
    return True


def _submitted() -> None:
    st.session_state.pop(state.LINK_QUESTIONS, None)  # the visitor's own question ends a link's replay
    try:
        conversation().add_user(check_user_message(st.session_state.get(state.CHAT_BOX), MAX_MESSAGE_CHARS))
    except EmptyMessage as hint:
        _notice("info", str(hint))
    except ValueError as error:
        _notice("error", str(error), keep=st.session_state.get(state.CHAT_BOX))


def _regenerate() -> None:
    conversation().drop_last_reply()


def _clear() -> None:
    conversation().clear()
    st.session_state[state.CHAT_EDITING] = False


def _save_edit() -> None:
    try:
        conversation().edit_last_user(check_user_message(st.session_state.get(state.EDIT_BOX), MAX_MESSAGE_CHARS))
        st.session_state[state.CHAT_EDITING] = False
    except ValueError as error:  # the text stays in the edit box
        _notice("error" if not isinstance(error, EmptyMessage) else "info", str(error))


def _import(uploaded: Any) -> None:
    if uploaded is None:
        _notice("info", t("chat.import.choose"))
        return
    try:
        st.session_state[state.CONVERSATION] = Conversation.from_json(uploaded.getvalue())
        _notice("success", t("chat.import.done", name=uploaded.name))
    except ValueError as error:
        _notice("error", t("chat.import.failed", name=uploaded.name, error=error))


def _open_in_inspector(turn_id: str) -> None:
    conv = conversation()
    turn = conv.find(turn_id)
    if turn is None or turn.reply is None:
        return
    index = conv.turns.index(turn)
    steps = read_steps(turn.reply.steps)
    # The inspector scores the reply's own tokens in the context of the prompt it answered, so its raw
    # probabilities are the ones the model gave while writing; the sampler's are passed along.
    state.hand_to_inspector(InspectorSource(
        text=turn.content, origin="chat", token_ids=[s.token_id for s in steps if s.token_id is not None] or None,
        sampler_probs=[s.prob for s in steps] or None, context_messages=tuple(conv.messages(upto=index)),
        params=turn.reply.params, seed=turn.reply.seed, model=turn.reply.model, steps=tuple(steps),
    ))
    st.session_state[state.CHAT_GO_TO] = INSPECTOR


def _shortened(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def model_is_local() -> bool:
    return isinstance(current_frame()[0], LoadedModel)


def _open_inside(turn_id: str) -> None:
    """Hand a reply to Inside the Mirror as the model read it: the chat prompt with its template, then the reply."""
    conv = conversation()
    turn = conv.find(turn_id)
    lm, _ = current_frame()
    if turn is None or turn.reply is None or not isinstance(lm, LoadedModel):
        return
    reply_ids = [s.token_id for s in read_steps(turn.reply.steps) if s.token_id is not None] or lm.encode(turn.content)
    prompt = context_ids(lm, conv.messages(upto=conv.turns.index(turn)))
    state.hand_inside(InsideSource(ids=tuple(prompt + reply_ids), text_start=len(prompt), position=len(prompt) - 1,
                                   origin="chat", label=t("chat.inside_label", text=_shortened(turn.content, 60))))
    st.session_state[state.CHAT_GO_TO] = INSIDE


def _send_feedback(turn_id: str, model: str) -> None:
    conv = conversation()
    turn = conv.find(turn_id)
    keys = FeedbackKeys.of(turn_id)
    score = st.session_state.get(keys.score)
    if turn is None or turn.reply is None:
        return
    if score is None:
        st.session_state[keys.message] = ("warning", t("chat.feedback.pick"))
        return
    store = get_store()
    if store is None:
        st.session_state[keys.message] = ("error", t("chat.feedback.no_store"))
        return
    try:
        store.add_feedback(owner=current_person(), class_code=classroom.class_of(store, current_person()),
                           session_id=session_id(), model=turn.reply.model or model,
                           prompt=conv.prompt_before(turn_id), reply=turn.content, score=int(score),
                           params=turn.reply.params, seed=turn.reply.seed,
                           comment=(st.session_state.get(keys.comment) or "").strip() or None)
        st.session_state[keys.message] = ("success", t("chat.feedback.saved"))
    except StoreError as error:
        st.session_state[keys.message] = ("error", t("chat.feedback.failed", error=error))


# --- drawing -------------------------------------------------------------------------------------


def _reply_footer(turn: Turn, model: str) -> None:
    info = turn.reply
    assert info is not None
    st.caption(summary_line(info.tokens, info.tokens_per_second, info.time_to_first_token, info.seed,
                            info.finish_reason, info.queued_seconds, info.dropped_bytes))
    if info.dropped_turns:
        st.caption(tn("chat.dropped_turns", info.dropped_turns))
    with st.expander(t("chat.details")):
        st.json({"model": info.model, "seed": info.seed, **info.params, "prompt_tokens": info.prompt_tokens,
                 "finish_reason": info.finish_reason, "dropped_bytes": info.dropped_bytes})
        sampler = [s.prob for s in read_steps(info.steps) if s.prob is not None]
        if sampler:
            st.caption(t("chat.mean_sampler_prob", value=fmt_number(sum(sampler) / len(sampler), 2)))
    row = st.container(horizontal=True)
    row.button(t("chat.inspect"), key=f"inspect_{turn.id}", on_click=_open_in_inspector,
               args=(turn.id,), help=t("chat.inspect.help"))
    if model_is_local():
        row.button(t("chat.look_inside"), key=f"inside_{turn.id}", on_click=_open_inside, args=(turn.id,),
                   help=t("chat.look_inside.help"))
    keys = FeedbackKeys.of(turn.id)
    with row.popover(t("chat.rate")):
        st.feedback("thumbs", key=keys.score)
        st.text_input(t("chat.comment"), key=keys.comment, max_chars=2000)
        st.button(t("chat.send_feedback"), key=keys.send, on_click=_send_feedback, args=(turn.id, model))
    message = st.session_state.get(keys.message)
    if message:
        getattr(st, message[0])(message[1])


def _draw_turn(turn: Turn, model: str) -> None:
    with st.chat_message(turn.role, avatar=AVATARS[turn.role]):
        st.markdown(escape_markdown(turn.content) if turn.content else t("chat.no_text"))
        if turn.reply is not None:
            _reply_footer(turn, model)


def _stream_reply(lm: LoadedModel | RemoteModel, conv: Conversation, params: SamplingParams) -> None:
    started = start_reply(lm, conv.messages(), params)
    run = started.run
    info = ReplyInfo(model=lm.info.name, params={k: v for k, v in params.to_dict().items() if k != "seed"},
                     seed=run.seed, prompt_tokens=started.prompt_tokens, dropped_turns=started.dropped_turns)
    turn = conv.add_reply(info)

    def keep(step: Any) -> None:  # the reply lives in the session from the first token on
        turn.content += step.text
        info.steps.append(stored_step(step))

    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        placeholder = st.empty()
        try:
            stream_into(placeholder, run, keep)
        finally:
            # Also when Streamlit stops the script mid-stream: record what was produced, marked stopped.
            result = run.result()
            info.tokens, info.tokens_per_second = result.new_tokens, result.tokens_per_second
            info.time_to_first_token = result.time_to_first_token
            info.queued_seconds = getattr(result, "queued_seconds", 0.0)  # a remote server does not say
            info.finish_reason = str(result.finish_reason if run.finished else FinishReason.INTERRUPTED)
            info.dropped_bytes = result.dropped_bytes
    if info.finish_reason == FinishReason.ERROR:
        _notice("error", t("chat.reply_failed", error=run.result().error))
    st.rerun()  # draw the finished reply with its footer and actions


def _actions(conv: Conversation, model: str) -> None:
    if not conv.turns:
        return
    row = st.container(horizontal=True)  # buttons side by side at their natural width
    row.button(t("chat.regenerate"), on_click=_regenerate, disabled=conv.turns[-1].role != "assistant",
               help=t("chat.regenerate.help"))
    if row.button(t("chat.edit_last"), disabled=conv.last_user_index is None):
        st.session_state[state.CHAT_EDITING] = True
        st.session_state[state.EDIT_BOX] = conv.turns[conv.last_user_index].content
    row.button(t("chat.clear"), on_click=_clear)
    row.download_button(t("chat.download.markdown"), conv.to_markdown(model), file_name="magic-mirror-chat.md",
                        mime="text/markdown")
    row.download_button(t("chat.download.json"), conv.to_json(model), file_name="magic-mirror-chat.json",
                        mime="application/json", help=t("chat.download.json.help"))
    if st.session_state.get(state.CHAT_EDITING) and conv.last_user_index is not None:
        with st.form("edit_form"):
            st.text_area(t("chat.edit.box"), key=state.EDIT_BOX, height=120)
            st.form_submit_button(t("chat.edit.send"), on_click=_save_edit, type="primary")


def _persona_edited() -> None:
    conversation().system_prompt = st.session_state.get(PERSONA_BOX) or ""


def _persona(conv: Conversation) -> None:
    # Untouched instructions follow the language of the page; the box always shows the conversation's own
    # (an imported conversation brings its instructions along).
    if is_default_system_prompt(conv.system_prompt):
        conv.system_prompt = default_system_prompt()
    st.session_state[PERSONA_BOX] = conv.system_prompt
    with st.expander(t("chat.persona")):
        st.text_area(t("chat.persona.box"), height=90, key=PERSONA_BOX, on_change=_persona_edited)


def _import_box() -> None:
    with st.expander(t("chat.import")):
        st.file_uploader(t("chat.import.file"), type=["json"], key=state.IMPORT_FILE)
        st.button(t("chat.import.restore"), on_click=lambda: _import(st.session_state.get(state.IMPORT_FILE)))


def conversation_view(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    # First, so that the input exists even when the user stops a streaming reply (a stopped script run
    # never reaches its later lines); Streamlit pins it to the bottom of the page wherever it is called.
    st.chat_input(t("chat.input.placeholder"), key=state.CHAT_BOX, on_submit=_submitted, submit_mode="stop")
    conv = conversation()
    _persona(conv)
    _show_notice()
    if not conv.turns:
        st.caption(t("chat.empty_chat"))
    for turn in conv.turns:
        if not (turn is conv.turns[-1] and conv.needs_reply()):
            _draw_turn(turn, lm.info.name)
    if conv.needs_reply():
        _draw_turn(conv.turns[-1], lm.info.name)
        _stream_reply(lm, conv, params)
    elif _ask_next_link_question(conv):
        st.rerun()
    _actions(conv, lm.info.name)
    _import_box()
    go_to = st.session_state.pop(state.CHAT_GO_TO, None)
    if go_to is not None:
        switch_to(go_to)


# --- compose and saved work ----------------------------------------------------------------------


def _save_draft(lm_name: str) -> None:
    draft = st.session_state.get(state.DRAFT) or {}
    title, text = st.session_state.get(state.DRAFT_TITLE, ""), st.session_state.get(state.DRAFT_TEXT, "")
    store = get_store()
    if store is None:
        _notice("error", t("chat.compose.no_store"))
        return
    try:
        if draft.get("item_id"):
            store.update_item(draft["item_id"], owner=current_person(), title=title, text=text)
            _notice("success", t("chat.compose.updated", title=title.strip()))
        else:
            draft["item_id"] = store.save_item(owner=current_person(), class_code=classroom.class_of(store, current_person()),
                                               title=title, text=text, prompt=draft.get("prompt", ""),
                                               model=draft.get("model", lm_name), params=draft.get("params"),
                                               seed=draft.get("seed"), session_id=session_id())
            st.session_state[state.DRAFT] = draft
            _notice("success", t("chat.compose.saved", title=title.strip()))
    except (StoreError, ValueError) as error:
        _notice("error", t("chat.compose.failed", error=error))


def _open_item(item_id: int) -> None:
    store = get_store()
    try:
        item = store.get_item(item_id, owner=current_person()) if store else None
    except StoreError as error:
        _notice("error", str(error))
        return
    if item is not None:
        st.session_state[state.DRAFT] = {"item_id": item.id, "prompt": item.prompt, "model": item.model,
                                       "params": item.params, "seed": item.seed}
        st.session_state[state.DRAFT_TITLE], st.session_state[state.DRAFT_TEXT] = item.title, item.text
        st.session_state[state.CHAT_VIEW] = VIEWS[1]


def _delete_item(item_id: int) -> None:
    store = get_store()
    try:
        if store:
            store.delete_item(item_id, owner=current_person())
            _notice("success", t("chat.saved.deleted"))
    except StoreError as error:
        _notice("error", str(error))


def compose_view(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    _show_notice()
    st.caption(t("chat.compose.intro"))
    example_follows_the_language(COMPOSE_PROMPT, "chat.compose.example")
    prompt = st.text_area(t("chat.compose.prompt"), key=COMPOSE_PROMPT, height=80)
    if st.button(t("chat.compose.write"), type="primary"):
        try:
            check_user_message(prompt, MAX_MESSAGE_CHARS)
        except ValueError as error:
            st.info(str(error)) if isinstance(error, EmptyMessage) else st.error(str(error))
            return
        result = stream_into(st.empty(), start_reply(lm, [Message("user", prompt)], params).run)
        st.session_state[state.DRAFT] = {"prompt": prompt, "model": lm.info.name, "seed": result.seed,
                                       "params": {k: v for k, v in params.to_dict().items() if k != "seed"}}
        st.session_state[state.DRAFT_TEXT] = result.text
        st.session_state.setdefault(state.DRAFT_TITLE, prompt.strip().splitlines()[0][:80])
        st.rerun()
    draft = st.session_state.get(state.DRAFT)
    if draft is None:
        return
    with st.form("draft_form"):
        label = t("chat.compose.editing_saved") if draft.get("item_id") else t("chat.compose.edit_before")
        st.text_input(t("chat.compose.title"), key=state.DRAFT_TITLE, max_chars=200)
        st.text_area(label, key=state.DRAFT_TEXT, height=240)
        st.caption(t("chat.compose.written_by", model=draft.get("model"), seed=draft.get("seed")))
        st.form_submit_button(t("chat.compose.save"), on_click=_save_draft, args=(lm.info.name,), type="primary")


def saved_view() -> None:
    _show_notice()
    store = get_store()
    if store is None:
        return
    try:
        items = store.list_items(owner=current_person())
    except StoreError as error:
        st.error(str(error))
        return
    if not items:
        st.caption(t("chat.saved.none"))
        return
    st.caption(t("chat.saved.private"))
    st.download_button(t("chat.saved.csv"), store.items_csv(owner=current_person()),
                       file_name="magic-mirror-saved.csv", mime="text/csv")
    for item in items:
        with st.expander(t("chat.saved.item", title=item.title, when=_when(item.created_at))):
            st.markdown(escape_markdown(item.text))
            st.caption(t("chat.saved.meta", model=item.model or "?", seed=item.seed, prompt=item.prompt[:120]))
            cols = st.columns(2)
            cols[0].button(t("chat.saved.open"), key=f"open_{item.id}", on_click=_open_item, args=(item.id,))
            cols[1].button(t("chat.saved.delete"), key=f"del_{item.id}", on_click=_delete_item, args=(item.id,))


def _when(created_at: str) -> str:
    """A stored UTC time (ISO 8601) as the language writes a date, with the time of day."""
    try:
        return fmt_date(dt.datetime.fromisoformat(created_at), with_time=True)
    except ValueError:
        return created_at[:16].replace("T", " ")


def example_follows_the_language(key: str, example: str) -> None:
    """Fill a text box with the example text (catalog key `example`) in today's language, unless the visitor
    wrote their own: a box still holding the example in another language is refilled."""
    if st.session_state.get(key) in (None, *(t(example, language=language) for language in LANGUAGES)):
        st.session_state[key] = t(example)


def chat_page(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    view = st.segmented_control(t("chat.view.label"), VIEWS, key=state.CHAT_VIEW, default=VIEWS[0],
                                format_func=labeller(VIEW_KEYS.__getitem__), label_visibility="collapsed")
    if view == VIEWS[1]:
        compose_view(lm, params)
    elif view == VIEWS[2]:
        saved_view()
    else:
        conversation_view(lm, params)
