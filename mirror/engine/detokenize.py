"""From token ids to the text a reader may see: whole characters only, stop strings held back.

`VisibleText` decides, step by step, what part of a reply's decoded text is shown.

A byte-level tokenizer can stop in the middle of a multi-byte UTF-8 character; decoded, the
unfinished bytes show as U+FFFD. These helpers find those bytes so that the reply can drop them,
and only them: a U+FFFD the model really wrote stays.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

REPLACEMENT_CHAR = "\ufffd"
_BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")  # SentencePiece byte fallback
# Second bytes allowed after these lead bytes (Unicode table 3-7): no overlong forms, surrogates or > U+10FFFF.
_SECOND_BYTE = {0xE0: (0xA0, 0xBF), 0xED: (0x80, 0x9F), 0xF0: (0x90, 0xBF), 0xF4: (0x80, 0x8F)}


def _byte_level_alphabet() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet (`bytes_to_unicode`), inverted: the byte each character stands for."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    char_of = {b: chr(b) for b in printable}
    for n, b in enumerate(b for b in range(256) if b not in char_of):
        char_of[b] = chr(256 + n)
    return {c: b for b, c in char_of.items()}


_BYTE_OF_CHAR = _byte_level_alphabet()


def byte_level_bytes(token: str) -> bytes | None:
    """The bytes of a byte-level BPE token (GPT-2, SmolLM2, Llama 3), or None if it is not in that alphabet."""
    try:
        return bytes(_BYTE_OF_CHAR[c] for c in token)
    except KeyError:
        return None


def byte_fallback_bytes(token: str) -> bytes:
    """The bytes of a SentencePiece token: `<0xE3>` is one byte, `▁` a space, anything else its own UTF-8."""
    match = _BYTE_TOKEN.fullmatch(token)
    return bytes([int(match[1], 16)]) if match else token.replace("▁", " ").encode()


def _one_mark_per_run(text: str) -> str:
    # Decoders differ in how many U+FFFD they write for a broken sequence: one, or one per byte.
    return re.sub(f"{REPLACEMENT_CHAR}+", REPLACEMENT_CHAR, text)


def bytes_reader(tokens: Sequence[str], text: str) -> Callable[[str], bytes | None] | None:
    """Which known scheme gives the tokens' bytes: the one that explains `text`, the tokenizer's decoding of
    `tokens` (None if neither does)."""
    wanted = _one_mark_per_run(text)
    for reader in (byte_level_bytes, byte_fallback_bytes):
        parts = [reader(token) for token in tokens]
        if None in parts:
            continue
        decoded = _one_mark_per_run(b"".join(p for p in parts if p is not None).decode("utf-8", errors="replace"))
        # SentencePiece decoders drop the space that begins the first token.
        if decoded == wanted or decoded == " " + wanted:
            return reader
    return None


def unfinished_tail(data: bytes) -> int:
    """How many bytes at the end of `data` begin a character that is not finished yet (0 to 3).

    Only the start of a valid character counts; bytes that no continuation could make valid are not
    unfinished but broken, and count 0.
    """
    for size in range(1, min(3, len(data)) + 1):
        lead = data[-size]
        if 0x80 <= lead <= 0xBF:
            continue  # a continuation byte: the character began earlier
        need = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
        if size >= need:
            return 0
        low, high = _SECOND_BYTE.get(lead, (0x80, 0xBF))
        if size > 1 and not low <= data[-size + 1] <= high:
            return 0
        return size
    return 0


def drop_unfinished(text: str, data: bytes | None) -> tuple[str, int]:
    """`text` without the U+FFFD that an unfinished last character produced, and how many bytes were dropped.

    `data` are the bytes `text` was decoded from. Without them every trailing U+FFFD is taken for a
    broken piece and counted as one byte.
    """
    if data is None:
        kept = text.rstrip(REPLACEMENT_CHAR)
        return kept, len(text) - len(kept)
    tail = unfinished_tail(data)
    if not tail or not text.endswith(REPLACEMENT_CHAR):
        return text, tail
    # U+FFFD written before the unfinished character (the model's own, or broken bytes) stay.
    before = data[:-tail].decode("utf-8", errors="replace")
    kept_marks = len(before) - len(before.rstrip(REPLACEMENT_CHAR))
    return text.rstrip(REPLACEMENT_CHAR) + REPLACEMENT_CHAR * kept_marks, tail


def before_stop(data: bytes | None, stop: str) -> bytes | None:
    """The bytes before the first `stop` in `data` (None if unknown or not found)."""
    if data is None:
        return None
    at = data.find(stop.encode())
    return data[:at] if at != -1 else None


BYTES_PROBE = "日本語 🪞 é ok"  # characters split over several tokens, to learn how a tokenizer stores bytes


_READERS: "weakref.WeakKeyDictionary[Any, Callable[[str], bytes | None] | None]" = weakref.WeakKeyDictionary()


def tokenizer_bytes_reader(tokenizer: Any) -> Callable[[str], bytes | None] | None:
    """How to read the bytes of `tokenizer`'s tokens (None if no known scheme explains its decoding);
    learnt once per tokenizer, not once per reply."""
    if tokenizer not in _READERS:
        probe = tokenizer(BYTES_PROBE, add_special_tokens=False).input_ids
        _READERS[tokenizer] = bytes_reader(tokenizer.convert_ids_to_tokens(probe),
                                           tokenizer.decode(probe, clean_up_tokenization_spaces=False))
    return _READERS[tokenizer]


def decode_whole(tokenizer: Any, ids: Sequence[int]) -> tuple[str, int]:
    """`ids` decoded (special tokens left out) with only whole characters, and the bytes of an unfinished
    last character that were dropped."""
    text = tokenizer.decode(list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False)
    if not text.endswith(REPLACEMENT_CHAR):
        return text, 0
    reader = tokenizer_bytes_reader(tokenizer)
    data: bytes | None = None
    if reader is not None:
        special = set(tokenizer.all_special_ids)
        parts = [reader(token) for i, token in zip(ids, tokenizer.convert_ids_to_tokens(list(ids))) if i not in special]
        data = None if None in parts else b"".join(p for p in parts if p is not None)
    return drop_unfinished(text, data)


@dataclass
class VisibleText:
    """What part of the decoded text has been shown: UTF-8 safe, holding back possible stop strings."""

    stop_strings: tuple[str, ...]
    shown: str = ""
    unfinished_bytes: int = 0  # bytes of a character not finished yet at the end: held back, or dropped when final

    def advance(self, full: str, final: bool, data: bytes | None = None) -> tuple[str, bool]:
        """Return (new visible piece, hit a stop string) for the full decoded text so far.

        `data` are the bytes `full` was decoded from, when the tokenizer tells them: they say exactly
        which trailing U+FFFD is an unfinished character (without them, every trailing U+FFFD is).
        """
        hit = False
        for stop in self.stop_strings:
            at = full.find(stop, max(0, len(self.shown) - len(stop)))
            if at != -1:
                full, hit, final = full[:at], True, True
                data = before_stop(data, stop)
        # A character split over byte-level tokens decodes as U+FFFD until its last byte arrives.
        visible, self.unfinished_bytes = drop_unfinished(full, data)
        if not final:
            visible = self._hold_back_stop_start(visible.rstrip(REPLACEMENT_CHAR)).rstrip(REPLACEMENT_CHAR)
        if not visible.startswith(self.shown) or len(visible) <= len(self.shown):
            return "", hit
        piece = visible[len(self.shown):]
        self.shown = visible
        return piece, hit

    def _hold_back_stop_start(self, visible: str) -> str:
        """`visible` without a tail that may be the start of a stop string."""
        for stop in self.stop_strings:
            for size in range(min(len(stop) - 1, len(visible)), 0, -1):
                if visible.endswith(stop[:size]):
                    visible = visible[:-size]
                    break
        return visible
