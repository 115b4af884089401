"""The streaming loop: UTF-8 safe pieces, stops, cancel, truncation, and parity with model.generate."""

import threading

import pytest
import torch

from mirror.engine.detokenize import VisibleText
from mirror.engine.generation import Generation, fit_prompt
from mirror.services.prompts import generate
from mirror.services.prompts import Message, build_prompt
from mirror.engine.sampling import SamplingParams

GREEDY_PLAIN = SamplingParams(temperature=0, repetition_penalty=1.0, no_repeat_ngram_size=0, max_new_tokens=200)


def run(lm, params=GREEDY_PLAIN, prompt="Hi", **kwargs):
    g = Generation(lm, lm.encode(prompt), params, **kwargs)
    steps = list(g)
    return g, steps, g.result()


@pytest.mark.parametrize("text", [
    "Привет, мир! Как дела?",
    "Mirror 🪞 on the wall 👩‍👩‍👧‍👦 and 🐉🔥",
    "日本語のテキスト、そして한국어",
    "mixed: ça, naïve, Ελληνικά, עִבְרִית",
])
def test_pieces_are_utf8_safe_and_join_to_the_decoded_text(scripted, tokenizer, text):
    lm = scripted(text)
    ids = tokenizer(text, add_special_tokens=False).input_ids
    # Make sure the test really exercises split characters: some single tokens are not valid UTF-8 alone.
    assert any("\ufffd" in tokenizer.decode([i]) for i in ids) or text.isascii()
    g, steps, result = run(lm)
    pieces = [s.text for s in steps]
    assert all("\ufffd" not in p for p in pieces)
    assert "".join(pieces) == result.text == text
    assert result.finish_reason == "eos"
    assert [s.token_id for s in steps][:-1] == ids


def test_text_state_holds_back_partial_characters_and_stop_prefixes():
    state = VisibleText(("\nUser:",))
    assert state.advance("Hello\ufffd", final=False) == ("Hello", False)
    assert state.advance("Hello😀\nUs", final=False) == ("😀", False)  # "\nUs" might start a stop string
    assert state.advance("Hello😀\nUsually", final=False) == ("\nUsually", False)
    state2 = VisibleText(("\nUser:",))
    assert state2.advance("Sure.\nUser: more", final=False) == ("Sure.", True)


def test_stop_string_ends_the_reply_and_is_never_shown(scripted):
    lm = scripted("Of course.\nUser: and then?")
    g, steps, result = run(lm, stop_strings=["\nUser:"])
    assert result.finish_reason == "stop_string"
    assert result.text == "Of course."
    assert "".join(s.text for s in steps) == "Of course."
    assert all("\n" not in s.text for s in steps)


def test_max_new_tokens_and_context_window(scripted):
    text = "one two three four five six seven eight nine ten"
    g, steps, result = run(scripted(text), GREEDY_PLAIN.replace(max_new_tokens=3))
    assert len(steps) == 3 and result.finish_reason == "length" and result.text == "one two three"
    g, steps, result = run(scripted(text, context=6), prompt="Hi there")  # 2 prompt tokens, window of 6
    assert result.finish_reason == "context" and len(steps) == 4


def test_long_prompt_is_cut_from_the_left_and_reported(scripted, tokenizer):
    assert fit_prompt(list(range(100)), context=64, max_new_tokens=16) == (list(range(52, 100)), 52)
    assert fit_prompt(list(range(10)), context=64, max_new_tokens=16) == (list(range(10)), 0)
    # A huge max_new_tokens never erases more than half the window of prompt.
    assert fit_prompt(list(range(100)), context=64, max_new_tokens=1000)[1] == 68
    lm = scripted("ok", context=64)
    g = Generation(lm, list(range(5, 105)), GREEDY_PLAIN.replace(max_new_tokens=16))
    assert g.dropped_prompt_tokens == 52 and len(g.prompt_ids) == 48
    assert g.run_to_end().dropped_prompt_tokens == 52


def test_cancel_from_another_thread_stops_within_one_step(scripted):
    lm = scripted("a b c d e f g h i j k l m n o p q r s t u v w x y z " * 3)
    g = Generation(lm, lm.encode("Hi"), GREEDY_PLAIN)
    seen = []
    for step in g:
        seen.append(step)
        if len(seen) == 3:
            t = threading.Thread(target=g.cancel)
            t.start()
            t.join()
    result = g.result()
    # The scheduler may have run ahead of this reader; what it computed after the cancel is dropped.
    assert len(seen) == 3
    assert result.finish_reason == "cancelled"
    assert result.token_ids == [s.token_id for s in seen]
    assert result.text == "".join(s.text for s in seen) == "a b c"


def test_empty_prompt_is_refused(scripted):
    lm = scripted("x")
    with pytest.raises(ValueError, match="empty"):
        Generation(lm, [], GREEDY_PLAIN)
    with pytest.raises(ValueError, match="empty"):
        generate(lm, "   ", GREEDY_PLAIN)


def test_step_fields_are_consistent(bundled):
    params = SamplingParams.preset("Balanced", seed=5, max_new_tokens=12)
    g, steps, result = run(bundled, params, prompt="The mirror on the wall said")
    assert result.seed == 5 and result.new_tokens == len(steps)
    for s in steps:
        assert 0 < s.prob <= 1 and 0 < s.raw_prob <= 1 and s.rank >= 1
        assert s.entropy >= 0 and s.sampler_entropy >= 0
        assert len(s.alternatives) == 10
        raw = [a.raw_prob for a in s.alternatives]
        assert raw == sorted(raw, reverse=True)
        if s.rank <= 10:
            assert s.alternatives[s.rank - 1].token_id == s.token_id
        assert abs(sum(a.prob for a in s.alternatives) - 1) < 0.5 or s.sampler_entropy > 0
    assert result.time_to_first_token is not None and result.time_to_first_token <= result.seconds
    assert result.tokens_per_second > 0


def test_same_seed_gives_same_text_and_different_seeds_differ(bundled):
    params = SamplingParams.preset("Creative", max_new_tokens=20)
    texts = [run(bundled, params.replace(seed=s), prompt="Once upon a time")[2].text for s in (1, 1, 2)]
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]


def _reference(lm, prompt_ids, params):
    def go():
        torch.manual_seed(params.seed or 0)
        with torch.inference_mode():
            out = lm.model.generate(torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids),
                                    dtype=torch.long), pad_token_id=lm.tokenizer.eos_token_id,
                                    **params.generate_kwargs())
        return out[0, len(prompt_ids):].tolist()
    return lm.run(go)


@pytest.mark.parametrize("params", [
    SamplingParams(temperature=0, max_new_tokens=40),
    SamplingParams(temperature=0, repetition_penalty=1.0, no_repeat_ngram_size=0, max_new_tokens=40),
    SamplingParams.preset("Balanced", seed=7, max_new_tokens=40),
    SamplingParams.preset("Creative", seed=3, max_new_tokens=40),
    SamplingParams.preset("Strict", seed=11, max_new_tokens=40),
], ids=["greedy-balanced-penalties", "greedy-plain", "balanced", "creative", "strict"])
@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat"])
def test_tokens_match_model_generate(bundled, params, chat):
    """Same tokens as transformers' generate: greedy, and seeded sampling after torch.manual_seed(seed).

    The end-token protection is switched off here, because transformers has none; with chat prompts
    the end token is in the prompt and the protection would (deliberately) change the numbers.
    """
    text = "Tell me a short story about a dragon and a mirror."
    prompt = build_prompt(bundled, [Message("user", text)]).text if chat else "Once upon a time, in a small village,"
    ids = bundled.encode(prompt)
    ours = Generation(bundled, ids, params, protect_end_tokens=False).run_to_end()
    assert ours.token_ids == _reference(bundled, ids, params)


# --- a reply cut inside a character ------------------------------------------------------------------


# With the bundled tokenizer: 日本語 is 'æĹ' '¥' 'æľ¬' 'è' 'ª' 'ŀ' (E6 97 | A5 | E6 9C AC | E8 | AA | 9E);
# "Mirror 🪞 on" is 'M' 'ir' 'ror' 'ĠðŁ' 'ª' 'ŀ' 'Ġon' (🪞 = F0 9F AA 9E).
@pytest.mark.parametrize("text, limit, expected, dropped", [
    ("日本語", 1, "", 2),
    ("日本語", 4, "日本", 1),
    ("日本語", 5, "日本", 2),
    ("🪞", 2, "", 3),
    ("Mirror 🪞 on", 4, "Mirror ", 2),
    ("Mirror 🪞 on", 5, "Mirror ", 3),
])
def test_a_reply_cut_inside_a_character_drops_only_its_bytes(scripted, tokenizer, text, limit, expected, dropped):
    ids = tokenizer(text, add_special_tokens=False).input_ids
    assert tokenizer.decode(ids[:limit]) == expected + "\ufffd"  # what the reply showed before
    g, steps, result = run(scripted(text), GREEDY_PLAIN.replace(max_new_tokens=limit))
    assert result.finish_reason == "length" and result.token_ids == ids[:limit]
    assert "\ufffd" not in result.text
    assert result.text == expected == "".join(s.text for s in steps)
    assert result.dropped_bytes == dropped and result.to_dict()["dropped_bytes"] == dropped


@pytest.mark.parametrize("text", ["日本語", "Mirror 🪞 on", "ok \ufffd and 😀"])
def test_a_reply_that_finishes_its_characters_drops_nothing(scripted, tokenizer, text):
    limit = len(tokenizer(text, add_special_tokens=False).input_ids)
    for params in (GREEDY_PLAIN, GREEDY_PLAIN.replace(max_new_tokens=limit)):  # ends with eos, then at the limit
        g, steps, result = run(scripted(text), params)
        assert result.text == text == "".join(s.text for s in steps)
        assert result.dropped_bytes == 0


def test_a_replacement_character_the_model_wrote_is_kept(scripted, tokenizer):
    text = "ok \ufffd日本"
    ids = tokenizer(text, add_special_tokens=False).input_ids
    limit = next(k for k in range(1, len(ids)) if tokenizer.decode(ids[:k]) == "ok \ufffd\ufffd")  # inside 日
    g, steps, result = run(scripted(text), GREEDY_PLAIN.replace(max_new_tokens=limit))
    assert result.text == "ok \ufffd" == "".join(s.text for s in steps)
    assert result.dropped_bytes == 2


def test_without_the_tokens_bytes_trailing_replacement_characters_are_dropped(scripted, monkeypatch):
    monkeypatch.setattr("mirror.engine.generation.tokenizer_bytes_reader", lambda tokenizer: None)  # a tokenizer that hides them
    g, steps, result = run(scripted("日本語"), GREEDY_PLAIN.replace(max_new_tokens=5))
    assert result.text == "日本" == "".join(s.text for s in steps)
    assert result.dropped_bytes == 1  # one U+FFFD, counted as one byte


def test_end_token_or_stop_string_inside_a_character(scripted_ids, tokenizer):
    japanese = tokenizer("日本語", add_special_tokens=False).input_ids
    g, steps, result = run(scripted_ids(japanese[:4]))  # then the end token
    assert result.finish_reason == "eos" and result.text == "日本" == "".join(s.text for s in steps)
    assert result.dropped_bytes == 1
    lm = scripted_ids(japanese[:5] + tokenizer("\nUser: more", add_special_tokens=False).input_ids)
    g, steps, result = run(lm, stop_strings=["\nUser:"])
    assert result.finish_reason == "stop_string" and result.text == "日本" == "".join(s.text for s in steps)
    assert result.dropped_bytes == 2


def test_cancel_inside_a_character(scripted):
    lm = scripted("日本語" * 30)
    g = Generation(lm, lm.encode("Hi"), GREEDY_PLAIN)
    seen = []
    for step in g:
        seen.append(step)
        if len(seen) == 4:  # 日本 and the first byte of 語
            g.cancel()
    result = g.result()
    assert result.finish_reason == "cancelled" and len(result.token_ids) == 4
    assert result.text == "日本" == "".join(s.text for s in seen)
    assert result.dropped_bytes == 1


def test_text_state_drops_an_unfinished_character_before_a_stop_string():
    state = VisibleText(("\nUser:",))
    data = "ab".encode() + b"\xe3\x81"
    assert state.advance("ab\ufffd", final=False, data=data) == ("ab", False)
    assert state.advance("ab\ufffd\n", final=False, data=data + b"\n") == ("", False)
    assert state.advance("ab\ufffd\nUser:", final=False, data=data + b"\nUser:") == ("", True)
    assert (state.shown, state.unfinished_bytes) == ("ab", 2)


def test_bundled_model_never_ends_in_a_broken_character(bundled):
    prompt = "日本語で自己紹介してください。"  # the bundled model rarely writes emoji, but it answers in Japanese
    dropped = []
    for seed in range(4):
        for limit in (1, 2, 3, 5, 8):
            g = generate(bundled, prompt, SamplingParams(temperature=1.0, seed=seed, max_new_tokens=limit), chat=True)
            steps = list(g)
            result = g.result()
            assert "\ufffd" not in result.text
            assert "".join(s.text for s in steps) == result.text
            dropped.append(result.dropped_bytes)
    assert any(dropped)  # some replies were really cut inside a character
