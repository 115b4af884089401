"""Lesson links: a page's view written into a URL's query and read back, checked like any other input.

A link carries the language, the model, the decoding parameters, the seed, whether the projector view
is on, and the page's own fields (its prompt, a chosen token or position, the open tab). Reading a link
never trusts it: parameters outside their ranges, a seed that is not a number, an unknown language or an
oversized text are dropped one by one, each with a reason, and the rest of the link still applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import numpy as np

from mirror.config import PARAM_RANGES
from mirror.engine.sampling import ParameterError, SamplingParams
from mirror.i18n import LANGUAGES, Language

PARAMS = tuple(PARAM_RANGES)  # temperature, top_k, ... max_new_tokens: the query keys are the field names
SHARED_KEYS = ("lang", "model", *PARAMS, "seed", "projector")
MAX_FIELD_CHARS = 4000  # a prompt longer than this does not belong in a URL
# A whole link's query, percent-encoded: nginx reads a request line into 8 KB buffers by default
# (large_client_header_buffers) and refuses a longer one, and a Cyrillic letter takes 6 bytes encoded.
MAX_QUERY_BYTES = 7000
MAX_MODEL_CHARS = 200


@dataclass(frozen=True)
class LessonView:
    """What a link restores. None means "not in the link": the visitor's own value stays."""

    lang: Language | None = None
    model: str | None = None
    params: dict[str, float | int] = field(default_factory=dict)  # only the parameters the link sets
    seed: int | None = None
    projector: bool = False
    fields: dict[str, str] = field(default_factory=dict)  # the page's own: prompt, position, tab, ...
    problems: tuple[str, ...] = ()  # what was dropped, as catalog-free reasons: (query key, ...)

    def query(self) -> dict[str, str]:
        """The view as query parameters, in a stable order."""
        out: dict[str, str] = {}
        if self.lang:
            out["lang"] = self.lang
        if self.model:
            out["model"] = self.model
        for name in PARAMS:
            if name in self.params:
                out[name] = f"{self.params[name]:g}" if isinstance(self.params[name], float) else str(self.params[name])
        if self.seed is not None:
            out["seed"] = str(self.seed)
        if self.projector:
            out["projector"] = "1"
        out.update({k: v for k, v in self.fields.items() if v != ""})
        return out

    def query_string(self) -> str:
        return urlencode(self.query())


def fit_link(view: LessonView, limit: int = MAX_QUERY_BYTES) -> tuple[LessonView, tuple[str, ...]]:
    """`view` without its last page fields until its query string fits in `limit` bytes, and the fields left out.

    Fields come in the page's order, and a later one means nothing without those before it (an inspector's
    token without its text, a chat's third question without its second), so they go from the end. A field
    longer than `read_view` takes goes at once, with every field after it.
    """
    names = list(view.fields)
    too_long = next((n for n, name in enumerate(names) if len(view.fields[name]) > MAX_FIELD_CHARS), len(names))
    kept = {name: view.fields[name] for name in names[:too_long]}
    left_out: list[str] = names[too_long:]
    while kept and len(replace(view, fields=kept).query_string()) > limit:
        name = next(reversed(kept))
        left_out.insert(0, name)
        del kept[name]
    return replace(view, fields=kept), tuple(left_out)


def view_of(params: SamplingParams, lang: Language, model: str, fields: Mapping[str, object],
            projector: bool = False) -> LessonView:
    """The view a page shows now: every parameter, the seed when it is fixed, and the page's fields."""
    bad = [k for k in fields if k in SHARED_KEYS]
    if bad:
        raise ValueError(f"page fields may not reuse the shared link keys: {bad}")
    return LessonView(lang=lang, model=model, params={n: getattr(params, n) for n in PARAMS}, seed=params.seed,
                      projector=projector, fields={k: str(v) for k, v in fields.items() if v is not None})


def read_view(query: Mapping[str, str], page_fields: tuple[str, ...] = ()) -> LessonView:
    """The view a link asks for; every value is checked, and what does not hold is named in `problems`."""
    problems: list[str] = []
    lang = query.get("lang")
    if lang is not None and lang not in LANGUAGES:
        problems.append("lang")
        lang = None
    model = query.get("model")
    if model is not None and (not model.strip() or len(model) > MAX_MODEL_CHARS or not model.isprintable()):
        problems.append("model")
        model = None
    params: dict[str, float | int] = {}
    for name in PARAMS:
        if name not in query:
            continue
        spec = PARAM_RANGES[name]
        try:
            value: float | int = int(query[name]) if spec.is_int else float(query[name])
            SamplingParams(**{name: value})  # the engine's own range check
        except (ValueError, ParameterError, OverflowError):
            problems.append(name)
            continue
        params[name] = value
    seed = None
    if "seed" in query:
        try:
            seed = int(query["seed"])
            SamplingParams(seed=seed)
        except (ValueError, ParameterError):
            problems.append("seed")
            seed = None
    fields = {}
    for name in page_fields:
        value = query.get(name)
        if value is None:
            continue
        if len(value) > MAX_FIELD_CHARS:
            problems.append(name)
            continue
        fields[name] = value
    return LessonView(lang=lang, model=model, params=params, seed=seed, projector=query.get("projector") == "1",
                      fields=fields, problems=tuple(problems))


# --- How an inspected text was written: its tokens, the prompt it answered, the sampler's probabilities ----
WRITTEN_ORIGINS = ("chat", "explorer", "fork")
_PARTS, _IDS, _PROBS = "~", ".", "_"  # unreserved in a URL: they travel as they are


@dataclass(frozen=True)
class WrittenText:
    """What an inspector link carries about a text the mirror wrote, so that the inspector scores the same
    tokens after the same prompt and shows the probabilities the sampler used (not the text re-tokenized
    on its own)."""

    origin: str  # which page wrote it: one of WRITTEN_ORIGINS
    seed: int | None
    token_ids: tuple[int, ...]
    context_ids: tuple[int, ...]
    sampler_probs: tuple[float | None, ...]  # per token; None where the sampler did not choose it

    def __post_init__(self) -> None:
        if self.origin not in WRITTEN_ORIGINS:
            raise ValueError(f"unknown origin {self.origin!r}")
        if self.seed is not None:
            SamplingParams(seed=self.seed)  # ParameterError is a ValueError
        if not self.token_ids or len(self.sampler_probs) > len(self.token_ids):
            raise ValueError("a written text needs its tokens, and at most one probability per token")
        if any(not 0 <= i < 2**31 for i in (*self.token_ids, *self.context_ids)):
            raise ValueError("a token id out of range")
        if any(p is not None and not (math.isfinite(p) and 0.0 <= p <= 1.0) for p in self.sampler_probs):
            raise ValueError("a probability outside [0, 1]")


def _probability_text(p: float | None) -> str:
    # The sampler's probabilities are float32 values: their shortest float32 text reads back exactly. Any
    # other float is written whole, marked with "d" (0.1 and float32's 0.1 are different numbers).
    if p is None:
        return ""
    single = np.float32(p)
    return str(single) if float(single) == p else f"{p!r}d"


def _probability(text: str) -> float | None:
    if text == "":
        return None
    if text.endswith("d"):
        return float(text[:-1])
    return float(np.float32(text))


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(_IDS)) if text else ()


def write_written(written: WrittenText) -> str:
    """The link text of `written`: origin~seed~token ids~context ids~probabilities."""
    return _PARTS.join([written.origin, "" if written.seed is None else str(written.seed),
                        _IDS.join(map(str, written.token_ids)), _IDS.join(map(str, written.context_ids)),
                        _PROBS.join(_probability_text(p) for p in written.sampler_probs)])


def read_written(text: str) -> WrittenText:
    """`write_written`'s text back; ValueError for anything a link should not hold."""
    parts = text.split(_PARTS)
    if len(parts) != 5:
        raise ValueError("a written text has five parts")
    origin, seed, ids, context, probs = parts
    return WrittenText(origin=origin, seed=int(seed) if seed else None, token_ids=_ids(ids), context_ids=_ids(context),
                       sampler_probs=tuple(_probability(p) for p in probs.split(_PROBS)) if probs else ())


def written_of(origin: str | None, seed: int | None, token_ids: Sequence[int], context_ids: Sequence[int],
               sampler_probs: Sequence[float | None] | None) -> WrittenText | None:
    """How a text the inspector shows was written, for a link; None for a text the visitor pasted."""
    if origin not in WRITTEN_ORIGINS or not token_ids:
        return None
    return WrittenText(origin, seed, tuple(token_ids), tuple(context_ids), tuple(sampler_probs or ()))
