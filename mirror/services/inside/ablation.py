"""What each word did: remove or replace one word of the prompt, score the same continuation again, compare.

This is causal, unlike attention: we change the input and measure what the model's output does, so a
word that moves the continuation's probability really mattered to this model on this text. Attention
weights only say where a head looked, not what changed the prediction.

The sequence `ids` is exactly what the model is fed (a plain text: the document-start token and the
text's tokens; a chat reply: the chat prompt and the reply), and `split` divides it into the prompt
`ids[:split]` and the continuation `ids[split:]`. Every figure comes from `scoring.score_ids` (the Token
Inspector's scoring), one forward pass per edited text; the continuation's token ids never change.
Log-probabilities are in nats (natural log), as in `TokenScore.logprob`; `bits_change` gives bits.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mirror.engine.sampling import LOG2
from mirror.i18n import t
from mirror.models import LoadedModel
from mirror.services import scoring
from mirror.services.scoring import TextScore

SPACE_MARKS = ("Ġ", "Ċ", "ĉ", "▁")  # byte-level space/newline/tab, SentencePiece space
SCORE_TOP = 1  # alternatives kept per token: the model's top guess before and after the edit


@dataclass(frozen=True)
class Word:
    """A run of prompt tokens `ids[first:end]`; `index` is its place among the prompt's words."""

    index: int
    first: int
    end: int
    text: str

    @property
    def leading(self) -> str:
        """The whitespace the word starts with (a replacement keeps it)."""
        return self.text[: len(self.text) - len(self.text.lstrip())]


@dataclass(frozen=True)
class Edit:
    word: Word
    replacement: str | None = None  # None: the word is removed

    @property
    def description(self) -> str:
        if self.replacement is None:
            return t("inside.svc.remove", word=self.word.text.strip())
        return t("inside.svc.replace", word=self.word.text.strip(), replacement=self.replacement.strip())


@dataclass(frozen=True)
class AblationResult:
    """The continuation's probabilities in the original and in the edited sequence, token by token."""

    edit: Edit
    edited_ids: list[int]  # the whole edited sequence: edited prompt + continuation
    edited_split: int  # where the continuation starts in edited_ids
    tokens: tuple[str, ...]  # the continuation's tokens, as text
    before: tuple[float, ...]  # each continuation token's probability in the original
    after: tuple[float, ...]  # ... in the edited sequence
    before_logprobs: tuple[float, ...]  # nats
    after_logprobs: tuple[float, ...]
    top_before: tuple[str, ...]  # the model's first choice at each continuation position, original
    top_after: tuple[str, ...]  # ... edited

    @property
    def edited_prompt(self) -> list[int]:
        return self.edited_ids[: self.edited_split]

    @property
    def continuation(self) -> list[int]:
        return self.edited_ids[self.edited_split :]

    @property
    def logprob_before(self) -> float:
        """The continuation's total log-probability in the original (nats)."""
        return sum(self.before_logprobs)

    @property
    def logprob_after(self) -> float:
        return sum(self.after_logprobs)

    @property
    def logprob_change(self) -> float:
        """After minus before, in nats: negative when the edit made the continuation less likely."""
        return self.logprob_after - self.logprob_before

    @property
    def bits_change(self) -> float:
        return self.logprob_change / LOG2

    @property
    def likelihood_ratio(self) -> float:
        """How many times more likely the whole continuation became (exp of the change; may overflow to inf)."""
        try:
            return math.exp(self.logprob_change)
        except OverflowError:
            return math.inf

    @property
    def prob_changes(self) -> tuple[float, ...]:
        """Per continuation token: probability after minus before."""
        return tuple(a - b for a, b in zip(self.after, self.before))

    @property
    def logprob_changes(self) -> tuple[float, ...]:
        return tuple(a - b for a, b in zip(self.after_logprobs, self.before_logprobs))

    def prob_change(self, target: int) -> float:
        """The change in the probability of continuation token `target` (0 = the first continuation token)."""
        _check_target(target, len(self.before))
        return self.after[target] - self.before[target]


@dataclass(frozen=True)
class Influence:
    """One word's influence: the result of removing it, read for the whole continuation or one token."""

    result: AblationResult
    target: int | None = None

    @property
    def word(self) -> Word:
        return self.result.edit.word

    @property
    def logprob_change(self) -> float:
        return self.result.logprob_change

    @property
    def target_change(self) -> float | None:
        """The chosen token's probability change, or None when no token was chosen."""
        return None if self.target is None else self.result.prob_change(self.target)

    @property
    def change(self) -> float:
        """What words are ranked by: the target's probability change, else the total log-probability change."""
        return self.logprob_change if self.target is None else self.result.prob_change(self.target)


def _check_split(ids: Sequence[int], split: int) -> None:
    if not 1 <= split < len(ids):
        raise ValueError(t("inside.svc.split", last=len(ids) - 1, count=len(ids), split=split))


def _check_target(target: int, length: int) -> None:
    if not 0 <= target < length:
        raise ValueError(t("inside.svc.target", count=length, last=length - 1, target=target))


def _special_ids(lm: LoadedModel) -> set[int]:
    specials = {int(i) for i in getattr(lm.tokenizer, "all_special_ids", [])}
    start = scoring.start_token_id(lm.tokenizer)
    return specials if start is None else specials | {start}


def _is_punctuation(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and all(unicodedata.category(c).startswith("P") for c in stripped)


def _token_views(lm: LoadedModel, ids: Sequence[int]) -> list[tuple[str, str]]:
    """(vocabulary piece, decoded text) of each token, on the model's owner thread."""
    def views() -> list[tuple[str, str]]:
        pieces = lm.tokenizer.convert_ids_to_tokens(list(ids))
        texts = [lm.tokenizer.decode([i], clean_up_tokenization_spaces=False) for i in ids]
        return [(str(p), t) for p, t in zip(pieces, texts)]

    return lm.run(views) if ids else []


def prompt_words(lm: LoadedModel, ids: Sequence[int], split: int) -> list[Word]:
    """The words of the prompt `ids[:split]`, in order.

    A word starts at a token that begins with a space or newline (after a run of whitespace-only tokens,
    which belong to the word they lead into), at a punctuation token, and after one. Special tokens
    (the document start, chat markers) break words and are never words; runs of whitespace only are
    not words either.
    """
    _check_split(ids, split)
    specials = _special_ids(lm)
    prompt = [int(i) for i in ids[:split]]
    views = _token_views(lm, prompt)
    runs: list[tuple[int, int]] = []
    first: int | None = None
    for position, (token_id, (piece, text)) in enumerate(zip(prompt, views)):
        if token_id in specials:
            if first is not None:
                runs.append((first, position))
            first = None
            continue
        previous_text = views[position - 1][1] if position else ""
        previous_blank = first is not None and not previous_text.strip()
        starts = (text[:1].isspace() or piece[:1] in SPACE_MARKS) and not previous_blank
        if first is None or starts or _is_punctuation(text) or _is_punctuation(previous_text):
            if first is not None:
                runs.append((first, position))
            first = position
    if first is not None:
        runs.append((first, len(prompt)))
    texts = lm.run(lambda: [lm.tokenizer.decode(prompt[a:b], clean_up_tokenization_spaces=False) for a, b in runs])
    words: list[Word] = []
    for (start, end), text in zip(runs, texts):
        if views[start][0][:1] == "▁" and not text[:1].isspace():
            text = " " + text  # SentencePiece decoding drops a leading space
        if text.strip():
            words.append(Word(index=len(words), first=start, end=end, text=text))
    return words


def replacement_ids(lm: LoadedModel, word: Word, replacement: str) -> list[int]:
    """The tokens that take the word's place: the replacement with the word's own leading whitespace."""
    if not replacement.strip():
        raise ValueError(t("inside.svc.replacement_empty"))
    new = lm.encode(word.leading + replacement.strip())
    if not new:
        raise ValueError(t("inside.svc.replacement_nothing", text=repr(replacement)))
    if set(new) & _special_ids(lm):
        raise ValueError(t("inside.svc.replacement_special", text=repr(replacement)))
    return new


def edited_prompt(lm: LoadedModel, ids: Sequence[int], split: int, edit: Edit) -> list[int]:
    """The prompt `ids[:split]` with the edit applied (the word's tokens dropped or replaced)."""
    _check_split(ids, split)
    word = edit.word
    if not 0 <= word.first < word.end <= split:
        raise ValueError(t("inside.svc.not_inside", word=repr(word.text), first=word.first, last=word.end - 1,
                           split=split))
    if set(ids[word.first : word.end]) & _special_ids(lm):
        raise ValueError(t("inside.svc.covers_special", word=repr(word.text)))
    middle = [] if edit.replacement is None else replacement_ids(lm, word, edit.replacement)
    return [int(i) for i in ids[: word.first]] + middle + [int(i) for i in ids[word.end : split]]


def score_continuation(lm: LoadedModel, prompt: Sequence[int], continuation: Sequence[int]) -> TextScore:
    """The continuation scored after `prompt`, the way the Token Inspector scores a text after its context.

    An empty prompt is scored after the model's document-start token (as a plain text is); a model
    without one cannot score the first continuation token, which is an error here.
    """
    context = list(prompt)
    if not context:
        start = scoring.start_token_id(lm.tokenizer)
        if start is None:
            raise ValueError(t("inside.svc.no_start"))
        context = [start]
    score = scoring.score_ids(lm, list(continuation), top=SCORE_TOP, context=context)
    if len(score.tokens) != len(continuation):
        raise ValueError(t("inside.svc.scored", scored=len(score.tokens), count=len(continuation)))
    return score


def ablate(lm: LoadedModel, ids: Sequence[int], split: int, edit: Edit,
           original: TextScore | None = None) -> AblationResult:
    """Apply one edit to the prompt and score the unchanged continuation again (one forward pass).

    `original` is the continuation already scored after the original prompt (`score_continuation`);
    without it the original is scored here too.
    """
    prompt = edited_prompt(lm, ids, split, edit)
    continuation = [int(i) for i in ids[split:]]
    if original is None:
        original = score_continuation(lm, ids[:split], continuation)
    elif [t.token_id for t in original.tokens] != continuation:
        raise ValueError(t("inside.svc.original_mismatch"))
    edited = score_continuation(lm, prompt, continuation)
    context = prompt or [t for t in [scoring.start_token_id(lm.tokenizer)] if t is not None]
    return AblationResult(
        edit=edit,
        edited_ids=context + continuation,
        edited_split=len(context),
        tokens=tuple(t.token for t in original.tokens),
        before=tuple(t.prob for t in original.tokens),
        after=tuple(t.prob for t in edited.tokens),
        before_logprobs=tuple(t.logprob for t in original.tokens),
        after_logprobs=tuple(t.logprob for t in edited.tokens),
        top_before=tuple(t.alternatives[0].token if t.alternatives else "" for t in original.tokens),
        top_after=tuple(t.alternatives[0].token if t.alternatives else "" for t in edited.tokens),
    )


def rank_words(lm: LoadedModel, ids: Sequence[int], split: int, target: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Influence]:
    """Remove each word of the prompt in turn; the words by influence, most influential first.

    The original is scored once, then one scoring per word. Influence is the absolute change in the
    continuation's total log-probability, or with `target` in that token's probability. `progress`
    is called with (words done, words in all) after each.
    """
    _check_split(ids, split)
    if target is not None:
        _check_target(target, len(ids) - split)
    words = prompt_words(lm, ids, split)
    if not words:
        raise ValueError(t("inside.svc.no_words"))
    original = score_continuation(lm, ids[:split], ids[split:])
    influences: list[Influence] = []
    for done, word in enumerate(words, start=1):
        influences.append(Influence(ablate(lm, ids, split, Edit(word), original=original), target))
        if progress is not None:
            progress(done, len(words))
    return ranked(influences, target)


def ranked(influences: Sequence[Influence], target: int | None = None) -> list[Influence]:
    """The same removals read for `target` (or the whole continuation), most influential first (no model call)."""
    if target is not None and influences:
        _check_target(target, len(influences[0].result.before))
    again = [Influence(i.result, target) for i in influences]
    return sorted(again, key=lambda i: (-abs(i.change), i.word.index))
