"""Drawing a chart: every Altair chart of the app goes through `show_chart`, which writes its numbers
(axes, tooltips) for the visitor's language, as `mirror.i18n` writes the rest of the page."""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st

from mirror.i18n import current_language

# d3-format's locale for Russian numbers: 1 234,5 and 45,2 % (no-break spaces, as mirror.i18n writes them).
RU_NUMBERS = alt.NumberLocale(decimal=",", thousands="\u00a0", grouping=[3], currency=["", "\u00a0₽"],
                              percent="\u00a0%")


def localised(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """`chart` with the number locale of today's language (English is Vega's own)."""
    return chart.configure(locale=alt.Locale(number=RU_NUMBERS)) if current_language() == "ru" else chart


def show_chart(chart: alt.TopLevelMixin, where: Any = None, **options: Any) -> Any:
    """`st.altair_chart(chart, **options)` (or in the container `where`), in today's number locale."""
    return (where or st).altair_chart(localised(chart), **options)
