"""The catalog: every area's messages under one set of keys, and `t` to read one in the current language.

An area is a module of `mirror.i18n.messages` with `MESSAGES: dict[str, Text]`; its keys are read with
the area's name in front (`chat` + `send` = `chat.send`). Counted texts (`tn`) hold their plural forms
separated by `|`: English one|other, Russian one|few|many (1 ответ, 2 ответа, 5 ответов).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any

from mirror.i18n.formats import fmt_int
from mirror.i18n.language import Language, current_language
from mirror.i18n.messages import chat, classroom, common, explorer, home, inside, inspector, models
from mirror.i18n.text import Text

AREAS: tuple[ModuleType, ...] = (common, home, chat, explorer, inspector, inside, classroom, models)


class MissingText(KeyError):
    """A key the catalog does not have (a typo or a text not yet written): always a bug, never the user's."""


def _build() -> MappingProxyType[str, Text]:
    merged: dict[str, Text] = {}
    for area in AREAS:
        name = area.__name__.rsplit(".", 1)[-1]
        for key, entry in area.MESSAGES.items():
            merged[f"{name}.{key}"] = entry
    return MappingProxyType(merged)


CATALOG = _build()


def text_of(key: str) -> Text:
    try:
        return CATALOG[key]
    except KeyError:
        raise MissingText(key) from None


def t(key: str, /, language: Language | None = None, **fields: object) -> str:
    """The text of `key` in `language` (default: the current run's), its `{fields}` filled in."""
    text = getattr(text_of(key), language or current_language())
    return text.format(**fields) if fields else text


def plural_index(count: int, language: Language) -> int:
    """Which plural form a count takes: English one/other, Russian one/few/many."""
    n = abs(int(count))
    if language == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return 0
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return 1
        return 2
    return 0 if n == 1 else 1


def tn(key: str, count: int, /, language: Language | None = None, **fields: object) -> str:
    """A counted text: the plural form `count` takes, with `{count}` and `fields` filled in."""
    language = language or current_language()
    forms = getattr(text_of(key), language).split("|")
    form = forms[min(plural_index(count, language), len(forms) - 1)]
    return form.format(count=fmt_int(count, language), **fields)


def labeller(key_of: Callable[[Any], str], /, **fields: object) -> Callable[[Any], str]:
    """A widget's `format_func`: an option's catalog key (from `key_of`) to its text in today's language.

    The language is fixed when the labeller is made, because Streamlit (and AppTest) may call a
    `format_func` later on another thread, where the run's language is not set.
    """
    language = current_language()
    return lambda option: t(key_of(option), language=language, **fields)


@dataclass(frozen=True)
class Phrase:
    """A catalog text written when it is read, in the reader's language.

    For what outlives the run that made it: an error raised on the model's own thread (where the
    visitor's language is not known), a note kept with a model every session shares. Fields that are
    phrases themselves are written in the same language.
    """

    key: str
    fields: tuple[tuple[str, object], ...] = ()

    def text(self, language: Language | None = None) -> str:
        language = language or current_language()
        fields = {name: value.text(language) if isinstance(value, Phrase) else value for name, value in self.fields}
        return t(self.key, language, **fields)

    def __str__(self) -> str:
        return self.text()


def phrase(key: str, /, **fields: object) -> Phrase:
    """`t(key, **fields)`, to be written later (see `Phrase`)."""
    text_of(key)  # a missing key fails where the phrase is made, not where it is read
    return Phrase(key, tuple(fields.items()))
