"""Rank buckets, colours, escaping of the coloured text, summaries and the CSV table."""

import csv
import io
import math

import pytest

from mirror.services.scoring import TextScore, TokenScore
from mirror.services.inspector import (
    Summary,
    coloured_html,
    least_confident,
    probability_colour,
    rank_bucket,
    safe_csv,
    token_table,
)


def tok(i, token, prob, rank):
    return TokenScore(index=i, token_id=100 + i, token=token, logprob=math.log(prob), prob=prob, rank=rank,
                      entropy=1.0, surprisal=-math.log2(prob), alternatives=((1, "a", 0.5), (2, "b", 0.2)))


def test_rank_buckets_follow_gltr():
    assert [rank_bucket(r) for r in (1, 10, 11, 100, 101, 1000, 1001, 49152)] == [
        "top 10", "top 10", "top 100", "top 100", "top 1000", "top 1000", "rest", "rest"]
    with pytest.raises(ValueError):
        rank_bucket(0)


def test_probability_colour_runs_from_red_to_green():
    assert probability_colour(1e-9) == probability_colour(1e-4) == "#f38ba8"
    assert probability_colour(1.0) == "#a6e3a1"
    assert probability_colour(0.01) not in ("#f38ba8", "#a6e3a1")


def test_markup_in_tokens_is_escaped_and_newlines_are_visible():
    tokens = [tok(0, "<script>", 0.5, 1), tok(1, "alert(1)</span>", 0.1, 50), tok(2, "<img src=x onerror=y>", 0.01, 500),
              tok(3, "\n", 0.001, 5000), tok(4, ' "q" & ', 0.2, 2)]
    out = coloured_html(tokens, "rank", selected=1)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "alert(1)&lt;/span&gt;" in out and "&lt;img src=x onerror=y&gt;" in out
    assert "<img" not in out and out.count("<span") == out.count("</span>") == 5
    assert "⏎\n" in out and "&quot;q&quot; &amp;" in out
    assert "outline" in out.split('data-index="1"')[1].split(">")[0]
    for colour in ("#a6e3a1", "#f9e2af", "#f5a97f", "#cba6f7"):
        assert colour in out
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
