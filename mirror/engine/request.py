"""What a request is and how it ends: the finish reasons, and the outbox its steps travel through.

A request's steps are made on the model's owner thread (by the scheduler) and read on the page's
thread. The `Outbox` is the one channel between them: steps, then either an error or the end.
"""

from __future__ import annotations

import queue
from enum import StrEnum
from typing import Any


class FinishReason(StrEnum):
    """Why a reply ended. A `StrEnum`: it compares equal to, and stores as, its plain string."""

    EOS = "eos"  # the model wrote an end-of-sequence or end-of-turn token
    STOP_STRING = "stop_string"  # the text reached a stop string (e.g. the next speaker's tag)
    LENGTH = "length"  # max_new_tokens reached
    CONTEXT = "context"  # the context window is full
    CANCELLED = "cancelled"  # stopped by the reader (stop button, page left)
    INTERRUPTED = "interrupted"  # the page was stopped before the reply could be kept whole (UI only)
    ERROR = "error"  # the forward pass failed; the reader gets the error
    RUNNING = "running"  # not finished yet


STOPPED = frozenset({FinishReason.CANCELLED, FinishReason.INTERRUPTED})

_END = object()  # the last item an outbox hands out


class OutboxClosed(Exception):
    """Raised by `Outbox.get` once the request has ended and every step has been read."""


class Outbox:
    """Steps from the owner thread to the reading thread, then the end (after an error, if one came)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()

    def put(self, step: Any) -> None:
        self._queue.put(step)

    def close(self) -> None:
        self._queue.put(_END)

    def fail(self, error: BaseException) -> None:
        """The reader raises `error` after the steps already sent; then the outbox is closed."""
        self._queue.put(error)
        self._queue.put(_END)

    def get(self, timeout: float) -> Any:
        """The next step; raises `queue.Empty` after `timeout` seconds, the error sent by `fail`,
        or `OutboxClosed` at the end (and again on every later call)."""
        item = self._queue.get(timeout=timeout)
        if item is _END:
            self._queue.put(_END)  # reading again ends at once
            raise OutboxClosed
        if isinstance(item, BaseException):
            raise item
        return item
