"""The Parameter Explorer page through AppTest with the bundled model (the last test swaps in a tiny one)."""

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mirror.i18n import using_language
from mirror.services import explorer
from mirror.services.prompts import prompt_for_text
from mirror.engine.sampling import STAGES, SamplingParams
from mirror.text import escape_markdown
from mirror.ui.explorer.charts import (OKABE_ITO, grid_alt_text, grid_scatter, quoted, stage_alt_text, stage_chart,
                                       temperature_alt_text, temperature_chart)

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "Home.py")
PAGE = "app_pages/2_Parameter_Explorer.py"
TIMEOUT = 180
TOKENS = 8  # short texts keep the suite fast


@pytest.fixture
def forward_passes(monkeypatch):
    """Counts the explorer's forward passes (cache hits do not call the function)."""
    calls = []
    real = explorer.next_token_logits

    def counting(lm, ids):
        calls.append(len(ids))
        return real(lm, ids)

    monkeypatch.setattr(explorer, "next_token_logits", counting)
    return calls


@pytest.fixture
def page(bundled, forward_passes):
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE).run()
    at.slider(key="explorer_tokens").set_value(TOKENS).run()
    assert not at.exception, at.exception
    return at


def metrics(at):
    return {m.label: m.value for m in at.metric}


def open_tab(at, label_start):
    label = next(t for t in explorer_tabs() if t.startswith(label_start))
    at.session_state["explorer_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def explorer_tabs():
    from mirror.ui.explorer import TABS

    return TABS


def captions_under_charts(at):
    """For each chart on the page, the caption drawn right after it in the same container (None if none is)."""
    found = []

    def walk(block):
        children = [block.children[i] for i in sorted(block.children)]
        for index, child in enumerate(children):
            if getattr(child, "type", None) == "vega_lite_chart":
                after = children[index + 1] if index + 1 < len(children) else None
                found.append(after.value if getattr(after, "type", None) == "caption" else None)
            if hasattr(child, "children"):
                walk(child)

    walk(at.main)
    return found


# --- the charts in words (plain data in, a sentence out) ------------------------------------------------------

STAGE_ROWS = pd.DataFrame({
    "stage": "top_k", "rank": range(1, 9), "token_id": range(100, 108),
    "token": ["␣the", "␣a", "␣an", "*x*", "␣one", "␣his", "␣her", "␣its"],
    "logit": [5.0, 4.0, 3.0, 2.0, 1.0, 0.0, float("-inf"), float("-inf")],
    "prob": [0.25, 0.4, 0.15, 0.1, 0.06, 0.04, 0.0, 0.0],
    "prob_before": [0.2, 0.3, 0.1, 0.08, 0.05, 0.03, 0.02, 0.0],
    "removed": [False] * 6 + [True, True], "status": ["kept"] * 6 + ["removed here", "removed earlier"]})


def temperature_data():
    temperatures = [round(0.1 * i, 1) for i in range(1, 21)]
    return pd.DataFrame({"temperature": temperatures * 2, "series": ["whole"] * 20 + ["final"] * 20,
                         "value": [3 * x for x in temperatures] + [2 * x for x in temperatures]})


GRID_RUNS = pd.DataFrame({"setting": ["Balanced", "Balanced", "Greedy", "Greedy"], "seed": [42, 43, 42, 43],
                          "tokens": 8, "distinct_1": [0.8, 0.9, 0.6, 0.6], "distinct_2": 0.9,
                          "perplexity": [5.0, 6.0, 2.0, 2.0], "text": "x"})


def test_a_stage_chart_in_words():
    assert stage_alt_text(STAGE_ROWS, "After top-k · k = 6", chosen_id=100) == (
        "After top-k · k = 6. The most likely of the 8 tokens shown at this stage: “␣a” 40.0%, “␣the” 25.0%, "
        "“␣an” 15.0%, “\\*x\\*” 10.0%, “␣one” 6.0%. Still in the race: 6 of 8. This stage removed 1 token, which "
        "had 2.0% just before it. 1 was removed by an earlier stage. ★ marks the drawn token, “␣the”.")
    kept = STAGE_ROWS.head(3)
    assert stage_alt_text(kept, "Raw model", listed=2) == (
        "Raw model. The most likely of the 3 tokens shown at this stage: “␣a” 40.0%, “␣the” 25.0%. "
        "All of them are still in the race.")
    gone = STAGE_ROWS.assign(status="removed earlier")
    assert stage_alt_text(gone, "After top-p (final)", chosen_id=999) == (
        "After top-p (final). None of the 8 tokens shown is still in the race. Still in the race: 0 of 8. "
        "8 were removed by earlier stages.")
    with using_language("ru"):
        two_cut = STAGE_ROWS.assign(status=["kept"] * 5 + ["removed here"] * 2 + ["removed earlier"])
        assert stage_alt_text(two_cut, "После top-k · k = 5", chosen_id=101) == (
            "После top-k · k = 5. Самые вероятные из 8 показанных токенов на этом этапе: «␣a» 40,0\u00a0%, "
            "«␣the» 25,0\u00a0%, «␣an» 15,0\u00a0%, «\\*x\\*» 10,0\u00a0%, «␣one» 6,0\u00a0%. Ещё в борьбе: 5 из 8. "
            "Этот этап удалил 2 токена; перед этапом их вероятность в сумме была 5,0\u00a0%. 1 удалён одним из "
            "прежних этапов. ★ отмечает выбранный токен — «␣a».")
        assert stage_alt_text(STAGE_ROWS.head(1), "Исходная модель").endswith("Все они ещё в борьбе.")


def test_a_temperature_chart_in_words():
    data = temperature_data()
    assert temperature_alt_text(data, "Entropy (bits)", 0.75) == (
        "Entropy (bits) as the temperature goes from 0.1 to 2: whole from 0.30 to 6.00; final from 0.20 to 4.00. "
        "At the sidebar's temperature, 0.75 (the dashed line): whole 2.25, final 1.50.")
    shares = data.assign(value=data["value"] / 10)
    assert temperature_alt_text(shares, "Top-1 probability", None, as_percent=True) == (
        "Top-1 probability as the temperature goes from 0.1 to 2: whole from 3.0% to 60.0%; final from 2.0% to "
        "40.0%.")  # greedy: no dashed line, nothing read off it
    with using_language("ru"):
        assert temperature_alt_text(data, "Энтропия (бит)", 0.7) == (
            "Энтропия (бит) при температуре от 0,1 до 2: whole — от 0,30 до 6,00; final — от 0,20 до 4,00. "
            "При температуре с боковой панели, 0,7 (пунктирная линия): whole 2,10, final 1,40.")


def test_the_grid_chart_in_words():
    assert grid_alt_text(GRID_RUNS) == (
        "4 runs in all, 2 settings. Mean per setting, distinct-1 (variety of words) and perplexity: Balanced 0.85 "
        "and 5.5; Greedy 0.60 and 2.0. The most varied text: Balanced; the least surprising to the raw model: Greedy.")
    assert grid_alt_text(GRID_RUNS.head(1)) == (
        "1 run in all, 1 setting. Mean per setting, distinct-1 (variety of words) and perplexity: Balanced 0.80 "
        "and 5.0.")
    with using_language("ru"):
        shown = GRID_RUNS.assign(setting=["Сбалансированный"] * 2 + ["Жадный выбор"] * 2)
        assert grid_alt_text(shown) == (
            "Всего 4 прогона, 2 настройки. Средние по каждой настройке, distinct-1 (разнообразие слов) и перплексия: "
            "Сбалансированный — 0,85 и 5,5; Жадный выбор — 0,60 и 2,0. Самый разнообразный текст — у настройки "
            "«Сбалансированный», наименее неожиданный для исходной модели — у «Жадный выбор».")


def test_a_quoted_token_is_inert_markdown_in_the_languages_quotes():
    assert quoted(" [a](b)") == "“␣\\[a\\]\\(b\\)”"
    with using_language("ru"):
        assert quoted("\n") == "«⏎»"


def test_the_charts_tell_categories_apart_by_more_than_colour():
    """Okabe–Ito colours, and a second channel that is not colour wherever colour tells categories apart."""
    stage = stage_chart(STAGE_ROWS, "After top-k", 0.5, 6, "top-k cut", 100).to_dict()
    bars = stage["layer"][0]["encoding"]
    assert bars["color"]["scale"]["range"][:2] == list(OKABE_ITO[:2])
    assert len({str(d) for d in bars["strokeDash"]["scale"]["range"]}) == 2  # kept solid, removed here dashed
    assert bars["fillOpacity"]["scale"]["range"][0] > bars["fillOpacity"]["scale"]["range"][1]
    curve = temperature_chart(temperature_data(), "Entropy (bits)", 0.7).to_dict()
    points = next(layer for layer in curve["layer"] if "shape" in layer["encoding"])
    assert points["encoding"]["shape"]["scale"]["range"][:2] == ["circle", "square"]
    assert set(curve["layer"][0]["encoding"]["color"]["scale"]["range"]) <= set(OKABE_ITO)
    grid = grid_scatter(GRID_RUNS).to_dict()["encoding"]
    assert grid["shape"]["field"] == grid["color"]["field"] == "setting"
    assert grid["color"]["scale"]["range"] == list(OKABE_ITO)


# --- the page -----------------------------------------------------------------------------------------------


def test_page_renders_figures_and_charts_for_the_bundled_model(page, bundled):
    assert [t.label for t in page.tabs][:2] == list(explorer_tabs()[:2])
    figures = metrics(page)
    assert set(figures) >= {"Entropy, raw model", "Entropy, sampler", "Survive top-k", "Survive top-p",
                            "Probability mass kept", "Drawn token's probability"}
    assert len(page.get("vega_lite_chart")) == 6  # one chart per stage
    # The charted numbers are the sampler's: the same table from run_pipeline on the real logits.
    ids = prompt_for_text(bundled, page.text_area(key="explorer_prompt").value, False, TOKENS).ids
    stages = explorer.pipeline(ids, explorer.next_token_logits(bundled, ids), SamplingParams.preset("Balanced"),
                               bundled.end_ids)
    shown = explorer.top_token_ids(stages, 30)
    expected = explorer.stage_table(stages, shown, bundled.token_strings(shown))
    pd.testing.assert_frame_equal(page.session_state["explorer_last_table"], expected)
    # Under each chart, the chart in words: its title, the top token at that stage, the drawn token on the last.
    captions = captions_under_charts(page)
    assert len(captions) == 6 and all(captions), captions
    for caption, stage in zip(captions, STAGES):
        rows = expected[(expected["stage"] == stage) & (expected["status"] == "kept")]
        assert caption.startswith(explorer.stage_title(stage)), caption
        assert "The most likely of the 30 tokens shown at this stage: " in caption
        assert f"{quoted(rows.loc[rows['prob'].idxmax(), 'token'])} " in caption
    assert "★ marks the drawn token, " in captions[-1]


def test_a_slider_change_updates_the_figures_without_a_forward_pass(page, forward_passes):
    before, passes = metrics(page), len(forward_passes)
    page.slider(key="ctl_temperature").set_value(1.5).run()
    after = metrics(page)
    assert after["Entropy, sampler"] != before["Entropy, sampler"]
    assert after["Entropy, raw model"] == before["Entropy, raw model"]
    page.slider(key="ctl_top_k").set_value(5).run()
    assert metrics(page)["Survive top-k"].startswith("5 of ")
    assert len(forward_passes) == passes  # the logits came from the cache
    assert not page.exception


def test_temperature_zero_is_greedy(page):
    page.slider(key="ctl_temperature").set_value(0.0).run()
    assert metrics(page)["Drawn token's probability"] == "100.0%"
    assert any("greedy" in i.value for i in page.info)


def test_temperature_curve_tab(page):
    open_tab(page, "🌡️")
    assert len(page.get("vega_lite_chart")) == 2
    entropy, top1 = captions_under_charts(page)
    assert entropy.startswith("Entropy (bits) as the temperature goes from 0.1 to 2: whole distribution from ")
    assert top1.startswith("Top-1 probability as the temperature goes from 0.1 to 2: ") and "%" in top1
    assert all("At the sidebar's temperature, 0.7 (the dashed line): " in c for c in (entropy, top1))


def test_side_by_side_with_a_fixed_seed_is_reproducible(page):
    open_tab(page, "🆚")
    page.segmented_control(key="explorer_sbs_columns").set_value(2).run()
    page.selectbox(key="explorer_sbs_choice_1").set_value("Creative").run()
    page.button(key="explorer_sbs_go").click().run()
    assert not page.exception, page.exception
    first = [r["text"] for r in page.session_state["explorer_sbs_results"]["results"]]
    assert len(first) == 2 and all(t.strip() for t in first)
    table = page.dataframe[0].value
    assert table["setting"].tolist() == ["Sidebar settings", "Creative"] and (table["tokens"] <= TOKENS).all()
    assert (table["perplexity"] > 1).all()
    page.button(key="explorer_sbs_go").click().run()
    assert [r["text"] for r in page.session_state["explorer_sbs_results"]["results"]] == first


def test_a_side_by_side_text_opens_in_the_inspector_with_its_sampler_probabilities(page):
    open_tab(page, "🆚")
    page.segmented_control(key="explorer_sbs_columns").set_value(2).run()
    page.button(key="explorer_sbs_go").click().run()
    result = page.session_state["explorer_sbs_results"]["results"][1]
    page.button(key="explorer_inspect_1").click().run()
    assert not page.exception, page.exception
    current = page.session_state["inspector_current"]
    assert current["origin"] == "explorer" and current["ids"] == result["token_ids"]
    assert current["context"] == result["prompt_ids"] and current["sampler_probs"] == result["sampler_probs"]
    assert any(m.label == "Probability (sampler)" for m in page.metric)


def test_grid_run_gives_a_table_and_a_csv(page):
    open_tab(page, "🧮")
    page.multiselect(key="explorer_grid_settings").set_value(["Balanced", "Greedy"]).run()
    page.number_input(key="explorer_grid_seeds").set_value(2).run()
    page.button(key="explorer_grid_go").click().run()
    assert not page.exception, page.exception
    runs = page.session_state["explorer_grid_runs"]
    assert runs[["setting", "seed"]].values.tolist() == [["Balanced", 42], ["Balanced", 43], ["Greedy", 42],
                                                         ["Greedy", 43]]
    greedy = runs[runs["setting"] == "Greedy"]["text"].tolist()
    assert greedy[0] == greedy[1]  # greedy ignores the seed
    [dots] = captions_under_charts(page)
    assert dots == grid_alt_text(runs) and dots.startswith("4 runs in all, 2 settings. ")
    assert any(d.proto.label.startswith("⬇️ Download the runs") for d in page.get("download_button"))


def test_step_through_picks_draws_undoes_and_continues(page, bundled):
    open_tab(page, "🎲")
    walk = page.session_state["explorer_walk"]
    assert walk.new_ids == []
    picks = [b.label for b in page.button if b.key and b.key.startswith("explorer_walk_pick_")]
    assert len(picks) == 10
    for label in picks:  # token text is inert Markdown: every special character escaped
        assert re.fullmatch(r"(\\.|[^\\`*_{}\[\]()<>#+\-.!|~$:&\"'=])+ · ([0-9.]+%|cut)", label), label

    def shown_text():
        return page.markdown[0].value  # the growing text, first Markdown in this tab (Streamlit strips it)

    page.button(key="explorer_walk_pick_1").click().run()  # the second most likely token, picked by hand
    walk = page.session_state["explorer_walk"]
    assert len(walk.new_ids) == 1 and walk.picked_by == ["you"]
    assert shown_text() == escape_markdown(bundled.decode(walk.new_ids)).strip()
    page.button(key="explorer_walk_draw").click().run()
    assert page.session_state["explorer_walk"].picked_by == ["you", "sampler"]
    page.button(key="explorer_walk_undo").click().run()
    walk = page.session_state["explorer_walk"]
    assert walk.picked_by == ["you"]
    one = shown_text()
    page.button(key="explorer_walk_auto").click().run()
    assert not page.exception, page.exception
    walk = page.session_state["explorer_walk"]
    assert 1 < len(walk.new_ids) <= TOKENS and walk.picked_by[0] == "you"
    assert any("Finished" in s.value for s in page.success)
    assert len(shown_text()) > len(one) and shown_text() == escape_markdown(bundled.decode(walk.new_ids)).strip()


def test_empty_prompt_gives_a_hint_and_computes_nothing(page, forward_passes):
    passes = len(forward_passes)
    page.text_area(key="explorer_prompt").set_value("   ").run()
    assert any("Type a prompt" in i.value for i in page.info)
    assert not page.metric and not page.tabs and not page.exception
    assert len(forward_passes) == passes


def test_a_prompt_over_the_context_window_is_cut_from_the_left(page, tiny_llama_dir, monkeypatch):
    # A tiny model with a 64-token window makes the cut cheap; the bundled one has 8,192 tokens.
    monkeypatch.setenv("MIRROR_ALLOW_ANY_MODEL", "1")  # shows the sidebar's model box
    page.run()
    page.text_input(key="ctl_model").set_value(str(tiny_llama_dir)).run()
    page.text_area(key="explorer_prompt").set_value(" ".join(f"w{i}" for i in range(300))).run()
    assert not page.exception, page.exception
    warning = " ".join(w.value for w in page.warning)
    assert "cut from the left" in warning and "64 tokens" in warning
    assert metrics(page)["Entropy, raw model"].endswith("bits")
