"""The explorer's prompt: the text box, example prompts, chat wrapping, seed and lengths."""

from __future__ import annotations

import streamlit as st

from mirror.config import MAX_TEXT_CHARS
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.prompts import TextPrompt, prompt_for_text
from mirror.ui.explorer.kept import KEPT, new_tokens

EXAMPLES = {
    "Once upon a time…": "Once upon a time, in a small village by the sea, there lived a",
    "The capital of France is": "The capital of France is",
    "Mirror, mirror on the wall…": "Mirror, mirror on the wall, who is the",
    "The best way to learn…": "The best way to learn a new language is",
    "def fibonacci(n):": "def fibonacci(n):\n    ",
}


def _example_chosen() -> None:
    choice = KEPT.value("example")
    if choice in EXAMPLES:
        KEPT.set("prompt", EXAMPLES[choice])


def prompt_box(lm: LoadedModel) -> TextPrompt | None:
    """The prompt controls; the prompt's token ids, or None (with a hint) when there is nothing to compute."""
    left, right = st.columns([3, 1])
    with right:
        st.selectbox("Example prompts", list(EXAMPLES), key=KEPT.key("example", next(iter(EXAMPLES))),
                     on_change=_example_chosen, help="Pick one to put it in the prompt box; any text works.")
        st.toggle("Ask as a chat message", key=KEPT.key("chat"),
                  help="Off: the model continues your text as it is. On: the text is wrapped as a user "
                       "message in the model's chat template, and the model answers it.")
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key=KEPT.key("seed"),
                        help="One seed for the whole page: the token drawn below, every side-by-side column, "
                             "and the step-through draws. The same seed reproduces the same text.")
    with left:
        text = st.text_area("Prompt", key=KEPT.key("prompt", next(iter(EXAMPLES.values()))), height=110,
                            max_chars=MAX_TEXT_CHARS, help="The text the mirror continues.")
        cols = st.columns(2)
        cols[0].slider("Tokens in the charts", *explorer.TOP_N_RANGE, key=KEPT.key("top_n"),
                       help="How many of the most likely tokens each chart shows.")
        cols[1].slider("New tokens per run", 4, 256, key=KEPT.key("tokens"),
                       help="Length of each text on this page (side by side, grid, step-through). "
                            "Kept separate from the sidebar's maximum so comparisons stay quick.")
    if not text or not text.strip():
        st.info("Type a prompt (or pick an example) to see how the mirror chooses its next token.")
        return None
    try:
        prompt = prompt_for_text(lm, text, bool(KEPT.value("chat")), new_tokens())
    except ValueError as error:
        st.error(f"This prompt cannot be used: {error}")
        return None
    if prompt.dropped:
        st.warning(f"The prompt has {prompt.total:,} tokens, more than {lm.info.name}'s context window of "
                   f"{lm.info.context_length:,} tokens leaves room for. The first {prompt.dropped:,} tokens were "
                   f"cut from the left; the mirror reads the last {len(prompt.ids):,}.")
    return prompt
