"""Streaming a generation into the page, shared by the home page, the chat and compose."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mirror.generation import Generation, GenerationResult, Step
from mirror.text import escape_markdown

CURSOR = " ▌"
FINISH_WORDS = {"eos": "finished", "stop_string": "finished", "length": "reached the token limit",
                "context": "filled the context window", "cancelled": "stopped", "interrupted": "stopped",
                "running": "running"}


def stream_into(placeholder: st.delta_generator.DeltaGenerator, run: Generation,
                on_step: Callable[[Step], None] | None = None) -> GenerationResult:
    """Show the text growing token by token. If the script is stopped (stop button, another click),
    the generation is cancelled at once and `on_step` has already kept every token produced so far."""
    text = ""
    try:
        for step in run:
            text += step.text
            if on_step is not None:
                on_step(step)
            if step.text:
                placeholder.markdown(escape_markdown(text) + CURSOR)
    finally:
        run.cancel()  # frees the model for other sessions if Streamlit stopped this script mid-stream
    placeholder.markdown(escape_markdown(text) if text else "_(the mirror stayed silent)_")
    return run.result()


def summary_line(tokens: int, tokens_per_second: float, ttft: float | None, seed: int, finish_reason: str) -> str:
    parts = [f"{tokens} tokens", f"{tokens_per_second:.1f} tokens/s"]
    if ttft is not None:
        parts.append(f"first token after {ttft:.2f} s")
    parts += [f"seed {seed}", FINISH_WORDS.get(finish_reason, finish_reason)]
    if finish_reason in ("cancelled", "interrupted"):
        parts[-1] = "⏹ stopped"
    return " · ".join(parts)
