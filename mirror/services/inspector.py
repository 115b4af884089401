"""What the Token Inspector shows, as pure data: rank buckets, colours, the coloured text, summaries, tables.

GLTR's idea: colour each token by how highly the model ranked it. Text a model wrote sits mostly in
the top-10 bucket; human text has more surprises. The coloured text is HTML built here with every
token escaped, so text that looks like markup (`<script>`, `</span>`) shows as text and runs nothing.

Colour is never the only sign: every bucket also has its own underline style (solid, double, dotted,
wavy), each token's tooltip and aria-label name its bucket in words, and the page offers the same
figures as a table. The palette is Okabe–Ito's (told apart with every common colour-vision
deficiency), and the token text keeps a WCAG AA contrast of at least 4.5:1 on each background
(`contrast_ratio`, checked by the tests).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from mirror.engine.detokenize import unfinished_tail
from mirror.i18n import fmt_number, t
from mirror.services.scoring import ScoredAlternative, TextScore, TokenScore
from mirror.text import spreadsheet_safe


class Bucket(NamedTuple):
    name: str  # the stable internal name (tables, CSV, Summary); `bucket_label` is what people read
    limit: float  # highest rank in the bucket
    colour: str  # background
    underline: str  # CSS text-decoration-style: the bucket's sign without colour


# As in GLTR: green, yellow, orange, violet, in Okabe–Ito's colour-blind-safe hues.
BUCKETS: tuple[Bucket, ...] = (
    Bucket("top 10", 10, "#009e73", "solid"),  # bluish green
    Bucket("top 100", 100, "#f0e442", "double"),  # yellow
    Bucket("top 1000", 1000, "#e69f00", "dotted"),  # orange
    Bucket("rest", math.inf, "#cc79a7", "wavy"),  # reddish purple
)
BUCKET_NAMES = tuple(b.name for b in BUCKETS)
TEXT_COLOUR = "#1e1e2e"  # the token text on every background
UNKNOWN_COLOUR = "#dce0e8"  # a token whose probability nobody reported
# Probability, from unlikely to likely: reddish purple, orange, yellow (a plasma-like scale whose
# lightness rises with the probability, so it reads in greyscale too).
PROBABILITY_STOPS = ("#cc79a7", "#e69f00", "#f0e442")
WCAG_AA = 4.5


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour "#rrggbb" (0 black, 1 white)."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"expected a colour as #rrggbb, got {colour!r}")
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white); AA text needs 4.5."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _bucket_of(rank: int) -> Bucket:
    if rank < 1:
        raise ValueError(f"ranks start at 1, got {rank}")
    return next(b for b in BUCKETS if rank <= b.limit)


def rank_bucket(rank: int) -> str:
    """The GLTR bucket of a 1-based rank (its internal name)."""
    return _bucket_of(rank).name


def bucket_label(name: str) -> str:
    """A bucket's name in words, in the current language."""
    return t(f"inspector.bucket.{BUCKET_NAMES.index(name)}")


def bucket_colour(rank: int) -> str:
    return _bucket_of(rank).colour


def _mix(first: str, second: str, share: float) -> str:
    a = [int(first[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(second[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b))


def probability_colour(prob: float) -> str:
    """Reddish purple (unlikely) through orange to yellow (likely) on a log scale: 1e-4 or less is the first."""
    share = min(1.0, max(0.0, (math.log10(max(prob, 1e-12)) + 4) / 4))
    steps = len(PROBABILITY_STOPS) - 1
    low = min(int(share * steps), steps - 1)
    return _mix(PROBABILITY_STOPS[low], PROBABILITY_STOPS[low + 1], share * steps - low)


def _underline(style: str) -> str:
    return (f"text-decoration-line:underline;text-decoration-style:{style};text-decoration-thickness:2px;"
            "text-underline-offset:2px;text-decoration-skip-ink:none;")


def shown_token(token: str) -> str:
    """Token text for the coloured view: spaces kept, tabs and newlines drawn (a newline also breaks the line)."""
    return token.replace("\t", "⇥").replace("\r", "↵").replace("\n", "⏎\n")


def whole_characters(chunks: Sequence[bytes]) -> list[str]:
    """Each token's share of the text when only whole characters are shown, from the tokens' bytes.

    A byte-level tokenizer may split one character over several tokens (most Cyrillic letters, for
    SmolLM2): alone, each piece decodes to U+FFFD. Here the character shows on the token that
    completes it and the tokens before show nothing, so the pieces read exactly as the text.
    """
    pieces: list[str] = []
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        tail = unfinished_tail(data)
        done, pending = (data[:-tail], data[-tail:]) if tail else (data, b"")
        pieces.append(done.decode("utf-8", errors="replace"))
    if pending and pieces:
        pieces[-1] += pending.decode("utf-8", errors="replace")
    return pieces


class Span(NamedTuple):
    """One token of the coloured text."""

    index: int
    token: str
    colour: str
    title: str  # the tooltip, in words
    label: str  # the token and what its colour means, in words: the name of a chip that shows no text
    chosen: bool = False
    underline: str = ""  # a text-decoration-style, or none


def _text_html(spans: Sequence[Span]) -> str:
    """Escaped coloured text from its spans."""
    parts = []
    for span in spans:
        border = "outline:2px solid #1e66f5;" if span.chosen else ""
        line = _underline(span.underline) if span.underline else ""
        # A token that only begins a character shows nothing: a narrow chip keeps it there to point at, and
        # as an image it gets a name. A span with text keeps it: ARIA forbids naming a plain span, and screen
        # readers read its text; the table view lists every token's figures for them.
        part, named = ("", "") if span.token else (
            "display:inline-block;min-width:0.3em;", f'role="img" aria-label="{html.escape(span.label)}" ')
        parts.append(f'<span class="mm-token" data-index="{span.index}" title="{html.escape(span.title)}" {named}'
                     f'style="background:{span.colour};{border}{line}{part}border-radius:3px;padding:1px 0 4px;">'
                     f"{html.escape(shown_token(span.token))}</span>")
    return ('<div class="mm-text" style="white-space:pre-wrap;line-height:1.9;font-size:1.05rem;'
            f'color:{TEXT_COLOUR};">{"".join(parts)}</div>')


def _token_span(token: TokenScore, mode: str, selected: int | None, piece: str | None) -> Span:
    bucket = _bucket_of(token.rank)
    shown = token.token if piece is None else piece
    fields = dict(index=token.index, prob=fmt_number(token.prob, 4), rank=token.rank, bucket=bucket_label(bucket.name),
                  token=shown_token(shown or token.token).replace("\n", ""))
    return Span(token.index, shown, bucket.colour if mode == "rank" else probability_colour(token.prob),
                t("inspector.token.title", **fields), t("inspector.token.aria", **fields), token.index == selected,
                bucket.underline if mode == "rank" else "")


def coloured_html(tokens: Sequence[TokenScore], mode: str = "rank", selected: int | None = None,
                  pieces: Sequence[str] | None = None) -> str:
    """The text as escaped HTML spans coloured by rank bucket ("rank") or by probability ("prob").

    `pieces` (by token index, from `whole_characters`) is what each token shows; without them each
    token shows its own decoding (a piece of a character is then U+FFFD).
    """
    if mode not in ("rank", "prob"):
        raise ValueError(f"mode must be 'rank' or 'prob', got {mode!r}")
    return _text_html([_token_span(token, mode, selected, None if pieces is None else pieces[token.index])
                       for token in tokens])


LEGEND_PROBABILITIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def _probability_label(p: float) -> str:
    key = "inspector.legend.at_most" if p == LEGEND_PROBABILITIES[0] else "inspector.legend.equal"
    return t(key, p=fmt_number(p, max(0, round(-math.log10(p)))))


def legend_html(mode: str = "rank") -> str:
    """The legend: each bucket's colour and underline (or the probability scale), named in words."""
    chip = "border-radius:3px;padding:1px 6px 4px;margin-right:6px;"
    if mode == "rank":
        items = [(b.colour, bucket_label(b.name), _underline(b.underline)) for b in BUCKETS]
    else:
        items = [(probability_colour(p), _probability_label(p), "") for p in LEGEND_PROBABILITIES]
    return " ".join(f'<span class="mm-legend" style="background:{colour};{chip}{line}color:{TEXT_COLOUR};">'
                    f"{html.escape(label)}</span>" for colour, label, line in items)


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
        for token in score.tokens:
            counts[rank_bucket(token.rank)] += 1
        return cls(n, score.perplexity, score.mean_surprisal, {k: v / n if n else 0.0 for k, v in counts.items()})


def token_table(score: TextScore, sampler_probs: Sequence[float | None] | None = None) -> pd.DataFrame:
    """One row per token: what the CSV download and the tables show."""
    rows = []
    for token in score.tokens:
        best = token.alternatives[0] if token.alternatives else ScoredAlternative(-1, "", float("nan"))
        row = {"index": token.index, "token": token.token, "token_id": token.token_id, "probability": token.prob,
               "log_probability": token.logprob, "rank": token.rank, "bucket": rank_bucket(token.rank),
               "entropy_bits": token.entropy, "surprisal_bits": token.surprisal, "top_alternative": best.token,
               "top_alternative_probability": best.prob}
        if sampler_probs is not None:
            row["sampler_probability"] = sampler_probs[token.index] if token.index < len(sampler_probs) else None
        rows.append(row)
    return pd.DataFrame(rows)


def least_confident(score: TextScore, n: int = 5) -> list[TokenScore]:
    return sorted(score.tokens, key=lambda token: token.prob)[:n]


def safe_csv(frame: pd.DataFrame) -> str:
    """CSV with text cells that a spreadsheet would run as a formula made inert."""
    text_columns = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object]
    return frame.assign(**{c: frame[c].map(spreadsheet_safe) for c in text_columns}).to_csv(index=False)


def probability_html(tokens: Sequence[str], probs: Sequence[float | None]) -> str:
    """Escaped coloured text from recorded probabilities (a remote server's reply); grey where unknown."""
    spans = []
    for i, (token, p) in enumerate(zip(tokens, probs)):
        shown = fmt_number(p, 4) if p is not None else "?"
        token_text = shown_token(token).replace("\n", "")
        label = (t("inspector.token.aria_unknown", token=token_text) if p is None
                 else t("inspector.token.aria_prob", token=token_text, prob=shown))
        spans.append(Span(i, token, UNKNOWN_COLOUR if p is None else probability_colour(p), f"#{i} · {label}", label))
    return _text_html(spans)
