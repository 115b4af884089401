"""The Parameter Explorer in Russian: every tab, each tab's main action once, and no English on the page
but what the model wrote."""

from __future__ import annotations

import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from mirror.i18n import t
from mirror.text import escape_markdown
from mirror.ui.explorer.format import token_markdown
from mirror.ui.explorer.page import TAB_NAMES
from tests.app.language_kit import assert_russian, each_tab, open_in_russian
from tests.app.test_explorer_page import captions_under_charts

PAGE = "app_pages/2_Parameter_Explorer.py"
TOKENS = 8  # the page's own length (New tokens per run), short to keep the test quick


def _open() -> AppTest:
    at = open_in_russian(PAGE)
    at.slider(key="explorer_tokens").set_value(TOKENS).run()
    assert not at.exception, at.exception
    return at


def _model_texts(at: AppTest, lm) -> list[str]:
    """What the model wrote on the page as it shows it: the texts, their tokens, the candidates' buttons."""
    texts: list[str] = []
    results = (at.session_state["explorer_sbs_results"]["results"]
               if "explorer_sbs_results" in at.session_state else [])
    for result in results:
        texts += [escape_markdown(result["text"]), result["text"]]
    walk = at.session_state["explorer_walk"] if "explorer_walk" in at.session_state else None
    if walk is not None and walk.new_ids:
        texts += [escape_markdown(lm.decode(walk.new_ids)), lm.decode(walk.new_ids)]
        texts += [token_markdown(s) for s in lm.token_strings(walk.new_ids)]
    for button in at.button:
        if button.key and button.key.startswith("explorer_walk_pick_"):
            texts.append(button.label.rsplit(" · ", 1)[0])
    for caption in at.caption:  # the drawn token, quoted in «…» in the figures' caption
        texts += re.findall(r"«(.*?)»", caption.value)
    return sorted(set(texts), key=len, reverse=True)  # longest first: a short token must not split a long text


def test_every_tab_of_the_explorer_speaks_russian(bundled):
    at = _open()
    labels = [tab.label for tab in at.tabs]
    assert labels == [t(f"explorer.tab.{name}", language="ru") for name in TAB_NAMES]
    prompt = at.text_area(key="explorer_prompt").value
    assert prompt == t("explorer.example.once.text", language="ru")
    done = []
    for index, label in enumerate(each_tab(at, "explorer_tab")):
        name = TAB_NAMES[index]
        if name == "distribution":
            assert any(m.label == "Энтропия, сэмплер" and m.value.endswith(" бит") for m in at.metric)
            assert len(at.get("vega_lite_chart")) == 6
            captions = captions_under_charts(at)  # each chart in words, in Russian, right under it
            titles = [t(f"explorer.stage.{stage}", language="ru") for stage in
                      ("raw", "repetition_penalty", "no_repeat_ngram", "temperature", "top_k", "top_p")]
            assert len(captions) == 6 and all(c.startswith(title) for c, title in zip(captions, titles)), captions
            assert all("Самые вероятные из 30 показанных токенов на этом этапе: «" in c for c in captions)
            assert "★ отмечает выбранный токен — «" in captions[-1]
        elif name == "temperature":
            assert len(at.get("vega_lite_chart")) == 2
            entropy, top1 = captions_under_charts(at)
            assert entropy.startswith("Энтропия (бит) при температуре от 0,1 до 2: всё распределение — от ")
            assert top1.startswith("Вероятность фаворита при температуре от 0,1 до 2: ") and "\u00a0%" in top1
            assert "При температуре с боковой панели, 0,7 (пунктирная линия): " in entropy
        elif name == "side_by_side":
            at.segmented_control(key="explorer_sbs_columns").set_value(2).run()
            at.selectbox(key="explorer_sbs_choice_1").set_value("Custom").run()  # the custom sliders too
            at.button(key="explorer_sbs_go").click().run()
            assert not at.exception, at.exception
            table = at.dataframe[0].value
            assert table["setting"].tolist() == ["Настройки боковой панели", "Свои значения"]
            assert at.session_state["explorer_sbs_results"]["results"][0]["label"] == "Sidebar settings"
        elif name == "grid":
            at.multiselect(key="explorer_grid_settings").set_value(["Balanced", "Greedy"]).run()
            at.number_input(key="explorer_grid_seeds").set_value(1).run()
            at.button(key="explorer_grid_go").click().run()
            assert not at.exception, at.exception
            runs = at.session_state["explorer_grid_runs"]
            assert runs["setting"].tolist() == ["Balanced", "Greedy"]  # the data keeps the stable names
            assert at.dataframe[0].value["setting"].tolist() == ["Сбалансированный", "Жадный выбор"]
            assert any(d.proto.label == "⬇️ Скачать прогоны в CSV" for d in at.get("download_button"))
            [dots] = captions_under_charts(at)
            assert dots.startswith("Всего 2 прогона, 2 настройки. ") and "Сбалансированный — " in dots
        elif name == "walk":
            at.button(key="explorer_walk_pick_0").click().run()
            at.button(key="explorer_walk_draw").click().run()
            at.button(key="explorer_walk_auto").click().run()
            assert not at.exception, at.exception
            assert any(s.value.startswith("Готово:") for s in at.success)
        elif name == "guide":
            assert at.table[0].value.columns[0] == "Параметр"
        assert_russian(at, allowed=[prompt, *_model_texts(at, bundled)], where=f"the tab {label}")
        done.append(name)
    assert done == list(TAB_NAMES)


def test_the_figures_and_the_candidates_use_russian_numbers(bundled):
    at = _open()
    values = {m.label: m.value for m in at.metric}
    assert re.fullmatch(r"\d+,\d\d бит", values["Энтропия, исходная модель"])
    assert re.fullmatch(r"\d{1,3}(\u00a0\d{3})* из \d{1,3}(\u00a0\d{3})*", values["Остаются после top-k"])
    assert values["Вероятность выбранного токена"].endswith("\u00a0%")
    table = at.session_state["explorer_last_table"]
    assert set(table["status"]) <= {"kept", "removed here", "removed earlier"}  # data stays language-neutral
    assert table["stage_title"].iloc[0] == "Исходная модель"
    at.session_state["explorer_tab"] = t("explorer.tab.walk", language="ru")
    at.run()
    picks = [b.label for b in at.button if b.key and b.key.startswith("explorer_walk_pick_")]
    assert picks and all(re.search(r" · (\d+,\d\u00a0%|отсечён)$", label) for label in picks), picks


def test_switching_to_english_brings_back_the_english_page(bundled):
    at = _open()
    at.button_group(key="language_switch").set_value("en").run()
    assert not at.exception, at.exception
    from mirror.ui.explorer import TABS

    assert [tab.label for tab in at.tabs] == list(TABS)
    assert any(m.label == "Entropy, sampler" for m in at.metric)
    # The prompt is the visitor's text now: it stays as it was, in Russian.
    assert at.text_area(key="explorer_prompt").value == t("explorer.example.once.text", language="ru")
    pd.testing.assert_series_equal(at.session_state["explorer_last_table"]["stage_title"].drop_duplicates()
                                   .reset_index(drop=True).head(1), pd.Series(["Raw model"], name="stage_title"))
