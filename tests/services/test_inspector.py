"""Rank buckets, colours (readable without colour, and with enough contrast), escaping of the coloured text,
summaries and the CSV table."""

import csv
import html
import io
import math
import re

import pytest

from mirror.services.scoring import TextScore, TokenScore
from mirror.i18n import using_language
from mirror.services.inspector import (
    BUCKETS,
    PROBABILITY_STOPS,
    TEXT_COLOUR,
    UNKNOWN_COLOUR,
    WCAG_AA,
    Summary,
    coloured_html,
    contrast_ratio,
    least_confident,
    legend_html,
    probability_colour,
    probability_html,
    rank_bucket,
    relative_luminance,
    safe_csv,
    token_table,
    whole_characters,
)


def tok(i, token, prob, rank):
    return TokenScore(index=i, token_id=100 + i, token=token, logprob=math.log(prob), prob=prob, rank=rank,
                      entropy=1.0, surprisal=-math.log2(prob), alternatives=((1, "a", 0.5), (2, "b", 0.2)))


def test_rank_buckets_follow_gltr():
    assert [rank_bucket(r) for r in (1, 10, 11, 100, 101, 1000, 1001, 49152)] == [
        "top 10", "top 10", "top 100", "top 100", "top 1000", "top 1000", "rest", "rest"]
    with pytest.raises(ValueError):
        rank_bucket(0)


def test_probability_colour_runs_from_purple_through_orange_to_yellow():
    unlikely, middle, likely = PROBABILITY_STOPS
    assert probability_colour(1e-9) == probability_colour(1e-4) == unlikely
    assert probability_colour(0.01) == middle and probability_colour(1.0) == likely
    assert probability_colour(0.001) not in PROBABILITY_STOPS
    # Lighter as the probability rises, so the scale reads in greyscale too.
    shades = [relative_luminance(probability_colour(10 ** (e / 10))) for e in range(-40, 1)]
    assert shades == sorted(shades)


def test_contrast_ratio_follows_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == contrast_ratio("#000000", "#ffffff")
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the well-known AA grey
    with pytest.raises(ValueError):
        relative_luminance("#fff")


def test_every_background_keeps_the_token_text_readable():
    """WCAG AA: token text on every bucket colour and every probability colour has a contrast of at least 4.5."""
    backgrounds = [b.colour for b in BUCKETS] + [UNKNOWN_COLOUR]
    backgrounds += [probability_colour(10 ** (e / 20)) for e in range(-100, 1)]
    for background in backgrounds:
        assert contrast_ratio(TEXT_COLOUR, background) >= WCAG_AA, background


def test_buckets_are_told_apart_without_colour():
    assert len({b.underline for b in BUCKETS}) == len(BUCKETS) == len({b.colour for b in BUCKETS})
    tokens = [tok(i, f"w{i}", 0.1, rank) for i, rank in enumerate((1, 50, 500, 5000))]
    out = coloured_html(tokens, "rank")
    legend = legend_html("rank")
    for bucket, span in zip(BUCKETS, out.split('class="mm-token"')[1:]):
        assert f"text-decoration-style:{bucket.underline}" in span and bucket.colour in span
        assert f"bucket: {bucket.name}" in span  # the tooltip names the bucket
        assert "aria-label" not in span  # ARIA forbids naming a span that has text; its text is read
        assert f"text-decoration-style:{bucket.underline}" in legend and bucket.name in legend
    assert "text-decoration" not in coloured_html(tokens, "prob")  # underlines mean rank buckets only
    # A token that shows nothing (it only begins a character) is a chip: an image named in words.
    chip = coloured_html(tokens[:2], "rank", pieces=["", "w1"]).split('class="mm-token"')[1]
    assert 'role="img"' in chip and f"bucket {BUCKETS[0].name}" in chip.split('aria-label="')[1].split('"')[0]
    with using_language("ru"):
        out = coloured_html(tokens, "rank")
        assert "группа: топ-10" in out and "группа: остальные" in out
        assert "топ-1000" in legend_html("rank") and "p ≤ 0,0001" in legend_html("prob")


def test_a_servers_reply_is_coloured_by_its_probabilities():
    out = probability_html(["<b>", " x"], [0.5, None])
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert UNKNOWN_COLOUR in out and "probability not reported" in out and "probability 0.5000" in out


def test_markup_in_tokens_is_escaped_and_newlines_are_visible():
    tokens = [tok(0, "<script>", 0.5, 1), tok(1, "alert(1)</span>", 0.1, 50), tok(2, "<img src=x onerror=y>", 0.01, 500),
              tok(3, "\n", 0.001, 5000), tok(4, ' "q" & ', 0.2, 2)]
    out = coloured_html(tokens, "rank", selected=1)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "alert(1)&lt;/span&gt;" in out and "&lt;img src=x onerror=y&gt;" in out
    assert "<img" not in out and out.count("<span") == out.count("</span>") == 5
    assert "⏎\n" in out and "&quot;q&quot; &amp;" in out
    assert "outline" in out.split('data-index="1"')[1].split(">")[0]
    for bucket in BUCKETS:
        assert bucket.colour in out
    with pytest.raises(ValueError):
        coloured_html(tokens, "loudness")


def test_summary_table_and_csv():
    score = TextScore(tokens=(tok(0, "=SUM(A1)", 0.5, 1), tok(1, " b", 0.25, 20), tok(2, " c", 0.01, 2000)),
                      start_token_id=0, windows=1)
    summary = Summary.of(score)
    assert summary.tokens == 3
    assert summary.bucket_shares == {"top 10": 1 / 3, "top 100": 1 / 3, "top 1000": 0.0, "rest": 1 / 3}
    assert math.isclose(summary.perplexity, math.exp(-(math.log(0.5) + math.log(0.25) + math.log(0.01)) / 3))
    assert [t.index for t in least_confident(score, 2)] == [2, 1]
    table = token_table(score, sampler_probs=[0.9, None, 0.1])
    assert list(table["bucket"]) == ["top 10", "top 100", "rest"]
    assert list(table["sampler_probability"])[0] == 0.9
    rows = list(csv.DictReader(io.StringIO(safe_csv(table))))
    assert rows[0]["token"] == "'=SUM(A1)" and rows[1]["token"] == " b" and rows[2]["rank"] == "2000"


def test_a_character_split_over_tokens_shows_whole_on_the_token_that_completes_it():
    text = "Свет 🪞 ok"
    data = text.encode()
    chunks = [data[0:1], data[1:3], data[3:5], data[5:8], data[8:10], data[10:11], data[11:]]  # С, в... cut anywhere
    pieces = whole_characters(chunks)
    assert "".join(pieces) == text and len(pieces) == len(chunks)
    assert pieces[0] == "" and pieces[1].startswith("С")  # "С" needs two bytes: it shows on the second token
    assert whole_characters([b"\xd0"]) == ["\ufffd"]  # an unfinished last character still shows as such
    score_tokens = [tok(i, "\ufffd", 0.5, 1) for i in range(len(chunks))]
    out = coloured_html(score_tokens, "rank", pieces=pieces)
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text  # the coloured text reads as the text
    assert "min-width" in out.split('data-index="1"')[0]  # the empty first token stays there to point at
