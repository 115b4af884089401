"""The llama.cpp runtime: it drives the same generation loop and sampler, and agrees with torch within a stated tolerance."""

import importlib.util
import os
import statistics

import pytest

from mirror.analysis import score_ids
from mirror.generation import Generation
from mirror.models import ModelLoadError, load_model
from mirror.sampling import SamplingParams

pytestmark = pytest.mark.slow

TEXTS = [
    "Once upon a time, in a small village at the edge of a dark forest, there lived an old woman who kept a mirror.",
    "The mitochondria is the powerhouse of the cell. It produces most of the chemical energy the cell needs.",
    "def add(a, b):\n    return a + b\n",
]


@pytest.fixture(scope="module")
def llamacpp():
    if importlib.util.find_spec("llama_cpp") is None:
        if os.environ.get("CI"):
            pytest.fail("llama-cpp-python is not installed (requirements-dev.txt)")
        pytest.skip("llama-cpp-python is not installed")
    return load_model(runtime="llamacpp")


def test_model_card_and_window(llamacpp):
    info = llamacpp.info
    assert info.runtime == "llamacpp" and info.context_length == 2048
    assert 130e6 < info.parameters < 140e6 and "llama.cpp" in info.dtype


def test_log_probabilities_agree_with_torch(bundled, llamacpp):
    """Measured here: mean |Δ log p| 0.06-0.10 nats per token, max 0.57, perplexity within 8%.

    The GGUF's 4-bit weights are the same in both runtimes (transformers dequantizes them); llama.cpp
    multiplies with 8-bit-quantized activations, which is where the difference comes from.
    """
    for text in TEXTS:
        ids = bundled.encode(text)
        ours, theirs = score_ids(bundled, ids), score_ids(llamacpp, ids)
        diffs = [abs(a.logprob - b.logprob) for a, b in zip(ours.tokens, theirs.tokens)]
        assert statistics.mean(diffs) <= 0.15 and max(diffs) <= 1.0
        assert abs(ours.perplexity / theirs.perplexity - 1) <= 0.10


def test_generation_runs_through_our_sampler(llamacpp):
    ids = llamacpp.encode("Once upon a time, in a small village,")
    params = SamplingParams.preset("Balanced", seed=7, max_new_tokens=16)
    first = Generation(llamacpp, ids, params).run_to_end()
    again = Generation(llamacpp, ids, params).run_to_end()
    assert first.new_tokens == 16 and first.text == again.text  # same seed, same text
    steps = list(Generation(llamacpp, ids, params))
    assert all(0 < s.prob <= 1 and s.rank >= 1 and len(s.alternatives) == 10 for s in steps)


def test_interleaved_requests_share_the_context_correctly(llamacpp):
    """Two requests stepped alternately (as two sessions would be) give the same text as each alone."""
    params = SamplingParams(temperature=0, max_new_tokens=10)
    prompts = [llamacpp.encode("The sea is"), llamacpp.encode("My favourite book is")]
    alone = [Generation(llamacpp, p, params).run_to_end().text for p in prompts]
    runs = [Generation(llamacpp, p, params) for p in prompts]
    while not all(r.finished for r in runs):
        for r in runs:
            if not r.finished:
                llamacpp.run(r.step)
    assert [r.result().text for r in runs] == alone


def test_llamacpp_runtime_is_for_the_bundled_gguf(tiny_llama_dir):
    with pytest.raises(ModelLoadError, match="bundled GGUF"):
        load_model(str(tiny_llama_dir), runtime="llamacpp")
    with pytest.raises(ModelLoadError, match="Unknown runtime"):
        load_model(runtime="onnx")
