"""What the Token Inspector shows, as pure data: rank buckets, colours, the coloured text, summaries, tables.

GLTR's idea: colour each token by how highly the model ranked it. Text a model wrote sits mostly in
the top-10 bucket; human text has more surprises. The coloured text is HTML built here with every
token escaped, so text that looks like markup (`<script>`, `</span>`) shows as text and runs nothing.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mirror.services.scoring import ScoredAlternative, TextScore, TokenScore
from mirror.text import spreadsheet_safe

# (name, highest rank in the bucket, colour) as in GLTR: green, yellow, red, violet.
BUCKETS: tuple[tuple[str, float, str], ...] = (
    ("top 10", 10, "#a6e3a1"),
    ("top 100", 100, "#f9e2af"),
    ("top 1000", 1000, "#f5a97f"),
    ("rest", math.inf, "#cba6f7"),
)
BUCKET_NAMES = tuple(name for name, _, _ in BUCKETS)


def rank_bucket(rank: int) -> str:
    """The GLTR bucket of a 1-based rank."""
    if rank < 1:
        raise ValueError(f"ranks start at 1, got {rank}")
    return next(name for name, limit, _ in BUCKETS if rank <= limit)


def bucket_colour(rank: int) -> str:
    return next(colour for name, limit, colour in BUCKETS if rank <= limit)


def probability_colour(prob: float) -> str:
    """Red (unlikely) to green (likely) on a log scale: 1e-4 or less is fully red."""
    t = min(1.0, max(0.0, (math.log10(max(prob, 1e-12)) + 4) / 4))
    red, green = (243, 139, 168), (166, 227, 161)
    r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(red, green))
    return f"#{r:02x}{g:02x}{b:02x}"


def shown_token(token: str) -> str:
    """Token text for the coloured view: spaces kept, tabs and newlines drawn (a newline also breaks the line)."""
    return token.replace("\t", "⇥").replace("\r", "↵").replace("\n", "⏎\n")


def _text_html(spans: Sequence[tuple[int, str, str, str, bool]]) -> str:
    """Escaped coloured text from (index, token, colour, tooltip, selected) tuples."""
    parts = []
    for index, token, colour, title, chosen in spans:
        border = "outline:2px solid #1e66f5;" if chosen else ""
        parts.append(f'<span class="mm-token" data-index="{index}" title="{html.escape(title)}" '
                     f'style="background:{colour};{border}border-radius:3px;padding:1px 0;">'
                     f"{html.escape(shown_token(token))}</span>")
    return ('<div class="mm-text" style="white-space:pre-wrap;line-height:1.9;font-size:1.05rem;'
            f'color:#1e1e2e;">{"".join(parts)}</div>')


def coloured_html(tokens: Sequence[TokenScore], mode: str = "rank", selected: int | None = None) -> str:
    """The text as escaped HTML spans coloured by rank bucket ("rank") or by probability ("prob")."""
    if mode not in ("rank", "prob"):
        raise ValueError(f"mode must be 'rank' or 'prob', got {mode!r}")
    return _text_html([(t.index, t.token, bucket_colour(t.rank) if mode == "rank" else probability_colour(t.prob),
                        f"#{t.index} p={t.prob:.4f} rank {t.rank}", t.index == selected) for t in tokens])


def legend_html(mode: str = "rank") -> str:
    if mode == "rank":
        items = [(colour, name) for name, _, colour in BUCKETS]
    else:
        items = [(probability_colour(p), label) for p, label in ((1e-4, "p ≤ 0.0001"), (1e-2, "p = 0.01"),
                                                                 (1.0, "p = 1"))]
    return " ".join(f'<span style="background:{c};border-radius:3px;padding:1px 6px;margin-right:6px;'
                    f'color:#1e1e2e;">{html.escape(label)}</span>' for c, label in items)


@dataclass(frozen=True)
class Summary:
    tokens: int
    perplexity: float
    mean_surprisal: float  # bits
    bucket_shares: dict[str, float]  # share of tokens per bucket, in BUCKETS order

    @classmethod
    def of(cls, score: TextScore) -> "Summary":
        n = len(score.tokens)
        counts = {name: 0 for name in BUCKET_NAMES}
        for t in score.tokens:
            counts[rank_bucket(t.rank)] += 1
        return cls(n, score.perplexity, score.mean_surprisal, {k: v / n if n else 0.0 for k, v in counts.items()})


def token_table(score: TextScore, sampler_probs: Sequence[float | None] | None = None) -> pd.DataFrame:
    """One row per token: what the CSV download and the tables show."""
    rows = []
    for t in score.tokens:
        best = t.alternatives[0] if t.alternatives else ScoredAlternative(-1, "", float("nan"))
        row = {"index": t.index, "token": t.token, "token_id": t.token_id, "probability": t.prob,
               "log_probability": t.logprob, "rank": t.rank, "bucket": rank_bucket(t.rank),
               "entropy_bits": t.entropy, "surprisal_bits": t.surprisal, "top_alternative": best.token,
               "top_alternative_probability": best.prob}
        if sampler_probs is not None:
            row["sampler_probability"] = sampler_probs[t.index] if t.index < len(sampler_probs) else None
        rows.append(row)
    return pd.DataFrame(rows)


def least_confident(score: TextScore, n: int = 5) -> list[TokenScore]:
    return sorted(score.tokens, key=lambda t: t.prob)[:n]


def safe_csv(frame: pd.DataFrame) -> str:
    """CSV with text cells that a spreadsheet would run as a formula made inert."""
    text_columns = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object]
    return frame.assign(**{c: frame[c].map(spreadsheet_safe) for c in text_columns}).to_csv(index=False)


def probability_html(tokens: Sequence[str], probs: Sequence[float | None]) -> str:
    """Escaped coloured text from recorded probabilities (a remote server's reply); grey where unknown."""
    return _text_html([(i, token, "#dce0e8" if p is None else probability_colour(p),
                        f"#{i} p={'?' if p is None else f'{p:.4f}'}", False)
                       for i, (token, p) in enumerate(zip(tokens, probs))])
