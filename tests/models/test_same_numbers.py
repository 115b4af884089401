"""The bundled model computes bit-identical logits however and whenever it is loaded on this machine:
after another thread count was set, and in fresh processes (DESIGN: "What must be true everywhere")."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mirror.config import Settings
from mirror.engine.forward import batch_next_logits, next_logits
from mirror.models import LoadedModel, load_model
from mirror.models.weight_cache import bundled_cache_dir

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PROMPT = [1, 504, 3458, 282, 253, 1345, 30]  # 7 tokens
NEXT = [314, 260, 1345, 30, 378, 504, 282, 253, 3458, 60, 70, 80, 90, 100, 110, 120]
ROWS = (1, 2, 4, 16)


def logits(lm: LoadedModel) -> dict[str, torch.Tensor]:
    """The prompt's next-token logits, then one decode step of 1, 2, 4 and 16 requests that share the
    prompt's KV cache, called as the engine calls the model, on its owner thread."""
    def run() -> dict[str, torch.Tensor]:
        with torch.inference_mode():
            out, cache = next_logits(lm.model, torch.tensor([PROMPT]))
            found = {"prompt": out}
            for rows in ROWS:
                batch = copy.deepcopy(cache)
                batch.batch_repeat_interleave(rows)
                mask = torch.ones(rows, len(PROMPT) + 1, dtype=torch.long)
                positions = torch.full((rows, 1), len(PROMPT))
                found[f"rows{rows}"] = batch_next_logits(lm.model, torch.tensor(NEXT[:rows]).unsqueeze(1), batch, mask,
                                                         positions)[0]
            return found
    return lm.run(run)


def _load_after(threads: int) -> LoadedModel:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return load_model()
    finally:
        torch.set_num_threads(before)


def _choice(speed_choices: str) -> str:
    """The layout chosen, without the figures (the first load says it measured them, the next that it kept them)."""
    return speed_choices.split(" (stock x @ Wᵀ vs")[0]


def _differing(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    return [name for name in a if not torch.equal(a[name], b[name])]


@pytest.mark.parametrize("layout", ["auto", "stock", "gemm"])
def test_two_loads_in_one_process_after_different_thread_counts(bundled, monkeypatch, layout):
    monkeypatch.setenv("MIRROR_LINEAR_LAYOUT", layout)
    one, two = _load_after(1), _load_after(2)
    try:
        assert _choice(one.info.speed_choices) == _choice(two.info.speed_choices)
        assert _differing(logits(one), logits(two)) == []
    finally:
        one.close()
        two.close()


def write_logits(path: str, threads: str) -> None:
    """In a child process: load the bundled model after torch.set_num_threads(threads), save its logits."""
    torch.set_num_threads(int(threads))
    lm = load_model()
    torch.save({"logits": logits(lm), "speed": lm.info.speed_choices}, path)
    lm.close()


def test_two_fresh_processes_started_at_once(bundled, tmp_path):
    """Both measure at once (a cache folder with no verdict yet); the first verdict written is the one both use."""
    cache = tmp_path / "cache"
    cache.mkdir()
    real = bundled_cache_dir(Settings.from_env().cache_dir)
    (cache / real.name).symlink_to(real, target_is_directory=True)  # the built weight cache: no GGUF to dequantize
    env = {**os.environ, "MIRROR_CACHE_DIR": str(cache), "MIRROR_LINEAR_LAYOUT": "auto", "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(ROOT)}
    code = "import sys; from tests.models.test_same_numbers import write_logits; write_logits(*sys.argv[1:])"
    children = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / f"{threads}.pt"), str(threads)], cwd=ROOT,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for threads in (1, 2)]
    for child in children:
        output = child.communicate(timeout=300)[0]
        assert child.returncode == 0, output[-2000:]
    first, second = (torch.load(tmp_path / f"{threads}.pt") for threads in (1, 2))
    assert len(list((cache / "linear-layout").glob("*.json"))) == 1
    assert _choice(first["speed"]) == _choice(second["speed"])
    assert sorted("timed in" in child["speed"] for child in (first, second)) == [False, True]  # one measured
    assert _differing(first["logits"], second["logits"]) == []
