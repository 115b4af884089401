"""The one way text becomes prompt token ids: the chat template or a plain dialogue, fitted to the window.

Instruct models (with a chat template) get their template; base models such as GPT-2 have none, so
they continue a plain dialogue and stop at the next speaker tag. Every page builds its prompt here,
and every prompt leaves the same room for the reply (`engine.generation.prompt_budget`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from mirror.engine.generation import Generation, fit_prompt, prompt_budget
from mirror.engine.sampling import SamplingParams
from mirror.i18n import t
from mirror.models import LoadedModel

Role = Literal["system", "user", "assistant"]
# Base models (GPT-2) have no chat template: they continue a plain dialogue and stop at the next speaker tag.
# The tags are part of the prompt the model reads, not UI text: they stay English in every language.
PLAIN_SPEAKERS = {"system": "", "user": "User", "assistant": "Mirror"}


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class BuiltPrompt:
    text: str
    stop_strings: tuple[str, ...]
    uses_chat_template: bool


def plain_dialogue(messages: Sequence[Message]) -> BuiltPrompt:
    lines = []
    for message in messages:
        if message.role == "system":
            lines.append(message.content.strip())
        else:
            lines.append(f"{PLAIN_SPEAKERS[message.role]}: {message.content.strip()}")
    lines.append(f"{PLAIN_SPEAKERS['assistant']}:")
    stops = tuple(f"\n{PLAIN_SPEAKERS[r]}:" for r in ("user", "assistant"))
    return BuiltPrompt("\n".join(line for line in lines if line), stops, uses_chat_template=False)


def build_prompt(lm: LoadedModel, messages: Sequence[Message]) -> BuiltPrompt:
    """The prompt text for the next assistant turn, and the strings that end that turn."""
    if not lm.info.has_chat_template:
        return plain_dialogue(messages)
    chat = [{"role": m.role, "content": m.content} for m in messages]
    text = lm.run(lm.tokenizer.apply_chat_template, chat, tokenize=False, add_generation_prompt=True)
    return BuiltPrompt(text, (), uses_chat_template=True)


def context_ids(lm: LoadedModel, messages: Sequence[Message]) -> list[int]:
    """The token ids of the prompt that `messages` make for the next assistant turn (nothing cut)."""
    return lm.encode(build_prompt(lm, messages).text)


def leading_ids(lm: LoadedModel) -> list[int]:
    """The tokens the model's own tokenizer puts before any text (Gemma's `<bos>`; none for GPT-2 or SmolLM2).

    A plain text (no chat template, whose text already holds them) starts with these: a model trained
    with a start token writes nonsense without it.
    """
    return lm.run(lambda: list(lm.tokenizer("").input_ids))


@dataclass(frozen=True)
class TextPrompt:
    """A text to continue, as token ids cut from the left to leave room for the reply."""

    ids: tuple[int, ...]  # after cutting from the left to fit the context window
    dropped: int  # tokens cut from the left
    total: int  # tokens before cutting
    stop_strings: tuple[str, ...]


def prompt_for_text(lm: LoadedModel, text: str, chat: bool, max_new_tokens: int) -> TextPrompt:
    """Token ids for `text` (as one user message when `chat`), cut from the left like `Generation` does."""
    if not text or not text.strip():
        raise ValueError(t("chat.prompt_empty"))
    stops: tuple[str, ...] = ()
    templated = False
    if chat:
        built = build_prompt(lm, [Message("user", text)])
        text, stops, templated = built.text, built.stop_strings, built.uses_chat_template
    ids = lm.encode(text) if templated else leading_ids(lm) + lm.encode(text)
    kept, dropped = fit_prompt(ids, lm.context_length, max_new_tokens)
    return TextPrompt(tuple(kept), dropped, len(ids), stops)


@dataclass(frozen=True)
class PreparedPrompt:
    ids: list[int]
    stop_strings: tuple[str, ...]
    dropped_turns: int  # oldest turns left out of the prompt (still shown on screen)


def fit_messages(messages: Sequence[Message], count_tokens: Callable[[Sequence[Message]], int],
                 budget: int) -> tuple[list[Message], int]:
    """Drop the oldest non-system turns until the prompt fits `budget` tokens; the last turn always stays."""
    system = [m for m in messages[:1] if m.role == "system"]
    rest = list(messages[len(system):])
    dropped = 0
    while len(rest) > 1 and count_tokens(system + rest) > budget:
        rest.pop(0)
        dropped += 1
        # Never start the kept history with an assistant turn: drop its orphaned reply too.
        while len(rest) > 1 and rest[0].role == "assistant":
            rest.pop(0)
            dropped += 1
    return system + rest, dropped


def prepare_reply_prompt(lm: LoadedModel, messages: Sequence[Message], max_new_tokens: int) -> PreparedPrompt:
    """Token ids for the next reply, leaving room for `max_new_tokens` (`engine.prompt_budget`):
    the oldest turns are left out whole, never cut in the middle."""
    budget = prompt_budget(lm.context_length, max_new_tokens)
    kept, dropped = fit_messages(messages, lambda ms: len(lm.encode(build_prompt(lm, ms).text)), budget)
    built = build_prompt(lm, kept)
    lead = [] if built.uses_chat_template else leading_ids(lm)
    return PreparedPrompt(lead + lm.encode(built.text), built.stop_strings, dropped)



def generate(lm: LoadedModel, prompt: str, params: SamplingParams, stop_strings: Sequence[str] = (),
             chat: bool = False) -> Generation:
    """A `Generation` for a text prompt; with `chat`, the prompt is wrapped as one user turn."""
    prepared = prompt_for_text(lm, prompt, chat, params.max_new_tokens)
    return Generation(lm, prepared.ids, params, stop_strings=(*prepared.stop_strings, *stop_strings))
