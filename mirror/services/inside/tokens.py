"""The Tokens view as pure data: each token the model sees, its id and bytes, and the characters they make.

A byte-level tokenizer (GPT-2, SmolLM2) cuts text into pieces of UTF-8 bytes, not characters: a
Cyrillic letter or an emoji may be spread over two or more tokens, and such a token alone is no
character at all. `token_pieces` gives every token's exact bytes; `character_groups` joins runs of
tokens back into the whole characters they make. Special tokens (the chat template's `<|im_start|>`)
stand for no bytes of any text; a piece keeps their own text, UTF-8 encoded, so that the pieces of a
chat prompt still join into the prompt's text. `token_cost` and `cost_ratio` compare what the same
sentence costs in two languages. The HTML built here escapes every token.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import pandas as pd

from mirror.engine.detokenize import tokenizer_bytes_reader, unfinished_tail
from mirror.i18n import fmt_number, t, tn
from mirror.models import LoadedModel
from mirror.text import visible_whitespace

CHIP_COLOURS = ("#dce0e8", "#cce4f7", "#d9f2d0", "#fbe7c6", "#ecd9f7")  # alternate, so token edges show
SPECIAL_STYLE = "background:#f5c2e7;border:1px solid #8839ef;color:#4c1d95;font-weight:600;"
GROUP_STYLE = "border:1px dashed #fe640b;border-radius:4px;padding:0 2px;margin:0 1px;display:inline-block;"


@dataclass(frozen=True)
class TokenPiece:
    """One token of the sequence the model is fed."""

    index: int  # position in the sequence
    token_id: int
    token: str  # the tokenizer's own token string ('Ġmirror', 'Ð', '<|im_start|>')
    data: bytes  # the bytes it stands for; a special token's own text, UTF-8 encoded
    special: bool  # a special or added token, such as the chat template's <|im_start|>

    @property
    def hex(self) -> str:
        """The bytes as hex pairs: 'd0 9c'."""
        return self.data.hex(" ")


@dataclass(frozen=True)
class CharacterGroup:
    """The smallest run of tokens (indices `first` to `last`, inclusive) whose bytes make whole characters."""

    first: int
    last: int
    text: str  # the characters they make (U+FFFD for bytes that make no character)
    split_characters: str = ""  # those of `text` whose bytes lie in more than one token
    special: bool = False  # one special token, its text shown as is

    @property
    def split(self) -> bool:
        """True when a character is spread over more than one token."""
        return self.last > self.first

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def describe(self) -> str:
        """'these 3 tokens make 1 character 🪞'."""
        characters = tn("inside.tokens.characters", len(self.text))
        if not self.split:
            return t("inside.tokens.group_one", characters=characters, text=repr(self.text))
        return t("inside.tokens.group_split", tokens=tn("inside.tokens.count", self.size), characters=characters,
                 text=self.text)


def _special_ids(tokenizer: Any) -> set[int]:
    ids = {int(i) for i in getattr(tokenizer, "all_special_ids", [])}
    return ids | {int(i) for i in getattr(tokenizer, "added_tokens_decoder", {})}


def _pieces(tokenizer: Any, ids: list[int]) -> list[TokenPiece]:
    """Runs on the tokenizer's owner thread."""
    tokens = tokenizer.convert_ids_to_tokens(ids)
    special = _special_ids(tokenizer)
    reader: Callable[[str], bytes | None] | None = tokenizer_bytes_reader(tokenizer)
    pieces = []
    for index, (token_id, token) in enumerate(zip(ids, tokens)):
        token = str(token)
        is_special = token_id in special
        data = None if is_special or reader is None else reader(token)
        if data is None:
            # A special token, or a tokenizer whose byte scheme is unknown: the token's own decoded text.
            text = token if is_special else tokenizer.decode([token_id], clean_up_tokenization_spaces=False)
            data = text.encode("utf-8")
        pieces.append(TokenPiece(index, int(token_id), token, data, is_special))
    return pieces


def token_pieces(lm: LoadedModel, ids: Sequence[int]) -> list[TokenPiece]:
    """Each of `ids` with its token string, its bytes and whether it is special."""
    return lm.run(_pieces, lm.tokenizer, [int(i) for i in ids])


def _split_characters(sizes: Sequence[int], data: bytes) -> str:
    """The characters of `data` (split into tokens of these byte sizes) that cross a token boundary."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""  # broken bytes make no character to count
    boundaries = set(accumulate(sizes[:-1]))
    split, start = [], 0
    for char in text:
        end = start + len(char.encode("utf-8"))
        if any(start < b < end for b in boundaries):
            split.append(char)
        start = end
    return "".join(split)


def _group(pieces: Sequence[TokenPiece]) -> CharacterGroup:
    data = b"".join(p.data for p in pieces)
    return CharacterGroup(pieces[0].index, pieces[-1].index, data.decode("utf-8", errors="replace"),
                          _split_characters([len(p.data) for p in pieces], data))


def character_groups(pieces: Sequence[TokenPiece]) -> list[CharacterGroup]:
    """The pieces cut into the smallest runs whose bytes decode to whole characters, in order.

    A run ends as soon as its bytes end on a character boundary (or on bytes no continuation could
    mend, shown as U+FFFD). A special token is a group of its own; an unfinished character at the
    end of the sequence closes the last group with U+FFFD.
    """
    groups: list[CharacterGroup] = []
    run: list[TokenPiece] = []
    for piece in pieces:
        if piece.special:
            if run:
                groups.append(_group(run))
                run = []
            groups.append(CharacterGroup(piece.index, piece.index, piece.token, special=True))
            continue
        run.append(piece)
        if not unfinished_tail(b"".join(p.data for p in run)):
            groups.append(_group(run))
            run = []
    if run:
        groups.append(_group(run))
    return groups


@dataclass(frozen=True)
class TokensSummary:
    tokens: int
    special_tokens: int
    characters: int  # of the text the non-special tokens make
    split_characters: int  # of those, the ones spread over more than one token

    def caption(self) -> str:
        special = t("inside.tokens.summary_special", count=self.special_tokens) if self.special_tokens else ""
        return (f"{tn('inside.tokens.count', self.tokens)}{special}, {tn('inside.tokens.characters', self.characters)}; "
                f"{tn('inside.tokens.summary_split', self.split_characters)}")


def tokens_summary(pieces: Sequence[TokenPiece], groups: Sequence[CharacterGroup]) -> TokensSummary:
    text_groups = [g for g in groups if not g.special]
    return TokensSummary(len(pieces), sum(p.special for p in pieces), sum(len(g.text) for g in text_groups),
                         sum(len(g.split_characters) for g in text_groups))


def _group_of(groups: Sequence[CharacterGroup]) -> dict[int, CharacterGroup]:
    """Each token index's group."""
    return {index: g for g in groups for index in range(g.first, g.last + 1)}


def token_text(piece: TokenPiece) -> str:
    """The token's own text with whitespace drawn; U+FFFD marks bytes that are only part of a character."""
    if piece.special:
        return piece.token
    return visible_whitespace(piece.data.decode("utf-8", errors="replace"))


TABLE_COLUMNS = ("position", "token", "id", "bytes", "special", "characters", "vocabulary entry")


def token_table(pieces: Sequence[TokenPiece], groups: Sequence[CharacterGroup] | None = None) -> pd.DataFrame:
    """One row per token: position, its text (whitespace drawn), id, bytes in hex, special, the characters
    its group makes, and the tokenizer's own spelling of it ('Ġmirror')."""
    group_of = _group_of(character_groups(pieces) if groups is None else groups)
    rows = []
    for p in pieces:
        group = group_of.get(p.index)
        rows.append(dict(zip(TABLE_COLUMNS, (p.index, token_text(p), p.token_id, p.hex, p.special,
                                             "" if group is None else visible_whitespace(group.text), p.token))))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _chip(piece: TokenPiece, shown: str) -> str:
    title = t("inside.tokens.chip", index=piece.index, id=piece.token_id, bytes=piece.hex or t("inside.tokens.chip_none"))
    if piece.special:
        style, title = SPECIAL_STYLE, title + t("inside.tokens.chip_special")
    else:
        style = f"background:{CHIP_COLOURS[piece.index % len(CHIP_COLOURS)]};"
    return (f'<span class="mm-chip{" mm-special" if piece.special else ""}" data-index="{piece.index}" '
            f'data-id="{piece.token_id}" title="{html.escape(title)}" style="{style}border-radius:3px;'
            f'padding:1px 3px;margin:1px;display:inline-block;font-family:monospace;">{html.escape(shown)}</span>')


def _whole(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def tokens_html(pieces: Sequence[TokenPiece], groups: Sequence[CharacterGroup] | None = None) -> str:
    """The pieces as escaped chips, a tooltip of id and bytes on each.

    A token that makes whole characters shows them (whitespace drawn); tokens that only together make
    a character show their hex bytes inside a dashed frame, followed by the character they make.
    """
    groups = character_groups(pieces) if groups is None else groups
    by_index = {p.index: p for p in pieces}
    parts = []
    for group in groups:
        members = [by_index[i] for i in range(group.first, group.last + 1) if i in by_index]
        if group.special:
            parts.extend(_chip(p, p.token) for p in members)
        elif not group.split:
            parts.extend(_chip(p, visible_whitespace(group.text) if _whole(p.data) else p.hex) for p in members)
        else:
            chips = "".join(_chip(p, p.hex) for p in members)
            parts.append(f'<span class="mm-group" title="{html.escape(group.describe())}" style="{GROUP_STYLE}">'
                         f'{chips}<span style="margin-left:3px;">= {html.escape(visible_whitespace(group.text))}'
                         "</span></span>")
        if group.text.endswith("\n"):
            parts.append("<br>")
    return ('<div class="mm-tokens" style="line-height:2.1;font-size:1rem;color:#1e1e2e;">'
            f'{"".join(parts)}</div>')


def split_descriptions(groups: Sequence[CharacterGroup], limit: int = 5) -> list[str]:
    """Up to `limit` sentences about groups that spread characters over several tokens."""
    return [g.describe() for g in groups if g.split and not g.special][:limit]


@dataclass(frozen=True)
class TokenCost:
    text: str
    tokens: int
    characters: int
    utf8_bytes: int

    @property
    def characters_per_token(self) -> float:
        return self.characters / self.tokens if self.tokens else 0.0


def token_cost(lm: LoadedModel, text: str) -> TokenCost:
    """How many tokens, characters and UTF-8 bytes `text` takes (no special tokens added)."""
    if not text:
        raise ValueError(t("inside.svc.text_empty"))
    return TokenCost(text, len(lm.encode(text)), len(text), len(text.encode("utf-8")))


def cost_ratio(a: TokenCost, b: TokenCost) -> float:
    """How many times as many tokens `b` costs as `a`."""
    if a.tokens == 0:
        raise ValueError(t("inside.svc.cannot_compare", text=repr(a.text)))
    return b.tokens / a.tokens


def ratio_sentence(ratio: float, name_a: str | None = None, name_b: str | None = None) -> str:
    """'The Russian sentence costs 2.3× as many tokens as the English one.'"""
    name_a = t("inside.tokens.first") if name_a is None else name_a
    name_b = t("inside.tokens.second") if name_b is None else name_b
    if round(ratio, 2) == 1:
        return t("inside.tokens.ratio_same", name_a=name_a, name_b=name_b)
    if ratio >= 1:
        return t("inside.tokens.ratio_more", name_a=name_a, name_b=name_b, ratio=fmt_number(ratio, 1, group=False))
    return t("inside.tokens.ratio_less", name_a=name_a, name_b=name_b, ratio=fmt_number(ratio, 2, group=False))

