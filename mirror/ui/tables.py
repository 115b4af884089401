"""Showing a table: every `st.dataframe` of the app goes through `show_table`, which writes its numbers for
the visitor's language (0,4523 in Russian), as `show_chart` does for charts.

Streamlit writes a number cell in the browser with a printf format, always with a decimal point. A pandas
Styler's display values replace that text while the cells keep their numbers, so sorting a column still
sorts numbers. Streamlit shows them only where the column's configuration sets no format of its own, so
for Russian the formats move from the column configuration into the Styler. A progress column draws its
own text and keeps its format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from mirror.i18n import Language, current_language, decimal_mark, fmt_number

__all__ = ["MAX_LOCALISED_CELLS", "cell_formatter", "localised_table", "show_table"]

_PRINTF = re.compile(r"%(?P<plus>\+?)(?:\.(?P<digits>\d+))?(?P<kind>[dif])")
_DEFAULT_DIGITS = 4
# A Styler costs time for every cell at every redraw (and Streamlit refuses one past 262,144 cells), so a
# larger table (the inspector's every token of a long text) is written by Streamlit, with a decimal point.
MAX_LOCALISED_CELLS = 50_000


def cell_formatter(fmt: str | None, language: Language) -> Callable[[Any], str] | None:
    """A function that writes one number cell as `fmt` (a printf format such as "%.2f" or "%+.4f", or None
    for Streamlit's default) would, in `language`; None for a format it does not know."""
    if fmt is None:
        return lambda value: _default_cell(value, language)
    match = _PRINTF.fullmatch(fmt)
    if match is None:
        return None
    digits = 0 if match["kind"] in "di" else int(match["digits"] or 6)
    plus = bool(match["plus"])

    def write(value: Any) -> str:
        if _missing(value):
            return ""
        text = fmt_number(float(value), digits, language, group=False)
        return f"+{text}" if plus and float(value) >= 0 else text

    return write


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _default_cell(value: Any, language: Language) -> str:
    """As Streamlit writes a number cell without a format: up to four decimals without trailing zeros, and a
    number too small for four decimals with its first significant digit (0.000004), never grouped."""
    if _missing(value):
        return ""
    number = float(value)
    if number.is_integer():
        return fmt_number(number, 0, language, group=False)
    digits = _DEFAULT_DIGITS
    if round(abs(number), digits) == 0:
        digits = -math.floor(math.log10(abs(number)))
    return fmt_number(number, digits, language, group=False).rstrip("0").rstrip(decimal_mark(language))


def _number_columns(frame: pd.DataFrame) -> list[Any]:
    return [name for name in frame.columns
            if pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name])]


def localised_table(frame: pd.DataFrame, column_config: Mapping[Any, Any] | None,
                    language: Language) -> tuple[Any, dict[Any, Any] | None]:
    """(`frame` or a Styler of it, column configuration) that show `frame`'s numbers as `language` writes
    them. English is Streamlit's own writing; a column with a format this module does not know keeps it."""
    config = dict(column_config) if column_config is not None else None
    if language == "en" or not frame.columns.is_unique or frame.size > MAX_LOCALISED_CELLS:
        return frame, config
    formatters: dict[Any, Callable[[Any], str]] = {}
    for name in _number_columns(frame):
        entry = config.get(name) if config else None
        type_config = entry.get("type_config", {}) if isinstance(entry, Mapping) else {}
        if type_config.get("type") == "progress":
            continue
        formatter = cell_formatter(type_config.get("format"), language)
        if formatter is None:
            continue
        formatters[name] = formatter
        if config is not None and "format" in type_config:  # a new entry: the caller's stays as it was
            config[name] = {**entry, "type_config": {k: v for k, v in type_config.items() if k != "format"}}
    if not formatters:
        return frame, config
    # pandas names each Styler at random; a fixed name keeps the page the same for the same table (a lesson
    # link's page equals the teacher's). It only scopes cell styles, and these tables have none.
    return frame.style.format(formatters).set_uuid("mirror"), config


def show_table(frame: pd.DataFrame, *, column_config: Mapping[Any, Any] | None = None, **options: Any) -> Any:
    """`st.dataframe(frame, **options)`, numbers in today's language."""
    data, config = localised_table(frame, column_config, current_language())
    return st.dataframe(data, column_config=config, **options)
