"""What each word did (ablation): the figures are the Inspector's scoring of the edited text, the edits are exact."""

from __future__ import annotations

import math

import pytest

from mirror.services import scoring
from mirror.services.inside import ablation
from mirror.services.inside.ablation import Edit, ablate, prompt_words, rank_words, ranked

PROMPT = "The capital of France is Paris. The capital of Italy is"
CONTINUATION = " Rome, a city"


@pytest.fixture(scope="module")
def plain(bundled):
    """A plain text as the Inspector feeds it: the document-start token, then the text's tokens; the split."""
    prompt_ids = bundled.encode(PROMPT)
    ids = [scoring.start_token_id(bundled.tokenizer), *prompt_ids, *bundled.encode(CONTINUATION)]
    assert ids[1:] == bundled.encode(PROMPT + CONTINUATION)  # the split falls between tokens
    return ids, 1 + len(prompt_ids)


def word_with(words, text):
    return next(w for w in words if w.text == text)


def test_words_are_runs_of_prompt_tokens_starting_at_spaces_and_punctuation(bundled, plain):
    ids, split = plain
    words = prompt_words(bundled, ids, split)
    assert [w.text for w in words] == ["The", " capital", " of", " France", " is", " Paris", ".", " The",
                                       " capital", " of", " Italy", " is"]
    assert [w.index for w in words] == list(range(len(words)))
    assert words[0].first == 1  # the document-start token is not a word
    for word in words:
        assert bundled.decode(ids[word.first:word.end], skip_special_tokens=False) == word.text
    assert all(a.end <= b.first for a, b in zip(words, words[1:]))
    assert words[-1].end == split


def test_a_word_spanning_several_tokens_and_whitespace_leading_into_a_word(bundled):
    start = scoring.start_token_id(bundled.tokenizer)
    ids = [start, *bundled.encode("Mirror, who is fairest?\n\nThe queen didn't"), *bundled.encode(" smile")]
    split = len(ids) - 1
    words = prompt_words(bundled, ids, split)
    assert [w.text for w in words] == ["Mirror", ",", " who", " is", " fairest", "?", "\n\nThe", " queen", " didn't"]
    assert words[0].end - words[0].first > 1  # "Mirror" is several tokens, one word


def test_special_tokens_are_never_words(bundled):
    prompt = bundled.tokenizer.apply_chat_template([{"role": "user", "content": "Name a red fruit."}],
                                                   add_generation_prompt=True, tokenize=False)
    prompt_ids = bundled.encode(prompt)  # the chat markers are special tokens in the text
    ids = prompt_ids + bundled.encode("An apple.")
    specials = set(bundled.tokenizer.all_special_ids)
    assert specials & set(prompt_ids)
    words = prompt_words(bundled, ids, len(prompt_ids))
    covered = {p for w in words for p in range(w.first, w.end)}
    assert not covered & {p for p, i in enumerate(prompt_ids) if i in specials}
    assert {"user", " red", " fruit", "."} <= {w.text for w in words}
    # every ordinary token belongs to a word, except newlines standing alone between chat markers
    for position, token in enumerate(prompt_ids):
        if token not in specials and position not in covered:
            assert not bundled.decode([token]).strip()


def test_ablation_figures_equal_the_inspector_scoring_of_the_edited_text(bundled, plain):
    ids, split = plain
    words = prompt_words(bundled, ids, split)
    cont = ids[split:]
    original = scoring.score_text(bundled, PROMPT + CONTINUATION).tokens[-len(cont):]
    scored_once = ablation.score_continuation(bundled, ids[:split], cont)
    for edit in (Edit(word_with(words, " Italy")), Edit(word_with(words, " Italy"), "Spain"),
                 Edit(word_with(words, " Paris"), "Rome")):
        result = ablate(bundled, ids, split, edit, original=scored_once)
        edited_text = bundled.decode(result.edited_ids[1:])
        assert [result.edited_ids[0], *bundled.encode(edited_text)] == result.edited_ids  # re-tokenizes the same
        inspector = scoring.score_text(bundled, edited_text).tokens[-len(cont):]
        assert [t.token_id for t in inspector] == cont
        assert result.after == pytest.approx([t.prob for t in inspector], rel=1e-5, abs=1e-9)
        assert result.after_logprobs == pytest.approx([t.logprob for t in inspector], abs=1e-5)
        assert result.before == pytest.approx([t.prob for t in original], rel=1e-5, abs=1e-9)
        assert result.logprob_change == pytest.approx(sum(t.logprob for t in inspector)
                                                      - sum(t.logprob for t in original), abs=1e-4)
        assert result.bits_change == pytest.approx(result.logprob_change / math.log(2))
        assert result.prob_changes == pytest.approx([a - b for a, b in zip(result.after, result.before)])
        assert result.top_after == tuple(t.alternatives[0].token for t in inspector)
    # Italy -> Spain makes " Rome" much less likely: the figures are the model's, not noise
    spain = ablate(bundled, ids, split, Edit(word_with(words, " Italy"), "Spain"), original=scored_once)
    assert spain.prob_change(0) < -0.1


def test_removing_a_word_drops_exactly_its_tokens(bundled, plain):
    ids, split = plain
    word = word_with(prompt_words(bundled, ids, split), " France")
    result = ablate(bundled, ids, split, Edit(word))
    assert result.edited_ids == ids[:word.first] + ids[word.end:]
    assert result.edited_split == split - (word.end - word.first)
    assert result.continuation == ids[split:]
    assert result.edit.replacement is None and "remove" in result.edit.description


def test_a_replacement_is_spliced_with_the_words_leading_space(bundled, plain):
    ids, split = plain
    words = prompt_words(bundled, ids, split)
    word = word_with(words, " Italy")
    result = ablate(bundled, ids, split, Edit(word, "  Spain"))  # typed spaces do not double the word's own
    spliced = bundled.encode(" Spain")
    assert result.edited_ids == ids[:word.first] + spliced + ids[word.end:]
    assert result.edited_prompt == ids[:word.first] + spliced + ids[word.end:split]
    first = ablate(bundled, ids, split, Edit(words[0], "A"))  # the first word has no leading space
    assert first.edited_ids[1:2] == bundled.encode("A")


def test_removing_the_only_word_keeps_the_start_token(bundled):
    start = scoring.start_token_id(bundled.tokenizer)
    ids = [start, *bundled.encode("Hello"), *bundled.encode(" world")]
    (word,) = prompt_words(bundled, ids, 2)
    result = ablate(bundled, ids, 2, Edit(word))
    assert result.edited_ids == [start, *ids[2:]]
    assert result.after == pytest.approx([t.prob for t in scoring.score_text(bundled, " world").tokens], rel=1e-5)


def test_rank_words_equals_single_ablations_and_sorts_by_absolute_change(bundled):
    start = scoring.start_token_id(bundled.tokenizer)
    prompt = bundled.encode("The sky is blue and grass is")
    ids = [start, *prompt, *bundled.encode(" green.")]
    split = 1 + len(prompt)
    calls = []
    influences = rank_words(bundled, ids, split, progress=lambda done, total: calls.append((done, total)))
    words = prompt_words(bundled, ids, split)
    assert len(influences) == len(words) == 7
    assert calls == [(n, 7) for n in range(1, 8)]
    assert sorted(i.word.index for i in influences) == list(range(7))
    original = ablation.score_continuation(bundled, ids[:split], ids[split:])
    assert ablate(bundled, ids, split, Edit(words[0])).before == ablate(bundled, ids, split, Edit(words[0]),
                                                                       original=original).before
    for influence in influences:
        single = ablate(bundled, ids, split, Edit(influence.word), original=original)
        assert influence.result.after == pytest.approx(single.after, rel=1e-6, abs=1e-12)
        assert influence.logprob_change == pytest.approx(single.logprob_change, abs=1e-6)
        assert influence.change == influence.logprob_change and influence.target_change is None
    changes = [abs(i.change) for i in influences]
    assert changes == sorted(changes, reverse=True)
    # One chosen token: ranked by its probability change instead, the same removals read again
    by_target = rank_words(bundled, ids, split, target=0)
    assert [abs(i.change) for i in by_target] == sorted((abs(i.change) for i in by_target), reverse=True)
    assert all(i.change == i.target_change == i.result.after[0] - i.result.before[0] for i in by_target)
    again = ranked(influences, 0)
    assert [i.word for i in again] == [i.word for i in by_target]


def test_bad_input_gets_clear_errors(bundled, plain):
    ids, split = plain
    words = prompt_words(bundled, ids, split)
    for bad in (0, len(ids), -1):
        with pytest.raises(ValueError, match="prompt must end"):
            prompt_words(bundled, ids, bad)
    for empty in ("", "   "):
        with pytest.raises(ValueError, match="replacement is empty"):
            ablate(bundled, ids, split, Edit(words[1], empty))
    with pytest.raises(ValueError, match="special token"):
        ablate(bundled, ids, split, Edit(words[1], "<|im_start|>"))
    with pytest.raises(ValueError, match="chosen token"):
        rank_words(bundled, ids, split, target=len(ids) - split)
    later = prompt_words(bundled, ids, len(ids) - 1)[-1]  # a word of a longer prompt, past this split
    with pytest.raises(ValueError, match="not inside"):
        ablate(bundled, ids, split, Edit(later))
    special_only = [scoring.start_token_id(bundled.tokenizer), *bundled.encode(" hi")]
    assert prompt_words(bundled, special_only, 1) == []
    with pytest.raises(ValueError, match="no words"):
        rank_words(bundled, special_only, 1)


def test_an_empty_prompt_without_a_start_token_is_refused(tiny_llama, monkeypatch):
    monkeypatch.setattr(scoring, "start_token_id", lambda tokenizer: None)  # a model with no document start
    ids = tiny_llama.encode("Hello world")
    (word,) = prompt_words(tiny_llama, ids, 1)
    with pytest.raises(ValueError, match="no document-start token"):
        ablate(tiny_llama, ids, 1, Edit(word))
    # with another word left it works, on the tiny model too
    ids = tiny_llama.encode("Hello big world")
    first, second = prompt_words(tiny_llama, ids, 2)
    result = ablate(tiny_llama, ids, 2, Edit(first))
    assert result.edited_ids == ids[1:]
    direct = scoring.score_ids(tiny_llama, ids[2:], context=ids[1:2])
    assert result.after == pytest.approx([t.prob for t in direct.tokens])
    assert ablation.Influence(result).change == result.logprob_change
