"""The catalog: every key in both languages with the same placeholders, every key the code reads exists, locale formats."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path

import pytest

from mirror.i18n import CATALOG, LANGUAGES, MissingText, fmt_date, fmt_number, fmt_percent, labeller, language_from_tag, t, tn, using_language
from mirror.i18n.catalog import plural_index

ROOT = Path(__file__).resolve().parents[1]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
SOURCES = [*sorted((ROOT / "mirror").rglob("*.py")), ROOT / "Home.py", *sorted((ROOT / "app_pages").glob("*.py"))]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_text_has_every_language_and_the_same_placeholders():
    for key, entry in CATALOG.items():
        for language in LANGUAGES:
            assert getattr(entry, language).strip(), f"{key}: no {language} text"
        assert fields(entry.en) == fields(entry.ru), f"{key}: placeholders differ: {entry.en!r} / {entry.ru!r}"


def test_russian_texts_are_russian():
    """A Russian text is written in Cyrillic, unless it is the same as the English one (a name such as Top-k)."""
    for key, entry in CATALOG.items():
        assert CYRILLIC.search(entry.ru) or entry.ru == entry.en, f"{key}: Russian text is not Russian: {entry.ru!r}"


def test_counted_texts_have_every_plural_form():
    for key, entry in CATALOG.items():
        if "|" in entry.en:
            assert len(entry.en.split("|")) == 2, f"{key}: English needs one|other"
            assert len(entry.ru.split("|")) == 3, f"{key}: Russian needs one|few|many"


def _literal_keys() -> list[tuple[Path, int, str]]:
    """Every key the code passes as a plain string to t(), tn() or phrase()."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"t", "tn", "phrase"} \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((path.relative_to(ROOT), node.lineno, node.args[0].value))
    return found


def test_every_key_the_code_reads_is_in_the_catalog():
    missing = [f"{path}:{line} {key}" for path, line, key in _literal_keys() if key not in CATALOG]
    assert not missing, "keys not in the catalog:\n" + "\n".join(missing)


def test_a_missing_key_is_a_clear_error():
    with pytest.raises(MissingText):
        t("common.no_such_text")


def test_texts_follow_the_language_of_the_run():
    assert t("common.page.chat") == "Chat"
    with using_language("ru"):
        assert t("common.page.chat") == "Чат"
        label = labeller(lambda name: f"common.preset.{name}")
    assert t("common.page.chat") == "Chat"
    assert label("Creative") == "Творческий"  # a labeller keeps the language it was made in
    with pytest.raises(ValueError):
        with using_language("fr"):  # type: ignore[arg-type]
            pass


@pytest.mark.parametrize(("count", "en", "ru"), [
    (0, "0 replies", "0 ответов"), (1, "1 reply", "1 ответ"), (2, "2 replies", "2 ответа"),
    (5, "5 replies", "5 ответов"), (11, "11 replies", "11 ответов"), (21, "21 replies", "21 ответ"),
    (22, "22 replies", "22 ответа"), (112, "112 replies", "112 ответов"), (1001, "1,001 replies", "1\u00a0001 ответ"),
])
def test_counted_texts_take_the_right_plural_form(count, en, ru):
    assert tn("common.sidebar.load_replies", count, language="en") == en
    assert tn("common.sidebar.load_replies", count, language="ru") == ru


def test_plural_rules():
    assert [plural_index(n, "ru") for n in (1, 2, 4, 5, 11, 12, 14, 21, 24, 25, 101, 111)] == \
           [0, 1, 1, 2, 2, 2, 2, 0, 1, 2, 0, 2]
    assert [plural_index(n, "en") for n in (0, 1, 2)] == [1, 0, 1]


def test_numbers_and_dates_are_written_for_the_locale():
    assert fmt_number(1234.5, 1, "en") == "1,234.5"
    assert fmt_number(1234.5, 1, "ru") == "1\u00a0234,5"
    assert fmt_number(-0.25, 2, "ru") == "-0,25"
    assert fmt_number(float("nan"), 2, "ru") == "–"
    assert fmt_percent(0.452, 1, "en") == "45.2%"
    assert fmt_percent(0.452, 1, "ru") == "45,2\u00a0%"
    assert fmt_date(dt.date(2026, 12, 1), "en") == "December 1, 2026"
    assert fmt_date(dt.date(2026, 12, 1), "ru") == "1 декабря 2026 г."
    assert fmt_date(dt.datetime(2026, 3, 8, 9, 5), "ru", with_time=True) == "8 марта 2026 г., 09:05"


@pytest.mark.parametrize(("tag", "language"), [
    ("ru-RU", "ru"), ("ru", "ru"), ("RU_ru", "ru"), ("en-GB,en;q=0.9", "en"), ("de-DE", None), ("", None), (None, None),
])
def test_language_tags(tag, language):
    assert language_from_tag(tag) == language
