"""Conversation data and prompt building: the chat template for instruct models, a plain dialogue for base models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mirror.models import LoadedModel

Role = Literal["system", "user", "assistant"]
DEFAULT_SYSTEM_PROMPT = (
    "You are the Magic Mirror, a friendly and honest assistant. Answer clearly and briefly."
)
# Base models (GPT-2) have no chat template: they continue a plain dialogue and stop at the next speaker tag.
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
