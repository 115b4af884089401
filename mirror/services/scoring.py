"""Scoring a text: per token its probability, rank, entropy, surprisal and alternatives; the perplexity.

A text is scored in one forward pass when it fits the context window. A longer text is scored with
a sliding window (half a window of overlap), so every token still has at least half a window of
left context; `TextScore.windows` says how many passes it took.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from mirror.engine import forward
from mirror.engine.sampling import LOG2
from mirror.models import LoadedModel

TOP_ALTERNATIVES = 10
SCORE_BLOCK = 256  # positions whose logits are held at once
# Byte-level models treat this as "start of a document"; it gives the first token a context to be scored in.
DOCUMENT_START_TOKENS = ("<|endoftext|>", "<s>", "<|begin_of_text|>")


class ScoredAlternative(NamedTuple):
    """One of the model's top guesses at a position (a tuple too: exported as [id, token, prob])."""

    token_id: int
    token: str
    prob: float


@dataclass(frozen=True)
class TokenScore:
    index: int
    token_id: int
    token: str
    logprob: float  # natural log
    prob: float
    rank: int  # 1 = the model's top choice
    entropy: float  # bits, of the distribution the token was drawn from
    surprisal: float  # bits, -log2 p
    alternatives: tuple[ScoredAlternative, ...]  # most likely first

    def __post_init__(self) -> None:
        # Plain (id, token, prob) tuples (e.g. read back from an export) get their names.
        object.__setattr__(self, "alternatives", tuple(ScoredAlternative(*a) for a in self.alternatives))

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "alternatives": [list(a) for a in self.alternatives]}


@dataclass(frozen=True)
class TextScore:
    tokens: tuple[TokenScore, ...]
    start_token_id: int | None
    windows: int

    @property
    def mean_nll(self) -> float:
        return -sum(t.logprob for t in self.tokens) / len(self.tokens) if self.tokens else float("nan")

    @property
    def perplexity(self) -> float:
        return math.exp(self.mean_nll) if self.tokens else float("nan")

    @property
    def mean_surprisal(self) -> float:
        return self.mean_nll / LOG2 if self.tokens else float("nan")


def start_token_id(tokenizer: Any) -> int | None:
    """The token that opens a document for this model, or None (then the first token is not scored)."""
    vocab = tokenizer.get_vocab()
    for token in DOCUMENT_START_TOKENS:
        if token in vocab:
            return int(vocab[token])
    return None if tokenizer.bos_token_id is None else int(tokenizer.bos_token_id)


def _score_positions(lm: LoadedModel, ids: torch.Tensor, first: int, top: int) -> list[dict[str, Any]]:
    """Score ids[first:] given everything before them in `ids` (1-D), in one forward pass."""
    targets = ids[first:, None]
    rows: list[dict[str, Any]] = []
    # Blocks of positions bound the memory a long text takes; each figure needs one pass over a block.
    done = 0
    for block in forward.logits_in_blocks(lm.model, ids, first - 1, len(ids) - 1, SCORE_BLOCK):
        target = targets[done : done + len(block)]
        done += len(block)
        lse = torch.logsumexp(block, dim=-1, keepdim=True)
        probs = torch.exp(block - lse)
        entropy = (lse[:, 0] - (probs * block).sum(dim=-1)) / LOG2  # H = log Z - E[z], in bits
        chosen = block.gather(1, target)
        ranks = (block > chosen).sum(dim=1) + 1
        top_logits, top_ids = torch.topk(block, top, dim=-1)
        top_probs = torch.exp(top_logits - lse)
        rows += [
            dict(token_id=t, logprob=lp, rank=r, entropy=h, top=(ti, tp))
            for t, lp, r, h, ti, tp in zip(target[:, 0].tolist(), (chosen - lse)[:, 0].tolist(), ranks.tolist(),
                                           entropy.tolist(), top_ids.tolist(), top_probs.tolist())
        ]
    return rows


def score_ids(lm: LoadedModel, ids: list[int], top: int = TOP_ALTERNATIVES, window: int | None = None,
              context: list[int] | None = None) -> TextScore:
    """Score token ids given `context` (e.g. the chat prompt a reply answered; not scored itself).

    Without a context the text starts a document: the model's document-start token comes first, so
    the first token is scored too (when the model has no such token, the first token is not scored).
    """
    start = start_token_id(lm.tokenizer)
    prefix = list(context) if context else ([start] if start is not None else [])
    sequence = prefix + list(ids)
    first_scored = max(1, len(prefix))
    window = window or lm.context_length
    if window < 2:
        raise ValueError("the scoring window must hold at least 2 tokens")
    if len(prefix) >= window:
        raise ValueError(f"the context ({len(prefix)} tokens) does not fit the {window}-token window")

    def compute() -> tuple[list[dict[str, Any]], int]:
        rows: list[dict[str, Any]] = []
        passes = 0
        full = torch.tensor(sequence, dtype=torch.long, device=lm.device)
        stride = max(1, window // 2)
        begin, scored_to = 0, first_scored
        with torch.inference_mode():
            while scored_to < len(sequence):
                end = min(begin + window, len(sequence))
                rows += _score_positions(lm, full[begin:end], scored_to - begin, top)
                passes += 1
                scored_to = end
                begin = end - stride if end < len(sequence) else end
        return rows, passes

    rows, passes = lm.run(compute) if len(sequence) > first_scored else ([], 0)
    vocab_ids = sorted({i for r in rows for i in [r["token_id"], *r["top"][0]]})
    name_of = dict(zip(vocab_ids, lm.token_strings(vocab_ids)))
    offset = len(ids) - len(rows)
    tokens = tuple(
        TokenScore(
            index=offset + n, token_id=r["token_id"], token=name_of[r["token_id"]], logprob=r["logprob"],
            prob=math.exp(r["logprob"]), rank=r["rank"], entropy=r["entropy"], surprisal=-r["logprob"] / LOG2,
            alternatives=tuple(ScoredAlternative(i, name_of[i], p) for i, p in zip(*r["top"])),
        )
        for n, r in enumerate(rows)
    )
    return TextScore(tokens=tokens, start_token_id=None if context else start, windows=passes)


def score_text(lm: LoadedModel, text: str, top: int = TOP_ALTERNATIVES, window: int | None = None) -> TextScore:
    if not text.strip():
        raise ValueError("the text is empty")
    return score_ids(lm, lm.encode(text), top=top, window=window)
