"""Lesson links: a page's view written into a URL's query and read back, checked like any other input.

A link carries the language, the model, the decoding parameters, the seed, whether the projector view
is on, and the page's own fields (its prompt, a chosen token or position, the open tab). Reading a link
never trusts it: parameters outside their ranges, a seed that is not a number, an unknown language or an
oversized text are dropped one by one, each with a reason, and the rest of the link still applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

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
    token without its text, a chat's third question without its second), so they go from the end.
    """
    kept = dict(view.fields)
    left_out: list[str] = []
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
