"""Lesson links: a view survives the round trip through a URL, and a damaged link is read as far as it holds."""

from urllib.parse import parse_qsl

import pytest

from mirror.engine.sampling import SamplingParams
from mirror.services.lesson_links import (MAX_FIELD_CHARS, MAX_QUERY_BYTES, LessonView, WrittenText, fit_link, read_view,
                                          read_written, view_of, write_written, written_of)


def _round_trip(view: LessonView, fields=()) -> LessonView:
    return read_view(dict(parse_qsl(view.query_string())), fields)


def test_a_view_survives_the_url():
    params = SamplingParams(temperature=0.9, top_k=7, top_p=0.8, repetition_penalty=1.35, no_repeat_ngram_size=3,
                            max_new_tokens=40, seed=1234)
    view = view_of(params, "ru", "SmolLM2-135M-Instruct", {"prompt": "Жил-был кот & «пёс»?\n#2", "pos": 5},
                   projector=True)
    back = _round_trip(view, ("prompt", "pos"))
    assert back == view
    assert SamplingParams(**back.params, seed=back.seed) == params


def test_an_unfixed_seed_is_left_out():
    view = view_of(SamplingParams(), "en", "gpt2", {})
    assert "seed" not in view.query() and view.seed is None


@pytest.mark.parametrize(("query", "problem"), [
    ({"temperature": "9"}, "temperature"),
    ({"temperature": "nan"}, "temperature"),
    ({"top_k": "1.5"}, "top_k"),
    ({"top_p": "0"}, "top_p"),
    ({"max_new_tokens": "100000"}, "max_new_tokens"),
    ({"seed": "-1"}, "seed"),
    ({"seed": "abc"}, "seed"),
    ({"lang": "fr"}, "lang"),
    ({"model": "x" * 500}, "model"),
    ({"model": "gpt2\n"}, "model"),
    ({"prompt": "x" * 5000}, "prompt"),
])
def test_a_bad_value_is_dropped_with_its_name_and_the_rest_holds(query, problem):
    view = read_view({**query, "top_k": query.get("top_k", "9"), "lang": query.get("lang", "ru")}, ("prompt",))
    assert view.problems == (problem,)
    if problem != "top_k":
        assert view.params["top_k"] == 9
    if problem != "lang":
        assert view.lang == "ru"


def test_unknown_keys_are_ignored_and_page_fields_must_not_clash():
    assert read_view({"evil": "1", "prompt": "hi"}) == LessonView()
    with pytest.raises(ValueError):
        view_of(SamplingParams(), "en", "m", {"seed": "1"})


def test_a_view_too_long_for_web_servers_leaves_out_its_last_fields():
    questions = {"ask": "Кто ты?", "ask2": "Я" * 700, "ask3": "Почему?", "ask4": "Ж" * 700}
    view = view_of(SamplingParams(seed=7), "ru", "SmolLM2-135M-Instruct", questions)
    assert len(view.query_string()) > 7000  # 1,400 Cyrillic letters are 8,400 bytes percent-encoded
    fitted, left_out = fit_link(view)
    assert left_out == ("ask4",) and list(fitted.fields) == ["ask", "ask2", "ask3"]
    assert len(fitted.query_string()) <= MAX_QUERY_BYTES and fitted.seed == 7 and fitted.lang == "ru"
    # A later field never stays when one before it had to go: it would mean something else without it.
    fitted, left_out = fit_link(view_of(SamplingParams(), "en", "m", {"text": "x" * 8000, "token": 3}))
    assert fitted.fields == {} and left_out == ("text", "token")
    short = view_of(SamplingParams(), "en", "m", {"ask": "Hi"})
    assert fit_link(short) == (short, ())


def test_a_field_longer_than_a_link_may_hold_is_left_out_with_those_after_it():
    # 4,500 ASCII characters fit in 7,000 bytes, but read_view refuses a field over MAX_FIELD_CHARS: the link
    # would have carried a text the visitor's page then drops.
    view = view_of(SamplingParams(), "en", "m", {"text": "x" * (MAX_FIELD_CHARS + 500), "token": 3})
    assert len(view.query_string()) < MAX_QUERY_BYTES
    fitted, left_out = fit_link(view)
    assert fitted.fields == {} and left_out == ("text", "token")
    fitted, left_out = fit_link(view_of(SamplingParams(), "en", "m", {"text": "Hi", "written": "w" * 4001}))
    assert fitted.fields == {"text": "Hi"} and left_out == ("written",)


def _float32(value: float) -> float:
    import numpy as np

    return float(np.float32(value))


WRITTEN = WrittenText(origin="chat", seed=11, token_ids=(504, 3, 49151), context_ids=(1, 9690, 198),
                      sampler_probs=(_float32(0.8123), None, 0.1))


def test_how_a_text_was_written_survives_the_url_bit_for_bit():
    text = write_written(WRITTEN)
    assert text == "chat~11~504.3.49151~1.9690.198~0.8123__0.1d"
    assert read_written(text) == WRITTEN
    back = read_written(text).sampler_probs
    assert back[0] == _float32(0.8123) and back[2] == 0.1  # float32 and float64 values each come back exactly
    bare = WrittenText("explorer", None, (5,), (), ())
    assert read_written(write_written(bare)) == bare


def test_a_pasted_text_carries_nothing_about_how_it_was_written():
    assert written_of("paste", None, [1, 2], [], None) is None
    assert written_of("chat", 3, [], [1], None) is None
    assert written_of("fork", 3, [1, 2], [7], [None, 0.5]) == WrittenText("fork", 3, (1, 2), (7,), (None, 0.5))


@pytest.mark.parametrize("text", [
    "", "chat", "chat~11~1.2~3", "mail~11~1.2~3~", "chat~x~1.2~3~", "chat~-1~1.2~3~", "chat~11~~3~",
    "chat~11~1.x~3~", "chat~11~1.-2~3~", "chat~11~1.2~3.4294967296~", "chat~11~1.2~3~0.5_0.5_0.5",
    "chat~11~1.2~3~1.5", "chat~11~1.2~3~nan", "chat~11~1.2~3~-0.1d", "chat~11~1.2~3~1e999",
    "chat~11~1.2~3~abc",
])
def test_a_broken_written_text_is_refused(text):
    with pytest.raises(ValueError):
        read_written(text)
