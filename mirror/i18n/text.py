"""One catalog entry: the same text in every language the app speaks."""

from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    """A text in English and in Russian; a third language is a third field, which every entry must then fill.

    Placeholders are `str.format` fields (`{count}`), the same names in every language.
    """

    en: str
    ru: str
