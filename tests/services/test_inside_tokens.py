"""The Tokens view: every token's id and bytes, the characters they make, and what a sentence costs.

Checked against independent computations: the tokenizer's own encoding, Python's UTF-8 encoder.
"""

from __future__ import annotations

import html
import re

import pytest
from streamlit.testing.v1 import AppTest

from mirror.models import wrap_model
from mirror.services.inside.tokens import (
    CharacterGroup,
    TokenCost,
    TokenPiece,
    character_groups,
    cost_ratio,
    ratio_sentence,
    token_cost,
    token_pieces,
    token_table,
    tokens_html,
    tokens_summary,
)
from tests.conftest import build_tiny_gpt2

ENGLISH = "The mirror shows how a language model writes."
RUSSIAN = "Зеркало показывает, как пишет языковая модель."
TEXTS = {"english": ENGLISH, "cyrillic": RUSSIAN, "emoji": "Look 🪞 at me 👩‍🔬!", "cjk": "日本語の鏡です。"}


def pieces_of(lm, text: str) -> list[TokenPiece]:
    return token_pieces(lm, lm.encode(text))


@pytest.fixture(scope="module")
def chat_ids(bundled) -> list[int]:
    prompt = bundled.tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                                   add_generation_prompt=True)
    return bundled.encode(prompt)


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_pieces_keep_the_ids_and_their_bytes_are_the_texts_utf8(bundled, text):
    ids = bundled.tokenizer(text, add_special_tokens=False).input_ids
    pieces = token_pieces(bundled, ids)
    assert [p.token_id for p in pieces] == ids
    assert [p.index for p in pieces] == list(range(len(ids)))
    assert [p.token for p in pieces] == bundled.tokenizer.convert_ids_to_tokens(ids)
    assert not any(p.special for p in pieces)
    assert b"".join(p.data for p in pieces) == text.encode("utf-8")


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_groups_join_into_the_text_and_each_decodes_alone(bundled, text):
    pieces = pieces_of(bundled, text)
    groups = character_groups(pieces)
    assert "".join(g.text for g in groups) == text
    assert [g.first for g in groups] == [0] + [g.last + 1 for g in groups[:-1]]  # contiguous, in order
    assert groups[-1].last == len(pieces) - 1
    for g in groups:
        data = b"".join(p.data for p in pieces[g.first:g.last + 1])
        assert data.decode("utf-8") == g.text  # whole characters
        # The smallest run: no shorter prefix of it ends on a character boundary.
        for end in range(g.first, g.last):
            prefix = b"".join(p.data for p in pieces[g.first:end + 1])
            with pytest.raises(UnicodeDecodeError):
                prefix.decode("utf-8")


def test_an_emoji_split_over_several_tokens_is_one_split_group(bundled):
    pieces = pieces_of(bundled, "🪞 mirror")
    mirror_bytes = "🪞".encode("utf-8")
    assert len(pieces) > 2 and b"".join(p.data for p in pieces[:3]) == mirror_bytes  # three byte pieces
    groups = character_groups(pieces)
    first = groups[0]
    assert (first.first, first.last, first.text, first.split, first.split_characters) == (0, 2, "🪞", True, "🪞")
    assert first.describe() == "these 3 tokens make 1 character 🪞"
    assert not any(g.split for g in groups[1:])


def test_a_group_names_only_the_characters_that_cross_a_token_edge(bundled):
    pieces = pieces_of(bundled, RUSSIAN)
    groups = character_groups(pieces)
    split = [g for g in groups if g.split]
    assert split, "the bundled vocabulary splits some Cyrillic letter over two tokens"
    for g in groups:
        sizes = [len(p.data) for p in pieces[g.first:g.last + 1]]
        edges, at = set(), 0
        for size in sizes[:-1]:
            at += size
            edges.add(at)
        expected, start = "", 0
        for char in g.text:
            end = start + len(char.encode("utf-8"))
            expected += char if any(start < e < end for e in edges) else ""
            start = end
        assert g.split_characters == expected
    summary = tokens_summary(pieces, groups)
    assert summary.tokens == len(bundled.tokenizer(RUSSIAN, add_special_tokens=False).input_ids)
    assert summary.characters == len(RUSSIAN)
    assert summary.split_characters == sum(len(g.split_characters) for g in groups) > 0
    assert summary.caption().startswith(f"{summary.tokens} tokens, {len(RUSSIAN)} characters; ")


def test_a_chat_prompt_shows_its_special_tokens(bundled, chat_ids):
    pieces = token_pieces(bundled, chat_ids)
    specials = set(bundled.tokenizer.all_special_ids)
    starts = [p for p in pieces if p.token == "<|im_start|>"]
    assert len(starts) == 3 and all(p.special for p in starts)
    assert [p.index for p in pieces if p.special] == [i for i, t in enumerate(chat_ids) if t in specials]
    assert all(p.data == p.token.encode("utf-8") for p in pieces if p.special)
    prompt = bundled.tokenizer.decode(chat_ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
    groups = character_groups(pieces)
    assert "".join(g.text for g in groups) == prompt
    assert all(g.special and g.first == g.last for g in groups if pieces[g.first].special)
    summary = tokens_summary(pieces, groups)
    assert summary.special_tokens == sum(t in specials for t in chat_ids)
    assert "special" in summary.caption()


def test_an_unfinished_character_at_the_end_closes_with_a_replacement_mark(bundled):
    ids = bundled.encode("🪞")[:2]  # two of the emoji's three byte pieces
    groups = character_groups(token_pieces(bundled, ids))
    assert len(groups) == 1 and groups[0].split and groups[0].text == "\ufffd"


def test_token_cost_counts_with_the_tokenizer(bundled):
    for text in TEXTS.values():
        cost = token_cost(bundled, text)
        independent = len(bundled.tokenizer(text, add_special_tokens=False).input_ids)
        assert cost == TokenCost(text, independent, len(text), len(text.encode("utf-8")))
    with pytest.raises(ValueError, match="the text is empty"):
        token_cost(bundled, "")


def test_russian_costs_more_tokens_than_english(bundled):
    english, russian = token_cost(bundled, ENGLISH), token_cost(bundled, RUSSIAN)
    ratio = cost_ratio(english, russian)
    assert ratio == russian.tokens / english.tokens > 1
    sentence = ratio_sentence(ratio, "English", "Russian")
    assert sentence == f"The Russian sentence costs {ratio:.1f}× as many tokens as the English one."
    assert ratio_sentence(1.0) == "The second sentence costs as many tokens as the first one."
    assert ratio_sentence(0.5, "A", "B") == "The B sentence costs 0.50× as many tokens as the A one."
    with pytest.raises(ValueError, match="no tokens"):
        cost_ratio(TokenCost("", 0, 0, 0), russian)


def test_the_html_escapes_markup_and_marks_specials_and_splits(bundled, chat_ids):
    pieces = pieces_of(bundled, "<script>alert('x')</script> 🪞 </span>")
    groups = character_groups(pieces)
    page = tokens_html(pieces, groups)
    assert "<script" not in page and "</script" not in page
    shown = html.unescape(re.sub(r"<[^>]*>", "", page))  # what a reader sees: the markup shows as text
    assert "<script>alert('x')</script>" in shown and shown.endswith("</span>")
    assert page.count("<span") == page.count("</span>")  # the text's own closing tag closes nothing
    split = [g for g in groups if g.split]
    assert len(split) == 1 and page.count('class="mm-group"') == 1
    assert f'title="{html.escape(split[0].describe())}"' in page
    assert all(f">{pieces[i].data.hex(' ')}</span>" in page for i in range(split[0].first, split[0].last + 1))
    chat = tokens_html(token_pieces(bundled, chat_ids))
    assert chat.count("mm-special") == sum(t in set(bundled.tokenizer.all_special_ids) for t in chat_ids)
    assert "&lt;|im_start|&gt;" in chat and "<|im_start|>" not in chat
    assert "<br>" in chat  # the template's newlines break the lines


def test_the_table_shows_bytes_in_hex_and_visible_whitespace(bundled):
    pieces = pieces_of(bundled, "Зе mirror\n")
    table = token_table(pieces)
    assert list(table.columns) == ["position", "token", "id", "bytes", "special", "characters", "vocabulary entry"]
    assert table["id"].tolist() == [p.token_id for p in pieces]
    assert table["bytes"].tolist() == [p.data.hex(" ") for p in pieces]
    assert table["bytes"][0] == "d0"  # 'З' is d0 97, cut in two
    assert table["characters"][0] == table["characters"][1] == "З"
    assert "␣mirror" in table["token"].tolist()
    assert table["token"].iloc[-1].endswith("⏎")
    assert not table["special"].any()


def test_a_tiny_gpt2_tokenizer_gives_the_same_bytes(tokenizer):
    lm = wrap_model(build_tiny_gpt2(len(tokenizer)), tokenizer, "tiny-gpt2")
    try:
        text = TEXTS["emoji"] + RUSSIAN
        pieces = token_pieces(lm, lm.encode(text))
        assert b"".join(p.data for p in pieces) == text.encode("utf-8")
        assert "".join(g.text for g in character_groups(pieces)) == text
    finally:
        lm.close()


def test_groups_of_made_up_pieces():
    def piece(index: int, data: bytes, special: bool = False) -> TokenPiece:
        return TokenPiece(index, index, data.decode("latin-1"), data, special)

    pieces = [piece(0, b"a\xd0"), piece(1, b"\x97b"), piece(2, b"<s>", True), piece(3, b"\xff"), piece(4, b"\xe6")]
    groups = character_groups(pieces)
    assert groups == [CharacterGroup(0, 1, "aЗb", "З"), CharacterGroup(2, 2, "<s>", special=True),
                      CharacterGroup(3, 3, "\ufffd"), CharacterGroup(4, 4, "\ufffd")]


def _tokens_page() -> None:
    import streamlit as st

    from mirror.ui.inside.tokens import languages_view, tokens_view

    lm = st.session_state["lm"]
    tokens_view(lm, st.session_state["ids"])
    languages_view(lm)


def test_the_views_draw_and_empty_boxes_only_inform(bundled, chat_ids):
    at = AppTest.from_function(_tokens_page, default_timeout=60)
    at.session_state["lm"], at.session_state["ids"] = bundled, chat_ids
    at.run()
    assert not at.exception, at.exception
    expected = ratio_sentence(cost_ratio(token_cost(bundled, ENGLISH), token_cost(bundled, RUSSIAN)),
                              "English", "Russian")
    assert expected in [m.value for m in at.markdown]
    assert at.dataframe[0].value["id"].tolist() == chat_ids
    at.text_input(key="inside_lang_b").set_value("").run()
    assert not at.exception, at.exception
    assert any("Type a sentence in Russian" in i.value for i in at.info)
