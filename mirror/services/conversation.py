"""A conversation as plain data (no Streamlit), its export and import, and the checks on a user's message.

A `Conversation` is plain data (no Streamlit): turns, the system prompt, and for each reply the facts
needed to reproduce and explain it (model, parameters, seed, timing, per-token probabilities). It
exports to Markdown and to JSON, and imports that JSON back.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from mirror.engine.request import STOPPED, FinishReason
from mirror.i18n import LANGUAGES, Language, fmt_int, fmt_number, t, text_of, tn
from mirror.services.prompts import Message, Role

DEFAULT_SYSTEM_PROMPT = text_of("chat.system_prompt").en  # what the API and the CLI give the model


def default_system_prompt(language: Language | None = None) -> str:
    """The mirror's instructions as a new conversation starts with them, in `language` (default: the current one)."""
    return t("chat.system_prompt", language=language)


def is_default_system_prompt(text: str) -> bool:
    """Whether `text` is the default instructions in any language (untouched, so it may follow the language)."""
    return any(text == default_system_prompt(language) for language in LANGUAGES)
EXPORT_FORMAT = "magic-mirror-conversation"
EXPORT_VERSION = 1


# --- conversation data ------------------------------------------------------------------------------


@dataclass
class ReplyInfo:
    """How a reply was made: enough to reproduce it (model, params, seed) and to explain it (steps)."""

    model: str
    params: dict[str, Any]
    seed: int
    tokens: int = 0
    tokens_per_second: float = 0.0
    time_to_first_token: float | None = None  # from the request, time waiting in the queue included
    queued_seconds: float = 0.0  # waiting for room in the model's batch (other sessions' replies)
    finish_reason: str = FinishReason.RUNNING.value  # a FinishReason's value (stored and exported as text)
    prompt_tokens: int = 0
    dropped_turns: int = 0
    dropped_bytes: int = 0  # of an unfinished character the reply ended in (cut by the limit or a stop)
    steps: list[dict[str, Any]] = field(default_factory=list)  # per token: id, text, prob, raw_prob, rank, ...

    @property
    def stopped(self) -> bool:
        return self.finish_reason in STOPPED


@dataclass
class Turn:
    role: Role
    content: str
    reply: ReplyInfo | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


@dataclass
class Conversation:
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    turns: list[Turn] = field(default_factory=list)

    def messages(self, upto: int | None = None) -> list[Message]:
        """System prompt plus the turns before index `upto` (all turns when None)."""
        head = [Message("system", self.system_prompt)] if self.system_prompt.strip() else []
        return head + [Message(t.role, t.content) for t in self.turns[:upto]]

    def add_user(self, text: str) -> Turn:
        turn = Turn("user", text)
        self.turns.append(turn)
        return turn

    def add_reply(self, info: ReplyInfo) -> Turn:
        turn = Turn("assistant", "", info)
        self.turns.append(turn)
        return turn

    @property
    def last_user_index(self) -> int | None:
        return next((i for i in range(len(self.turns) - 1, -1, -1) if self.turns[i].role == "user"), None)

    def needs_reply(self) -> bool:
        return bool(self.turns) and self.turns[-1].role == "user"

    def drop_last_reply(self) -> Turn | None:
        """Remove the last assistant turn (to regenerate it); return it, or None if the last turn is not one."""
        if self.turns and self.turns[-1].role == "assistant":
            return self.turns.pop()
        return None

    def edit_last_user(self, text: str) -> None:
        """Replace the last user message and forget everything after it (its reply will be redone)."""
        index = self.last_user_index
        if index is None:
            raise ValueError(t("chat.edit.nothing"))
        self.turns[index] = Turn("user", text)
        del self.turns[index + 1:]

    def clear(self) -> None:
        self.turns.clear()

    def find(self, turn_id: str) -> Turn | None:
        return next((t for t in self.turns if t.id == turn_id), None)

    def prompt_before(self, turn_id: str) -> str:
        """The user message a reply answered (for feedback records)."""
        for i, turn in enumerate(self.turns):
            if turn.id == turn_id:
                return next((t.content for t in reversed(self.turns[:i]) if t.role == "user"), "")
        return ""

    # --- export and import -----------------------------------------------------------------------

    def to_dict(self, model: str = "") -> dict[str, Any]:
        return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "model": model,
                "system_prompt": self.system_prompt, "turns": [asdict(t) for t in self.turns]}

    def to_json(self, model: str = "") -> str:
        return json.dumps(self.to_dict(model), ensure_ascii=False, indent=1)

    def to_markdown(self, model: str = "") -> str:
        """The conversation as a Markdown document, its headings and figures in the current language."""
        lines = [t("chat.md.title"), ""]
        if model:
            lines += [t("chat.md.model", model=model), ""]
        if self.system_prompt.strip():
            lines += [t("chat.md.system", text=self.system_prompt.strip()), ""]
        for turn in self.turns:
            lines += [t("chat.md.you" if turn.role == "user" else "chat.md.mirror", text=turn.content), ""]
            if turn.reply is not None:
                r = turn.reply
                params = ", ".join(f"{k}={v}" for k, v in r.params.items() if k != "seed")
                lines += [t("chat.md.reply", tokens=tn("chat.summary.tokens", r.tokens),
                            speed=fmt_number(r.tokens_per_second, 1), seed=r.seed, params=params,
                            stopped=t("chat.md.stopped") if r.stopped else ""), ""]
        return "\n".join(lines)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Conversation":
        """Parse an exported conversation; ValueError with a clear message if it is not one."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(t("chat.import.not_json", line=error.lineno, column=error.colno)) from None
        except UnicodeDecodeError:
            raise ValueError(t("chat.import.not_text")) from None
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise ValueError(t("chat.import.not_export"))
        if data.get("version") != EXPORT_VERSION:
            raise ValueError(t("chat.import.version", version=repr(data.get("version"))))
        try:
            turns = []
            for raw in data["turns"]:
                if raw["role"] not in ("user", "assistant") or not isinstance(raw["content"], str):
                    raise ValueError(t("chat.import.role", role=repr(raw["role"])))
                reply = ReplyInfo(**raw["reply"]) if raw.get("reply") else None
                turns.append(Turn(raw["role"], raw["content"], reply, str(raw.get("id") or uuid.uuid4().hex[:12])))
            return cls(system_prompt=str(data.get("system_prompt", "")), turns=turns)
        except (KeyError, TypeError) as error:
            raise ValueError(t("chat.import.damaged", error=error)) from None


class EmptyMessage(ValueError):
    """A blank message: ignored with a hint, not an error."""


def check_user_message(text: str | None, limit: int) -> str:
    """The message to send, or EmptyMessage / ValueError (too long) with a message for the user."""
    if text is None or not text.strip():
        raise EmptyMessage(t("chat.message.empty"))
    if len(text) > limit:
        raise ValueError(tn("chat.message.too_long", len(text), limit=fmt_int(limit)))
    return text
