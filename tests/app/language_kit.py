"""Finding English on a page that should be Russian: every text the page sends to the browser, checked two ways.

1. No English text of the catalog (a fragment of two or more words that its Russian text lacks) appears
   anywhere on the page, model output included.
2. No label, help text, placeholder, option or tab name (texts that never hold model output) has two
   English words in a row, so a text that never reached the catalog is caught too.
3. No other text (Markdown, captions, notices) has an English phrase: three English words in a row, one of
   them a function word ("the", "of", ...). Model output is English too, so a test passes what the model
   wrote as `allowed`.

Every chart must also write its numbers the Russian way (45,2 %), through Vega's number locale, and every
table its number cells (0,4523), through the display values of a pandas Styler.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator

import pandas as pd
import pyarrow as pa
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from mirror.i18n import CATALOG
from mirror.ui import state

# Proto fields whose text only the app writes (never the model or the visitor).
CHROME_FIELDS = {"label", "help", "placeholder", "content", "tooltip", "caption_label"}
# Names that stay as they are in Russian text: models, products, parameters, code.
KEEP_LATIN = re.compile(
    r"Hugging Face|SmolLM2[\w.-]*|Gemma Terms of Use|Gemma Prohibited Use Policy|Gemma[\w.-]*|llama\.cpp|Streamlit|top-[kp]|Top-[kp]|no-repeat|n-gram|"
    r"MIRROR_\w+|Magic Mirror|logit lens|GPT-2|JSON|CSV|UTF-8|SQLite|PostgreSQL|ctl_\w+|[\w.-]+/[\w./-]+")
TWO_ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}(?:'[a-z]+)?[ \u00a0]+[A-Za-z]{2,}\b")
ENGLISH_PHRASE = re.compile(
    r"\b(?=(?:[A-Za-z]+[ \u00a0]+){0,2}(?:the|of|and|to|is|are|with|you|your|this|that|for|from|it|in|on)\b)"
    r"[A-Za-z]{2,}[ \u00a0]+[A-Za-z]{2,}[ \u00a0]+[A-Za-z]{2,}\b", re.IGNORECASE)


def proto_texts(message: Message, field: str = "") -> Iterator[tuple[str, str]]:
    for descriptor, value in message.ListFields():
        name = descriptor.name
        if descriptor.type == descriptor.TYPE_STRING:
            for text in (value if descriptor.is_repeated else [value]):
                yield name, text
        elif descriptor.type == descriptor.TYPE_MESSAGE:
            for item in (value if descriptor.is_repeated else [value]):
                if isinstance(item, Message):
                    yield from proto_texts(item, name)


def shown_texts(at: AppTest, root=None) -> list[tuple[str, str]]:
    """(field name, text) of every string in every element the last run drew below `root` (default: all of
    the page, sidebar included)."""
    found: list[tuple[str, str]] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            found.extend(proto_texts(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree if root is None else root)
    return [(f, text) for f, text in found if f not in {"id", "page_script_hash", "form_id", "icon", "format"}]


def _english_fragments() -> set[str]:
    russian = " ".join(entry.ru for entry in CATALOG.values())
    fragments = set()
    for entry in CATALOG.values():
        if entry.en == entry.ru:
            continue
        for piece in re.split(r"\{[^{}]*\}|[|*#`_()\[\]:;·—–\n]", entry.en):
            piece = piece.strip(" .,!?\"'")
            if len(piece) >= 10 and TWO_ENGLISH_WORDS.search(piece) and piece not in russian:
                fragments.add(piece)
    return fragments


ENGLISH_FRAGMENTS = _english_fragments()


def english_leaks(at: AppTest, allowed: Iterable[str] = ()) -> list[str]:
    """What on the page is still English; `allowed` are texts the visitor or the model wrote."""
    allowed = [a for a in allowed if a]
    leaks = []
    for field, text in shown_texts(at):
        for own in allowed:
            text = text.replace(own, " ")
        if not text.strip():
            continue
        hits = [frag for frag in ENGLISH_FRAGMENTS if frag in text]
        if hits:
            leaks.append(f"{field}: {text[:120]!r} has catalog English {hits[0]!r}")
        elif field in CHROME_FIELDS and TWO_ENGLISH_WORDS.search(KEEP_LATIN.sub("", text)):
            leaks.append(f"{field}: {text[:120]!r}")
        elif field not in CHROME_FIELDS and ENGLISH_PHRASE.search(KEEP_LATIN.sub("", text)):
            leaks.append(f"{field}: {text[:120]!r} has an English phrase "
                         f"{ENGLISH_PHRASE.search(KEEP_LATIN.sub('', text)).group(0)!r}")
    return leaks


SEED = 20261201


def open_in_russian(page: str, tmp_db: str | None = None, max_new_tokens: int = 8) -> AppTest:
    """A new visitor whose browser says ru-RU, on `page` (a script path such as app_pages/1_Chat.py)."""
    from tests.app.conftest import HOME, TIMEOUT

    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.context["locale"] = "ru-RU"
    # As if this visitor had picked the bundled model: these tests read the pages' Russian on the model the
    # English tests use (a Russian visitor's own default, Gemma where installed: test_model_follows_language).
    at.session_state[state.MODEL_CHOSEN] = True
    at.run()
    # Set on the home page: the classroom's pages draw no sidebar, and the values are kept across pages.
    at.slider(key="ctl_max_new_tokens").set_value(max_new_tokens).run()
    # A fixed seed: what the model writes is the same on every run on this machine, so a test that reads
    # it (a reply's caption, a word the mirror adds) never depends on a lucky draw.
    at.checkbox(key="ctl_fix_seed").check().run()
    at.number_input(key="ctl_seed").set_value(SEED).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def each_tab(at: AppTest, key: str) -> Iterator[str]:
    """Open every tab of the lazy `st.tabs(..., key=key)` in turn (only the open one draws); yields its label."""
    for label in [tab.label for tab in at.tabs]:
        at.session_state[key] = label
        at.run()
        assert not at.exception, at.exception
        yield label


def charts_without_russian_numbers(at: AppTest) -> list[str]:
    """The charts on the page whose numbers (axes, tooltips) Vega would write the English way (0.5, 45%)."""
    wrong = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        number = spec.get("config", {}).get("locale", {}).get("number", {})
        if number.get("decimal") != "," or number.get("percent") != "\u00a0%":
            wrong.append(str(spec.get("title") or spec.get("description") or "a chart")[:80])
    return wrong


def shown_cells(table) -> pd.DataFrame | None:
    """The text a table (AppTest's `at.dataframe[i]`) shows in each cell where a pandas Styler wrote it; None
    where Streamlit writes every cell itself."""
    display = table.proto.arrow_data.styler.display_values
    return pa.ipc.open_stream(display).read_all().to_pandas() if display else None


def tables_with_english_numbers(at: AppTest) -> list[str]:
    """The number columns of the page's tables that the browser would write with a decimal point (0.45).

    A column of whole numbers (positions, ranks, seeds) reads the same in both languages, and a progress
    column draws its own text; every other number column must show the Styler's Russian text."""
    wrong = []
    for table in at.dataframe:
        frame, cells = table.value, shown_cells(table)
        config = json.loads(table.proto.columns or "{}")
        for name in frame.columns:
            column = frame[name]
            if not pd.api.types.is_float_dtype(column):
                continue
            if config.get(str(name), {}).get("type_config", {}).get("type") == "progress":
                continue
            if all(math.isnan(v) or float(v).is_integer() for v in column):
                continue
            shown = [] if cells is None else [str(v) for v in cells[name]]
            if not shown or any(re.search(r"\d\.\d", text) for text in shown):
                wrong.append(f"{name}: {shown[:3] or list(column[:3])}")
    return wrong


def assert_russian(at: AppTest, allowed: Iterable[str] = (), where: str = "") -> None:
    leaks = english_leaks(at, allowed)
    assert not leaks, f"English on {where or 'the page'}:\n" + "\n".join(leaks)
    charts = charts_without_russian_numbers(at)
    assert not charts, f"charts with English numbers on {where or 'the page'}: {charts}"
    tables = tables_with_english_numbers(at)
    assert not tables, f"table columns with English numbers on {where or 'the page'}: {tables}"
