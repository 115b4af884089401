"""Inside the Mirror in Russian: the example, a typed text, every tab with its main action, the chat template,
and no English on the page but the tokens the model reads and guesses."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from mirror.i18n import t
from mirror.services.inside.look import forget_looks, look_inside
from mirror.text import visible_whitespace
from mirror.ui import state
from mirror.ui.inside.page import TAB_KEYS
from mirror.ui.inside.tokens import DEFAULT_A, DEFAULT_B
from tests.app.apptest_kit import press
from tests.app.language_kit import assert_russian, each_tab, open_in_russian

PAGE = "app_pages/7_Inside_the_Mirror.py"
TEXT = "Кот спит на окне."  # short: the ranking scores one text per word


def ru(key: str, **fields: object) -> str:
    return t(key, language="ru", **fields)


def _model_texts(at: AppTest) -> list[str]:
    """What the model reads and guesses, as the page shows it: the sequence's tokens, each position's final top-1,
    the decoded sequence, and the two sample sentences (one of them English on purpose)."""
    lm = at.session_state[state.FRAME][0]
    ids = at.session_state[state.INSIDE_CURRENT]["ids"]
    look = look_inside(lm, ids)  # kept by the page's own look: no forward pass
    shown = sorted(set(look.lens.final_top1.tolist()) | set(look.lens.next_ids.tolist()))
    pieces = [*look.tokens, *lm.token_strings(shown)]
    texts = [lm.decode(ids, skip_special_tokens=False), DEFAULT_A[1], DEFAULT_B[1]]
    texts += [form for piece in pieces for form in (visible_whitespace(piece), piece)]
    # Only what has Latin letters can read as English; a short Cyrillic piece cut out of the page's own Russian
    # would only glue its neighbours together.
    english = {text for text in texts if re.search(r"[A-Za-z]", text) and len(text.strip()) > 1}
    return sorted(english, key=len, reverse=True)  # longest first: a short token must not split a long text


def _check(at: AppTest, where: str) -> None:
    assert not at.exception, at.exception
    assert_russian(at, allowed=_model_texts(at), where=where)


def test_inside_the_mirror_speaks_russian(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRROR_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite3'}")
    forget_looks()
    at = open_in_russian(PAGE)
    assert [x.value for x in at.title] == ["🔬 " + t("common.page.inside", language="ru")]
    assert at.text_area(key=state.INSIDE_TEXT).value == ru("inside.example")
    assert [tab.label for tab in at.tabs] == [ru(f"inside.tab.{key}") for key in TAB_KEYS]
    _check(at, "the example")

    # An empty box only informs; then a short text of our own.
    at.text_area(key=state.INSIDE_TEXT).set_value("   ")
    press(at, ru("inside.text.look"))
    assert ru("inside.notice.empty") in [i.value for i in at.info]
    _check(at, "the empty-text notice")
    at.text_area(key=state.INSIDE_TEXT).set_value(TEXT)
    press(at, ru("inside.text.look"))
    assert at.session_state[state.INSIDE_CURRENT]["text"] == TEXT

    for index, label in enumerate(each_tab(at, "inside_tab")):
        name = TAB_KEYS[index]
        _check(at, f"the tab {label}")
        if name == "tokens":
            assert any("id" in d.value.columns and ru("inside.tokens.column.vocabulary entry") in d.value.columns
                       for d in at.dataframe)
            assert any(m.label == ru("inside.tokens.metric.tokens") for m in at.metric)
        elif name == "lens":
            assert len(at.get("vega_lite_chart")) == 2
            assert any(c.value.startswith(ru("inside.chart.in_words", text="")) for c in at.caption)
            at.radio(key="inside_lens_what").set_value("final").run()
            at.slider(key=state.INSIDE_LAYER).set_value(0).run()
            _check(at, "the lens on the final top-1, layer 0")
            assert any(m.label == ru("inside.lens.metric.raw") for m in at.metric)
        elif name == "attention":
            assert len(at.get("vega_lite_chart")) == 3
            at.number_input(key=state.INSIDE_HEAD).set_value(2).run()
            _check(at, "the attention of head 2")
            assert any(m.value.startswith("**Блок 1, голова 2**") for m in at.markdown)
        elif name == "ablation":
            at.button(key="inside_abl_go").click().run()
            _check(at, "a removed word")
            assert any(m.value.startswith(ru("inside.abl.edit_shown", description="")) for m in at.markdown)
            at.radio(key="inside_abl_action").set_value("replace").run()
            _check(at, "a replacement not typed yet")
            at.text_input(key="inside_abl_replacement").set_value("пёс").run()
            at.button(key="inside_abl_go").click().run()
            _check(at, "a replaced word")
            at.button(key="inside_abl_rank").click().run()
            _check(at, "the ranking of every word")
            assert len(at.get("vega_lite_chart")) == 2  # the edit's bars and the ranking

    # The same text as a chat message: the chat template's tokens, and the caption that says so.
    at.toggle(key="inside_as_chat").set_value(True)
    press(at, ru("inside.text.look"))
    assert any(ru("inside.chat_label") in c.value for c in at.caption)
    _check(at, "the text as a chat message")
