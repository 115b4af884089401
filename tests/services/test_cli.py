"""`python -m mirror`: info, generate (text and JSON), score, inside, and one-line errors for bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mirror.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(bundled, capsys):
    def call(*argv):
        code = main(list(argv), loader=lambda *a: bundled)
        out, err = capsys.readouterr()
        return code, out, err
    return call


def test_info(cli):
    code, out, _ = cli("info")
    assert code == 0
    for label in ("model: SmolLM2-135M-Instruct", "source: bundled", "device: cpu", "dtype: float32",
                  "context length: 8192", "load time", "parameters: 134,515,008", "runtime: torch",
                  "speed choices: linear layers: auto"):
        assert label in out


def test_generate_streams_text_and_a_summary(cli):
    code, out, err = cli("generate", "What is a mirror?", "--chat", "--seed", "3", "--max-new-tokens", "15")
    assert code == 0 and out.strip()
    assert "tokens/s" in err and "seed 3" in err


def test_generate_json_lines_and_reproducible_seed(cli):
    args = ("generate", "The mirror said", "--preset", "creative", "--seed", "9", "--max-new-tokens", "8",
            "--top-k", "20", "--json")
    code, out, _ = cli(*args)
    lines = [json.loads(line) for line in out.splitlines()]
    steps, summary = lines[:-1], lines[-1]["summary"]
    assert code == 0 and len(steps) == summary["new_tokens"] == 8
    assert {"token_id", "text", "prob", "raw_prob", "rank", "entropy", "alternatives", "elapsed"} <= steps[0].keys()
    assert "".join(s["text"] for s in steps) == summary["text"]
    assert summary["params"]["top_k"] == 20 and summary["params"]["temperature"] == 1.1
    assert summary["tokens_per_second"] > 0 and summary["time_to_first_token"] > 0
    assert json.loads(cli(*args)[1].splitlines()[-1])["summary"]["text"] == summary["text"]


def test_score_table_and_json(cli, bundled):
    bundled_ids = bundled.encode
    code, out, _ = cli("score", "Mirror, mirror on the wall")
    assert code == 0 and "perplexity" in out and '" wall"' in out
    code, out, _ = cli("score", "Mirror, mirror on the wall", "--json")
    data = json.loads(out)
    assert data["perplexity"] > 1 and len(data["tokens"]) == len(bundled_ids("Mirror, mirror on the wall")) and data["tokens"][0]["rank"] >= 1


def test_inside_json_is_the_sequence_the_lens_and_the_last_positions_attention(cli, bundled):
    import torch

    from mirror.services.scoring import start_token_id

    text = "Mirror, mirror on the wall"
    code, out, err = cli("inside", text, "--json")
    assert code == 0 and not err
    data = json.loads(out)
    assert set(data) == {"token_ids", "lens", "attention"}
    ids = [start_token_id(bundled.tokenizer)] + bundled.encode(text)
    assert data["token_ids"] == ids
    assert len(data["lens"]) == 31 and all(len(layer) == len(ids) for layer in data["lens"])
    for layer in data["lens"]:
        for top in layer:
            assert len(top) == 5 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    with torch.inference_mode():
        final = torch.softmax(bundled.model(input_ids=torch.tensor([ids])).logits[0], dim=-1)
    for position, top in enumerate(data["lens"][-1]):
        assert top[0][0] == int(final[position].argmax())
        # The model's own output distribution (its default SDPA attention; the look ran eager attention).
        assert [p for _, p in top] == pytest.approx([float(final[position, i]) for i, _ in top], abs=1e-5)
    assert len(data["attention"]) == 30 and all(len(block) == 9 for block in data["attention"])
    for block in data["attention"]:
        for head in block:
            assert len(head) == len(ids) and sum(head) == pytest.approx(1.0, abs=1e-5)


def test_inside_text_names_layers_and_blocks(cli):
    code, out, _ = cli("inside", "Mirror, mirror on the wall")
    assert code == 0
    assert "layer 0 = embeddings, layer 30 = the output" in out and "logit lens at the last position" in out
    assert "layer 30:" in out and "block 30:" in out and '" wall"' in out


@pytest.mark.parametrize("argv,message", [
    (["generate", "   "], "empty"),
    (["generate", "hi", "--temperature", "3"], "temperature must be from 0.0 to 2.0"),
    (["generate", "hi", "--top-k", "many"], "--top-k"),
    (["generate", "hi", "--preset", "wild"], "unknown preset"),
    (["generate", "hi", "--model", "./missing/model"], "No model folder"),
    (["score", ""], "empty"),
    (["inside", " "], "empty"),
    (["inside", "mirror " * 600], "reads up to 512 tokens"),
    (["dance"], "invalid choice"),
])
def test_bad_input_exits_non_zero_with_one_line(argv, message):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-m", "mirror", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    assert "Traceback" not in done.stderr
