"""`python -m mirror`: info, generate (text and JSON), score, and one-line errors for bad input."""

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


@pytest.mark.parametrize("argv,message", [
    (["generate", "   "], "empty"),
    (["generate", "hi", "--temperature", "3"], "temperature must be from 0.0 to 2.0"),
    (["generate", "hi", "--top-k", "many"], "--top-k"),
    (["generate", "hi", "--preset", "wild"], "unknown preset"),
    (["generate", "hi", "--model", "./missing/model"], "No model folder"),
    (["score", ""], "empty"),
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
