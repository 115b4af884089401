"""The languages the app speaks and the language of the current run (a context variable)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, get_args

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
# Each language named in itself, as the switch shows it.
NATIVE_NAMES: dict[Language, str] = {"en": "English", "ru": "Русский"}

_current: ContextVar[Language | None] = ContextVar("mirror_language", default=None)
# Where the language comes from when no block set one: the UI registers the visitor's language here,
# so a Streamlit callback or a fragment's own rerun (which run before or without the page's frame)
# speak the visitor's language too.
_source: Callable[[], Language | None] | None = None


def set_language_source(source: Callable[[], Language | None] | None) -> None:
    global _source
    _source = source


def current_language() -> Language:
    """The language set for this context (`using_language`), else the registered source's, else English."""
    language = _current.get()
    if language is None and _source is not None:
        language = _source()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@contextmanager
def using_language(language: Language) -> Iterator[None]:
    """Run a block in `language` and restore the previous one after it (the CLI, tests)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: choose one of {', '.join(LANGUAGES)}")
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def language_from_tag(tag: str | None) -> Language | None:
    """The language of a BCP 47 tag or an Accept-Language-like value ("ru-RU", "ru", "en-GB,en;q=0.9"), if spoken."""
    if not tag:
        return None
    primary = tag.split(",")[0].split(";")[0].strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None  # type: ignore[return-value]
