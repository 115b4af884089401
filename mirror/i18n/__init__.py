"""Every word the app shows, in English and Russian: one catalog, the language of this run, locale formats.

`t("chat.send")` is the text of a catalog key in the current language; the keys live in
`mirror/i18n/messages/<area>.py`, each entry a `Text(en=..., ru=...)`, so no entry can lack a language.
The current language is a context variable: the UI sets it at the start of every script run
(`mirror.ui.language`), everything else (the CLI, the API, tests) reads English unless told otherwise.
"""

from mirror.i18n.catalog import CATALOG, MissingText, Phrase, labeller, phrase, t, text_of, tn
from mirror.i18n.formats import decimal_mark, fmt_date, fmt_int, fmt_number, fmt_percent
from mirror.i18n.language import DEFAULT_LANGUAGE, LANGUAGES, Language, current_language, language_from_tag, using_language
from mirror.i18n.text import Text

__all__ = [
    "CATALOG", "DEFAULT_LANGUAGE", "LANGUAGES", "Language", "MissingText", "Phrase", "Text", "current_language",
    "decimal_mark", "fmt_date", "fmt_int", "fmt_number", "fmt_percent", "labeller", "language_from_tag", "phrase", "t",
    "text_of", "tn", "using_language",
]
