"""Streaming a reply into the page, shared by the home page, the chat, compose and the inspector's forks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from mirror.engine.generation import Generation
from mirror.engine.protocols import ReplyStream
from mirror.engine.request import STOPPED
from mirror.engine.sampling import SamplingParams
from mirror.i18n import CATALOG, fmt_number, t, tn
from mirror.models import LoadedModel
from mirror.services.prompts import Message, prepare_reply_prompt
from mirror.services.remote import BackendError, RemoteModel
from mirror.text import escape_markdown

CURSOR = " ▌"
REDRAW_SECONDS = 0.1  # a streaming reply is drawn at most this often: 10 redraws a second still read as token by token


def finish_word(reason: str) -> str:
    """How a reply ended ("reached the token limit"), in the current language; an unknown reason as it is."""
    key = f"chat.finish.{reason}"
    return t(key) if key in CATALOG else str(reason)


@dataclass(frozen=True)
class StartedReply:
    run: ReplyStream
    prompt_tokens: int
    dropped_turns: int


def start_reply(lm: LoadedModel | RemoteModel, messages: Sequence[Message], params: SamplingParams) -> StartedReply:
    """A reply to a conversation: the local engine (history fitted to the window) or the remote server."""
    if isinstance(lm, RemoteModel):
        return StartedReply(lm.backend.chat(messages, params), 0, 0)
    prepared = prepare_reply_prompt(lm, messages, params.max_new_tokens)
    run = Generation(lm, prepared.ids, params, stop_strings=prepared.stop_strings)
    return StartedReply(run, len(run.prompt_ids), prepared.dropped_turns)


def stream_into(placeholder: Any, run: ReplyStream,
                on_step: Callable[[Any], None] | None = None) -> Any:
    """Show the text growing token by token and return the run's result.

    If the script is stopped (stop button, another click), the generation is cancelled at once and
    `on_step` has already kept every token produced so far. A server failure shows its message under
    the text so far, which stays.
    """
    text = ""
    failure = None

    def show_place(place: int) -> None:
        if not text:
            running = run.replies_running()
            placeholder.markdown(t("chat.queue", place=place, writing=tn("chat.queue.writing", running)))

    drawn_at = 0.0
    try:
        for step in run.stream(on_wait=show_place):
            text += step.text
            if on_step is not None:
                on_step(step)
            now = time.perf_counter()
            # Each redraw sends the whole text and makes the browser render it again: tokens that come
            # faster than REDRAW_SECONDS apart are shown together (the rest is shown at the end).
            if step.text and now - drawn_at >= REDRAW_SECONDS:
                placeholder.markdown(escape_markdown(text) + CURSOR)
                drawn_at = now
    except BackendError as error:
        failure = str(error)
    finally:
        run.cancel()  # frees the model for other sessions if Streamlit stopped this script mid-stream
    placeholder.markdown(escape_markdown(text) if text else t("chat.silent"))
    if failure:
        st.error(failure)
    return run.result()


QUEUE_NOTE_SECONDS = 0.5  # shorter waits for a place in the batch are not worth a word


def summary_line(tokens: int, tokens_per_second: float, ttft: float | None, seed: int | None, finish_reason: str,
                 queued_seconds: float = 0.0, dropped_bytes: int = 0) -> str:
    parts = [tn("chat.summary.tokens", tokens), t("chat.summary.speed", speed=fmt_number(tokens_per_second, 1))]
    if ttft is not None:
        parts.append(t("chat.summary.first_token", seconds=fmt_number(ttft, 2)))
        if queued_seconds >= QUEUE_NOTE_SECONDS:
            parts[-1] += t("chat.summary.queued", seconds=fmt_number(queued_seconds, 1))
    if seed is not None:
        parts.append(t("chat.summary.seed", seed=seed))  # a seed is an identifier: never grouped
    parts.append(t("chat.summary.stopped") if finish_reason in STOPPED else finish_word(finish_reason))
    if dropped_bytes > 0:
        parts.append(tn("chat.summary.dropped_bytes", dropped_bytes))
    return " · ".join(parts)
