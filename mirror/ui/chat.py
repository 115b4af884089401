"""The chat page: conversation with streaming replies, actions, export/import, feedback, compose and saved work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from mirror.config import MAX_MESSAGE_CHARS
from mirror.services.conversation import Conversation, EmptyMessage, ReplyInfo, Turn, check_user_message
from mirror.services.prompts import Message
from mirror.models import LoadedModel
from mirror.services.remote import RemoteModel, RemoteStep
from mirror.engine.sampling import SamplingParams
from mirror.services.store import StoreError
from mirror.text import escape_markdown
from mirror.ui.store import get_store, session_id
from mirror.ui.streaming import start_reply, stream_into, summary_line

CONVERSATION_KEY = "mirror_conversation"
NOTICE_KEY = "chat_notice"
EDITING_KEY = "chat_editing"
DRAFT_KEY = "compose_draft"
INSPECT_KEY = "inspector_source"  # read by the Token Inspector page
INSPECTOR_PAGE = "pages/3_Token_Inspector.py"
REPO_ROOT = Path(__file__).resolve().parents[2]
STEP_ALTERNATIVES = 5  # alternatives kept per token in the history and in exports
AVATARS = {"user": "🧑", "assistant": "🪞"}


def conversation() -> Conversation:
    if CONVERSATION_KEY not in st.session_state:
        st.session_state[CONVERSATION_KEY] = Conversation()
    return st.session_state[CONVERSATION_KEY]


def _notice(kind: str, text: str, keep: str | None = None) -> None:
    st.session_state[NOTICE_KEY] = (kind, text, keep)


def _show_notice() -> None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice is None:
        return
    kind, text, keep = notice
    getattr(st, kind)(text)
    if keep:
        st.text_area("Your message", keep, height=150, key="kept_message")


# --- callbacks (they run before the script, so the page draws the new state at once) -----------------


def _submitted() -> None:
    try:
        conversation().add_user(check_user_message(st.session_state.get("chat_box"), MAX_MESSAGE_CHARS))
    except EmptyMessage as hint:
        _notice("info", str(hint))
    except ValueError as error:
        _notice("error", str(error), keep=st.session_state.get("chat_box"))


def _regenerate() -> None:
    conversation().drop_last_reply()


def _clear() -> None:
    conversation().clear()
    st.session_state[EDITING_KEY] = False


def _save_edit() -> None:
    try:
        conversation().edit_last_user(check_user_message(st.session_state.get("edit_box"), MAX_MESSAGE_CHARS))
        st.session_state[EDITING_KEY] = False
    except ValueError as error:  # the text stays in the edit box
        _notice("error" if not isinstance(error, EmptyMessage) else "info", str(error))


def _import(uploaded: Any) -> None:
    if uploaded is None:
        _notice("info", "Choose a conversation JSON file first.")
        return
    try:
        st.session_state[CONVERSATION_KEY] = Conversation.from_json(uploaded.getvalue())
        _notice("success", f"Conversation restored from {uploaded.name}.")
    except ValueError as error:
        _notice("error", f"Could not import {uploaded.name}: {error}")


def _open_in_inspector(turn_id: str) -> None:
    conv = conversation()
    turn = conv.find(turn_id)
    if turn is None or turn.reply is None:
        return
    index = conv.turns.index(turn)
    steps = turn.reply.steps
    # The inspector scores the reply's own tokens in the context of the prompt it answered, so its raw
    # probabilities are the ones the model gave while writing; the sampler's are passed along.
    st.session_state[INSPECT_KEY] = {
        "text": turn.content, "origin": "chat", "token_ids": [s["token_id"] for s in steps if s["token_id"] is not None] or None,
        "sampler_probs": [s["prob"] for s in steps] or None,
        "context_messages": [{"role": m.role, "content": m.content} for m in conv.messages(upto=index)],
        "params": turn.reply.params, "seed": turn.reply.seed, "model": turn.reply.model, "steps": steps,
    }
    st.session_state["chat_go_inspect"] = True


def _send_feedback(turn_id: str, model: str) -> None:
    conv = conversation()
    turn = conv.find(turn_id)
    score = st.session_state.get(f"fb_{turn_id}")
    if turn is None or turn.reply is None:
        return
    if score is None:
        st.session_state[f"fbmsg_{turn_id}"] = ("warning", "Pick thumbs up or down first.")
        return
    store = get_store()
    if store is None:
        st.session_state[f"fbmsg_{turn_id}"] = ("error", "Saving is unavailable; your comment is still here.")
        return
    try:
        store.add_feedback(session_id=session_id(), model=turn.reply.model or model,
                           prompt=conv.prompt_before(turn_id), reply=turn.content, score=int(score),
                           params=turn.reply.params, seed=turn.reply.seed,
                           comment=(st.session_state.get(f"fbc_{turn_id}") or "").strip() or None)
        st.session_state[f"fbmsg_{turn_id}"] = ("success", "Thank you: feedback saved.")
    except StoreError as error:
        st.session_state[f"fbmsg_{turn_id}"] = ("error", f"Feedback not saved: {error}. Your comment is kept.")


# --- drawing -------------------------------------------------------------------------------------


def _compact_step(step: Any) -> dict[str, Any]:
    """What a reply keeps of each token (a remote server gives raw probabilities only: the rest is None)."""
    if isinstance(step, RemoteStep):
        return {"token_id": None, "token": step.token, "text": step.text, "prob": None, "raw_prob": step.raw_prob,
                "rank": step.rank, "entropy": None,
                "alternatives": [[None, token, None, p] for token, p in step.alternatives[:STEP_ALTERNATIVES]]}
    return {"token_id": step.token_id, "token": step.token, "text": step.text, "prob": step.prob,
            "raw_prob": step.raw_prob, "rank": step.rank, "entropy": step.entropy,
            "alternatives": [[a.token_id, a.token, a.prob, a.raw_prob] for a in step.alternatives[:STEP_ALTERNATIVES]]}


def _reply_footer(turn: Turn, model: str) -> None:
    info = turn.reply
    assert info is not None
    st.caption(summary_line(info.tokens, info.tokens_per_second, info.time_to_first_token, info.seed,
                            info.finish_reason, info.queued_seconds, info.dropped_bytes))
    if info.dropped_turns:
        st.caption(f"The {info.dropped_turns} oldest messages did not fit the context window and were left out "
                   "of the prompt for this reply (they are still shown here).")
    with st.expander("Details: seed and parameters"):
        st.json({"model": info.model, "seed": info.seed, **info.params, "prompt_tokens": info.prompt_tokens,
                 "finish_reason": info.finish_reason, "dropped_bytes": info.dropped_bytes})
        sampler = [s["prob"] for s in info.steps if s.get("prob") is not None]
        if sampler:
            st.caption(f"Mean probability of the chosen tokens under the sampler: {sum(sampler) / len(sampler):.2f}")
    row = st.container(horizontal=True)
    if (REPO_ROOT / INSPECTOR_PAGE).exists():
        row.button("🔍 Inspect tokens", key=f"inspect_{turn.id}", on_click=_open_in_inspector,
                   args=(turn.id,), help="Open this reply in the Token Inspector")
    with row.popover("Rate this reply"):
        st.feedback("thumbs", key=f"fb_{turn.id}")
        st.text_input("Comment (optional)", key=f"fbc_{turn.id}", max_chars=2000)
        st.button("Send feedback", key=f"fbs_{turn.id}", on_click=_send_feedback, args=(turn.id, model))
    message = st.session_state.get(f"fbmsg_{turn.id}")
    if message:
        getattr(st, message[0])(message[1])


def _draw_turn(turn: Turn, model: str) -> None:
    with st.chat_message(turn.role, avatar=AVATARS[turn.role]):
        st.markdown(escape_markdown(turn.content) if turn.content else "_(no text)_")
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
        info.steps.append(_compact_step(step))

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
            info.finish_reason = result.finish_reason if run.finished else "interrupted"
            info.dropped_bytes = result.dropped_bytes
    if info.finish_reason == "error":
        _notice("error", f"{run.result().error} The conversation is kept; press Regenerate to try again.")
    st.rerun()  # draw the finished reply with its footer and actions


def _actions(conv: Conversation, model: str) -> None:
    if not conv.turns:
        return
    row = st.container(horizontal=True)  # buttons side by side at their natural width
    row.button("🔄 Regenerate", on_click=_regenerate, disabled=conv.turns[-1].role != "assistant",
                   help="Drop the last reply and write a new one (a new seed unless the seed is fixed)")
    if row.button("✏️ Edit last message", disabled=conv.last_user_index is None):
        st.session_state[EDITING_KEY] = True
        st.session_state["edit_box"] = conv.turns[conv.last_user_index].content
    row.button("🧹 Clear chat", on_click=_clear)
    row.download_button("⬇️ Markdown", conv.to_markdown(model), file_name="magic-mirror-chat.md",
                            mime="text/markdown")
    row.download_button("⬇️ JSON", conv.to_json(model), file_name="magic-mirror-chat.json",
                            mime="application/json", help="Model, parameters, seeds and per-token probabilities")
    if st.session_state.get(EDITING_KEY) and conv.last_user_index is not None:
        with st.form("edit_form"):
            st.text_area("Edit your last message and send it again", key="edit_box", height=120)
            st.form_submit_button("Send edited message", on_click=_save_edit, type="primary")


def _persona(conv: Conversation) -> None:
    with st.expander("🎭 Persona (system prompt)"):
        text = st.text_area("The mirror's instructions, sent before the conversation", conv.system_prompt,
                            height=90, key="persona_box")
        if text != conv.system_prompt:
            conv.system_prompt = text


def _import_box() -> None:
    with st.expander("📂 Import a conversation"):
        st.file_uploader("A JSON file exported from this page", type=["json"], key="import_file")
        st.button("Restore conversation", on_click=lambda: _import(st.session_state.get("import_file")))


def conversation_view(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    # First, so that the input exists even when the user stops a streaming reply (a stopped script run
    # never reaches its later lines); Streamlit pins it to the bottom of the page wherever it is called.
    st.chat_input("Talk to the mirror…", key="chat_box", on_submit=_submitted, submit_mode="stop")
    conv = conversation()
    _persona(conv)
    _show_notice()
    if not conv.turns:
        st.caption("Say hello to the mirror. Replies stream token by token; press ■ in the input box to stop one.")
    for turn in conv.turns:
        if not (turn is conv.turns[-1] and conv.needs_reply()):
            _draw_turn(turn, lm.info.name)
    if conv.needs_reply():
        _draw_turn(conv.turns[-1], lm.info.name)
        _stream_reply(lm, conv, params)
    _actions(conv, lm.info.name)
    _import_box()
    if st.session_state.pop("chat_go_inspect", False):
        st.switch_page(INSPECTOR_PAGE)


# --- compose and saved work ----------------------------------------------------------------------


def _save_draft(lm_name: str) -> None:
    draft = st.session_state.get(DRAFT_KEY) or {}
    title, text = st.session_state.get("draft_title", ""), st.session_state.get("draft_text", "")
    store = get_store()
    if store is None:
        _notice("error", "Saving is unavailable; your text is still in the editor.")
        return
    try:
        if draft.get("item_id"):
            store.update_item(draft["item_id"], title=title, text=text)
            _notice("success", f"Updated “{title.strip()}”.")
        else:
            draft["item_id"] = store.save_item(title=title, text=text, prompt=draft.get("prompt", ""),
                                               model=draft.get("model", lm_name), params=draft.get("params"),
                                               seed=draft.get("seed"), session_id=session_id())
            st.session_state[DRAFT_KEY] = draft
            _notice("success", f"Saved “{title.strip()}”.")
    except (StoreError, ValueError) as error:
        _notice("error", f"Not saved: {error}. Your text is still in the editor.")


def _open_item(item_id: int) -> None:
    store = get_store()
    try:
        item = store.get_item(item_id) if store else None
    except StoreError as error:
        _notice("error", str(error))
        return
    if item is not None:
        st.session_state[DRAFT_KEY] = {"item_id": item.id, "prompt": item.prompt, "model": item.model,
                                       "params": item.params, "seed": item.seed}
        st.session_state["draft_title"], st.session_state["draft_text"] = item.title, item.text
        st.session_state["chat_view"] = "✍️ Compose"


def _delete_item(item_id: int) -> None:
    store = get_store()
    try:
        if store:
            store.delete_item(item_id)
            _notice("success", "Deleted.")
    except StoreError as error:
        _notice("error", str(error))


def compose_view(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    _show_notice()
    st.caption("Let the mirror write something, polish it by hand, and keep it.")
    prompt = st.text_area("What should the mirror write?", "Write a short poem about a mirror at midnight.",
                          key="compose_prompt", height=80)
    if st.button("✨ Write it", type="primary"):
        try:
            check_user_message(prompt, MAX_MESSAGE_CHARS)
        except ValueError as error:
            st.info(str(error)) if isinstance(error, EmptyMessage) else st.error(str(error))
            return
        result = stream_into(st.empty(), start_reply(lm, [Message("user", prompt)], params).run)
        st.session_state[DRAFT_KEY] = {"prompt": prompt, "model": lm.info.name, "seed": result.seed,
                                       "params": {k: v for k, v in params.to_dict().items() if k != "seed"}}
        st.session_state["draft_text"] = result.text
        st.session_state.setdefault("draft_title", prompt.strip().splitlines()[0][:80])
        st.rerun()
    draft = st.session_state.get(DRAFT_KEY)
    if draft is None:
        return
    with st.form("draft_form"):
        label = "Editing saved item" if draft.get("item_id") else "Edit before saving"
        st.text_input("Title", key="draft_title", max_chars=200)
        st.text_area(label, key="draft_text", height=240)
        st.caption(f"Written by {draft.get('model')} with seed {draft.get('seed')}.")
        st.form_submit_button("💾 Save", on_click=_save_draft, args=(lm.info.name,), type="primary")


def saved_view() -> None:
    _show_notice()
    store = get_store()
    if store is None:
        return
    try:
        items = store.list_items()
    except StoreError as error:
        st.error(str(error))
        return
    if not items:
        st.caption("Nothing saved yet: write something in Compose and save it.")
        return
    st.download_button("⬇️ Export all as CSV", store.items_csv(), file_name="magic-mirror-saved.csv", mime="text/csv")
    for item in items:
        with st.expander(f"{item.title} · {item.created_at[:16].replace('T', ' ')} UTC"):
            st.markdown(escape_markdown(item.text))
            st.caption(f"Model {item.model or '?'} · seed {item.seed} · prompt: {item.prompt[:120]}")
            cols = st.columns(2)
            cols[0].button("Open in Compose", key=f"open_{item.id}", on_click=_open_item, args=(item.id,))
            cols[1].button("🗑️ Delete", key=f"del_{item.id}", on_click=_delete_item, args=(item.id,))


VIEWS = ("💬 Conversation", "✍️ Compose", "📚 Saved")


def chat_page(lm: LoadedModel | RemoteModel, params: SamplingParams) -> None:
    view = st.segmented_control("View", VIEWS, key="chat_view", default=VIEWS[0], label_visibility="collapsed")
    if view == VIEWS[1]:
        compose_view(lm, params)
    elif view == VIEWS[2]:
        saved_view()
    else:
        conversation_view(lm, params)
