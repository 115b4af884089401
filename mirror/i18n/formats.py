"""Numbers and dates written the way the current language writes them.

English: 1,234.5 and 45.2% and December 1, 2026. Russian: 1 234,5 and 45,2 % and 1 декабря 2026 г.
(a no-break space groups thousands and stands before the percent sign, as Russian typography does).
"""

from __future__ import annotations

import datetime as dt
import math

from mirror.i18n.language import Language, current_language

NBSP = "\u00a0"
_SEPARATORS: dict[Language, tuple[str, str]] = {"en": (".", ","), "ru": (",", NBSP)}  # decimal, group
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_MONTHS_RU = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
              "ноября", "декабря")
DASH = "–"  # what a missing number shows


def fmt_number(value: float | None, digits: int = 2, language: Language | None = None, group: bool = True) -> str:
    """`value` with `digits` decimals, grouped by thousands; "–" for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    decimal, grouping = _SEPARATORS[language or current_language()]
    text = f"{value:,.{digits}f}" if group else f"{value:.{digits}f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", grouping)


def decimal_mark(language: Language | None = None) -> str:
    """What stands between a number's whole part and its decimals: "." or ","."""
    return _SEPARATORS[language or current_language()][0]


def fmt_int(value: int | None, language: Language | None = None) -> str:
    return fmt_number(value, 0, language)


def fmt_percent(value: float | None, digits: int = 1, language: Language | None = None) -> str:
    """A share (0.452) as a percentage: "45.2%" or "45,2 %"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    language = language or current_language()
    number = fmt_number(value * 100, digits, language)
    return f"{number}{NBSP}%" if language == "ru" else f"{number}%"


def fmt_date(value: dt.date | dt.datetime, language: Language | None = None, with_time: bool = False) -> str:
    """A date (and, if asked, the time of day) in the language's long form."""
    language = language or current_language()
    if language == "ru":
        text = f"{value.day} {_MONTHS_RU[value.month - 1]} {value.year} г."
    else:
        text = f"{_MONTHS_EN[value.month - 1]} {value.day}, {value.year}"
    if with_time and isinstance(value, dt.datetime):
        text += f", {value:%H:%M}"
    return text
