"""The Parameter Explorer page through AppTest with the bundled model (the last test swaps in a tiny one)."""

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mirror.services import explorer
from mirror.services.prompts import prompt_for_text
from mirror.engine.sampling import SamplingParams
from mirror.text import escape_markdown

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
