"""The Token Inspector in Russian: a text inspected, every colour mode, the table view, a token explained, a
fork and a comparison, with no English on the page but what the model wrote and the tokens it read."""

from __future__ import annotations

import html
import re

from streamlit.testing.v1 import AppTest

from mirror.i18n import t
from mirror.text import visible_whitespace
from mirror.ui import state
from tests.app.language_kit import assert_russian, open_in_russian

PAGE = "app_pages/3_Token_Inspector.py"


def _click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception


def _coloured(at: AppTest) -> str:
    return next(h.proto.body for h in at.get("html") if "mm-text" in h.proto.body)


def _model_texts(at: AppTest, lm) -> list[str]:
    """What the model read and wrote, as the page shows it: the text and its tokens (the alternatives it offers
    are options of one token each, which the kit's checks let pass)."""
    current = at.session_state[state.INSPECTOR_CURRENT]
    texts = [current["text"]]
    tokens = lm.token_strings(list(current["ids"]))
    if "insp_compare_text" in at.session_state:
        texts.append(at.session_state["insp_compare_text"])
    texts += tokens + [visible_whitespace(token) for token in tokens]
    # Only what has Latin words in it: a Cyrillic or one-letter token taken out of the page's own texts would
    # leave pieces that read as something else (the model's "_" out of MIRROR_MODELS leaves two English words).
    latin = [text for text in texts if re.search(r"[A-Za-z]{2}", text)]
    return sorted(set(latin), key=len, reverse=True)  # longest first: a short token must not split a long text


def test_inspecting_a_text_in_russian_in_every_view(bundled):
    at = open_in_russian(PAGE)
    example = t("inspector.example", language="ru")
    assert at.text_area(key=state.INSPECTOR_TEXT).value == example
    assert at.text_area(key=state.INSPECTOR_TEXT).label == "Текст для разбора"
    assert_russian(at, allowed=[example], where="the inspector before inspecting")

    _click(at, "🔍 Разобрать")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Число токенов"] == str(len(bundled.encode(example)))
    assert re.fullmatch(r"\d+,\d\d", metrics["Перплексия"])
    assert metrics["Средняя неожиданность"].endswith(" бит") and metrics["В топ-10"].endswith("\u00a0%")
    # Letters split over two tokens still read whole: the coloured text is the text, exactly.
    assert html.unescape(re.sub(r"<[^>]+>", "", _coloured(at))).replace("⏎\n", "\n") == example
    assert at.radio(key="insp_mode").options == ["по группе рангов (GLTR)", "по вероятности"]
    # The token chooser names a split letter's pieces instead of showing U+FFFD.
    options = at.selectbox(key=state.INSPECTOR_SELECTED).options
    assert options and not any("\ufffd" in option for option in options)
    assert any("часть символа" in option for option in options)

    for mode in ("rank", "prob"):
        at.radio(key="insp_mode").set_value(mode).run()
        assert not at.exception, at.exception
        coloured = _coloured(at)
        assert "группа: " in coloured and "вероятность " in coloured  # the tooltips and aria-labels in Russian
        assert ("text-decoration-style:wavy" in coloured) == (mode == "rank")
        legend = next(h.proto.body for h in at.get("html") if "mm-legend" in h.proto.body)
        assert ("топ-10" in legend) == (mode == "rank") and ("p ≤ 0,0001" in legend) == (mode == "prob")
        assert_russian(at, allowed=_model_texts(at, bundled), where=f"the inspector coloured by {mode}")

    at.toggle(key="insp_table_view").set_value(True).run()
    assert not at.exception, at.exception
    assert not [h for h in at.get("html") if "mm-text" in h.proto.body]  # the table instead of the colours
    table = at.dataframe[0].value
    assert list(table.columns) == ["позиция", "токен", "вероятность", "ранг", "группа", "неожиданность (бит)"]
    assert set(table["группа"]) <= {"топ-10", "топ-100", "топ-1000", "остальные"}
    assert table["вероятность"].dtype.kind == "f" and table["ранг"].dtype.kind == "i"  # numbers stay numbers
    # A letter split over two tokens: the first is named as a part of it, the second shows the letter.
    assert not any("\ufffd" in token for frame in at.dataframe for token in frame.value["токен"])
    assert any("часть символа" in token for token in table["токен"])
    assert list(at.dataframe[1].value.columns) == ["позиция", "токен", "вероятность", "ранг", "ожидала модель"]
    assert "неожиданность (бит)" in at.dataframe[2].value.columns  # every token, every figure
    assert_russian(at, allowed=_model_texts(at, bundled), where="the inspector's table view")

    at.selectbox(key=state.INSPECTOR_SELECTED).set_value(3).run()
    metrics = {m.label: m.value for m in at.metric}
    assert re.fullmatch(r"\d,\d{4}", metrics["Вероятность (модель)"]) and metrics["Энтропия"].endswith(" бит")
    assert_russian(at, allowed=_model_texts(at, bundled), where="the inspector with a token explained")

    at.text_area(key="insp_compare_text").set_value("Кошка сидела на ковре.")
    _click(at, "Сравнить")
    assert [m.label for m in at.metric].count("Перплексия") >= 3
    assert_russian(at, allowed=_model_texts(at, bundled), where="the inspector comparing two texts")

    _click(at, "🔀 Продолжить отсюда с этим токеном")
    assert at.session_state[state.INSPECTOR_CURRENT]["origin"] == "fork"
    assert any(c.value.startswith("Разбираем развилку, которую дописала модель") for c in at.caption)
    assert_russian(at, allowed=_model_texts(at, bundled), where="the inspector after a fork")


def test_a_blank_text_gets_a_russian_hint_and_the_example_follows_the_language(bundled):
    at = open_in_russian(PAGE)
    at.text_area(key=state.INSPECTOR_TEXT).set_value("   ")
    _click(at, "🔍 Разобрать")
    assert at.info[0].value == "Сначала вставьте или напечатайте текст: пока разбирать нечего."
    at.text_area(key=state.INSPECTOR_TEXT).set_value(t("inspector.example", language="ru")).run()
    at.button_group(key="language_switch").set_value("en").run()
    assert not at.exception, at.exception
    assert at.text_area(key=state.INSPECTOR_TEXT).value == t("inspector.example", language="en")


def test_the_token_chooser_names_pieces_of_a_split_letter_instead_of_showing_a_replacement_mark():
    from mirror.ui.inspector import shown_token

    pieces = ["", "З", "е"]  # "З" split over two tokens: the first decodes to U+FFFD alone
    assert shown_token("\ufffd", 0, pieces, "ru") == "(часть символа «З»)"
    assert shown_token("\ufffd", 0, pieces, "en") == "(part of “З”)"
    assert shown_token("\ufffd", 1, pieces, "ru") == "З"
    assert shown_token("е", 2, pieces, "ru") == "е"
    assert shown_token("\ufffd", 0, None, "ru") == "\ufffd"  # no bytes to read: the token as it decodes
