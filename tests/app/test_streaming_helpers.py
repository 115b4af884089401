"""The pages' streaming helpers: a waiting reply's place in the queue, the sidebar's load line, the summary line."""

from __future__ import annotations

import threading
import time

from mirror.engine.generation import Generation
from mirror.engine.sampling import SamplingParams
from mirror.services.prompts import Message, context_ids
from mirror.text import escape_markdown


def greedy(tokens: int) -> SamplingParams:
    return SamplingParams(temperature=0.0, max_new_tokens=tokens)


class _Placeholder:
    def __init__(self):
        self.shown: list[str] = []

    def markdown(self, text: str) -> None:
        self.shown.append(text)


def test_the_page_shows_a_waiting_reply_its_place_in_the_queue(bundled):
    from mirror.ui.streaming import stream_into

    lm = bundled.with_batch(1)
    busy = Generation(lm, context_ids(lm, [Message("user", "Tell me a long story.")]), greedy(40))
    reader = threading.Thread(target=busy.run_to_end)
    reader.start()
    while busy.result().new_tokens == 0:
        time.sleep(0.01)
    placeholder = _Placeholder()
    waiting = Generation(lm, context_ids(lm, [Message("user", "Hi")]), greedy(4))
    result = stream_into(placeholder, waiting)
    reader.join()
    assert any("place 1 in the queue" in shown for shown in placeholder.shown)
    assert result.new_tokens == 4 and result.queued_seconds > 0.2
    assert result.time_to_first_token >= result.queued_seconds  # what the user waited, queue included
    assert placeholder.shown[-1] == escape_markdown(result.text)  # the queue notice gave way to the reply


def test_the_sidebar_line_says_how_busy_the_shared_model_is(bundled):
    from mirror.ui.page import load_line

    lm = bundled.with_batch(8)
    assert load_line(lm) == f"Runtime {lm.info.runtime} · 0 replies being written (up to 8 at once)"
    ids = context_ids(lm, [Message("user", "Hi")])
    owner_free = threading.Event()
    lm.submit(owner_free.wait)  # the owner thread is busy, so the next two requests wait in the queue
    waiting = [Generation(lm, ids, greedy(2)).start() for _ in range(2)]
    try:
        assert "0 replies being written, 2 waiting" in load_line(lm)
    finally:
        for gen in waiting:
            gen.cancel()
        owner_free.set()
    for gen in waiting:
        gen.run_to_end()


def test_a_reply_that_waited_says_how_long_under_it():
    from mirror.ui.streaming import summary_line

    waited = summary_line(20, 25.0, 3.4, 7, "eos", queued_seconds=3.2)
    assert "first token after 3.40 s (3.2 s of it waiting in the queue)" in waited
    assert "queue" not in summary_line(20, 25.0, 0.2, 7, "eos", queued_seconds=0.1)
    assert "queue" not in summary_line(20, 25.0, 0.2, 7, "eos")  # old saved replies have no queue time


class _ScriptedRun:
    """A reply stream whose steps come `gap` seconds apart."""

    def __init__(self, pieces: list[str], gap: float):
        self.pieces, self.gap = pieces, gap

    def stream(self, on_wait=None):
        for piece in self.pieces:
            time.sleep(self.gap)
            yield type("Step", (), {"text": piece})()

    def cancel(self) -> None:
        pass

    def result(self) -> str:
        return "".join(self.pieces)

    def replies_running(self) -> int:
        return 1


def test_fast_tokens_are_drawn_together_and_slow_ones_one_by_one():
    from mirror.ui.streaming import CURSOR, REDRAW_SECONDS, stream_into

    pieces = [f"w{i} " for i in range(40)]
    fast = _Placeholder()
    stream_into(fast, _ScriptedRun(pieces, gap=0.0))  # a burst: faster than the browser needs
    assert len(fast.shown) < 10 and fast.shown[-1] == escape_markdown("".join(pieces))
    slow = _Placeholder()
    stream_into(slow, _ScriptedRun(pieces[:5], gap=REDRAW_SECONDS * 1.5))
    growing = [escape_markdown("".join(pieces[: i + 1])) + CURSOR for i in range(5)]
    assert slow.shown == [*growing, escape_markdown("".join(pieces[:5]))]  # every token, as it came
