"""Tables write their numbers in the visitor's language: `mirror.ui.tables` moves a number column's format
from Streamlit's column configuration (printf, always a decimal point) into a pandas Styler's display
values, and only for Russian."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData
from streamlit.testing.v1 import AppTest

from mirror.ui.tables import MAX_LOCALISED_CELLS, cell_formatter, localised_table
from tests.app.language_kit import shown_cells, tables_with_english_numbers

ROOT = Path(__file__).resolve().parents[2]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"probability": [0.4523, 0.1, float("nan")], "rank": [1, 1234, 5],
                         "change": [0.01234, -0.5, 2.0], "token": ["a", "b", "c"], "plain": [0.45231, 1.0, 12.5]})


def _config() -> dict:
    return {"probability": st.column_config.NumberColumn("P", format="%.4f"),
            "change": st.column_config.NumberColumn(format="%+.3f"), "token": "Token"}


def _shown(styled) -> pd.DataFrame:
    """What a Styler writes in each cell (its display values), as Streamlit sends them to the browser."""
    proto = ArrowData()
    marshall_styler(proto, styled, "table")
    return pa.ipc.open_stream(proto.styler.display_values).read_all().to_pandas()


def test_russian_cells_follow_the_column_formats_with_a_decimal_comma():
    frame, config = _frame(), _config()
    before = copy.deepcopy(config)
    styled, russian_config = localised_table(frame, config, "ru")
    shown = _shown(styled)
    assert list(shown["probability"]) == ["0,4523", "0,1000", ""]
    assert list(shown["change"]) == ["+0,012", "-0,500", "+2,000"]
    assert list(shown["rank"]) == ["1", "1234", "5"]  # whole numbers as Streamlit writes them: no grouping
    assert list(shown["plain"]) == ["0,4523", "1", "12,5"]  # Streamlit's default: up to four decimals
    assert list(shown["token"]) == ["a", "b", "c"]
    # the cells keep their numbers (sorting sorts numbers); the format moved out of the column configuration
    pd.testing.assert_frame_equal(styled.data, frame)
    assert "format" not in russian_config["probability"]["type_config"]
    assert russian_config["probability"]["label"] == "P" and russian_config["token"] == "Token"
    assert config == before  # the caller's configuration is not changed


def test_english_tables_are_streamlits_own():
    frame, config = _frame(), _config()
    shown, english_config = localised_table(frame, config, "en")
    assert shown is frame and english_config == config


def test_a_progress_column_keeps_its_own_text():
    frame = pd.DataFrame({"share": [0.25, 0.75]})
    config = {"share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0)}
    shown, russian_config = localised_table(frame, config, "ru")
    assert shown is frame and russian_config == config


def test_a_very_large_table_is_left_to_streamlit():
    rows = MAX_LOCALISED_CELLS // 2 + 1
    frame = pd.DataFrame({"position": range(rows), "probability": [0.5] * rows})
    shown, _ = localised_table(frame, None, "ru")
    assert shown is frame


@pytest.mark.parametrize("fmt, value, text", [("%.2f", 1234.567, "1234,57"), ("%d", 7.0, "7"),
                                              ("%+.4f", 0.0, "+0,0000"), (None, 3.0, "3"), (None, 6.93800001, "6,938"),
                                              (None, 123.456789, "123,4568"), (None, 0.00012345, "0,0001"),
                                              (None, 3.694e-06, "0,000004"), (None, -3.7e-05, "-0,00004"),
                                              (None, 1e-10, "0,0000000001"), (None, 12345678.9, "12345678,9")])
def test_cell_formats(fmt, value, text):
    # Without a format: what Streamlit 1.67 writes in English (checked in Chromium), with a comma.
    assert cell_formatter(fmt, "ru")(value) == text


def test_every_number_format_the_app_gives_a_table_is_understood():
    # A format this module does not know would leave its column with a decimal point in Russian.
    formats = set()
    for path in (ROOT / "mirror" / "ui").rglob("*.py"):
        for call in re.finditer(r"NumberColumn\([^()]*?format=\"([^\"]+)\"", path.read_text()):
            formats.add(call.group(1))
    assert formats, "no NumberColumn formats found: has the pattern changed?"
    unknown = sorted(f for f in formats if cell_formatter(f, "ru") is None)
    assert not unknown, unknown


def test_every_table_of_the_app_goes_through_show_table():
    direct = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "mirror").rglob("*.py"))
              if path.name != "tables.py"
              for n, line in enumerate(path.read_text().splitlines(), 1) if "st.dataframe(" in line]
    assert not direct, f"st.dataframe outside mirror/ui/tables.py (its numbers would stay English): {direct}"


def _page() -> None:
    import pandas as pd
    import streamlit as st

    from mirror.i18n import using_language
    from mirror.ui.tables import show_table

    with using_language(st.session_state.get("language", "en")):
        show_table(pd.DataFrame({"probability": [0.4523, 0.1], "rank": [1, 2]}),
                   column_config={"probability": st.column_config.NumberColumn(format="%.3f")}, hide_index=True)


@pytest.mark.parametrize("language, cells", [("ru", ["0,452", "0,100"]), ("en", None)])
def test_the_browser_gets_the_russian_text_and_the_numbers(language, cells):
    at = AppTest.from_function(_page)
    at.session_state["language"] = language
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0]
    assert list(table.value["probability"]) == [0.4523, 0.1]  # the numbers travel as numbers
    shown = shown_cells(table)
    assert (None if shown is None else list(shown["probability"])) == cells
    assert bool(tables_with_english_numbers(at)) == (language == "en")  # the page check tells them apart
