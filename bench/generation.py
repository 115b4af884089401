"""Generation benchmark: the Mirror engine against raw `model.generate`, on the same prompt and params.

Prints single-stream tokens/s and time to first token for each (medians over interleaved runs):
stock `model.generate`, `model.generate` with the linear layers the engine runs (the layout
mirror/models/fastlinear.py chose by timing on this CPU, printed), and
the engine; the engine/stock ratio, and cold start of the bundled model (first load from the GGUF into an empty cache, then
from the cache), each measured in a fresh process. Writes the figures to bench/out/generation.json.

    .venv/bin/python bench/generation.py [--runs 5] [--max-new-tokens 128]

Never run inside the test suite: these are figures to read, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers.generation.streamers import BaseStreamer  # noqa: E402

from mirror.models.fastlinear import stock_layout  # noqa: E402
from mirror.engine.generation import Generation  # noqa: E402
from mirror.services.prompts import Message, build_prompt  # noqa: E402
from mirror.models.machine import cpu_name  # noqa: E402
from mirror.models import LoadedModel  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.engine.sampling import SamplingParams  # noqa: E402

PROMPT = "Write a short story about a girl who finds a magic mirror in her grandmother's attic."


class _FirstTokenClock(BaseStreamer):
    """generate() calls put() with the prompt first, then with each new token: time the second call."""

    def __init__(self) -> None:
        self.calls = 0
        self.first_token_at: float | None = None

    def put(self, value: torch.Tensor) -> None:
        self.calls += 1
        if self.calls == 2 and self.first_token_at is None:
            self.first_token_at = time.perf_counter()

    def end(self) -> None:
        pass


def _generate(lm: LoadedModel, ids: list[int], params: SamplingParams) -> tuple[list[int], float, float]:
    clock = _FirstTokenClock()
    torch.manual_seed(params.seed or 0)
    start = time.perf_counter()
    with torch.inference_mode():
        out = lm.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                pad_token_id=lm.tokenizer.eos_token_id, streamer=clock, **params.generate_kwargs())
    total = time.perf_counter() - start
    return out[0, len(ids):].tolist(), total, (clock.first_token_at or start) - start


def run_raw(lm: LoadedModel, ids: list[int], params: SamplingParams) -> tuple[list[int], float, float]:
    """Stock transformers: `model.generate` with the stock linear layers (the baseline everyone has)."""
    def stock() -> tuple[list[int], float, float]:
        with stock_layout(lm.model):
            return _generate(lm, ids, params)
    return lm.run(stock)


def run_raw_fast(lm: LoadedModel, ids: list[int], params: SamplingParams) -> tuple[list[int], float, float]:
    """`model.generate` on the model as the engine runs it (faster linear layers): the same tokens expected."""
    return lm.run(_generate, lm, ids, params)


def run_engine(lm: LoadedModel, ids: list[int], params: SamplingParams) -> tuple[list[int], float, float]:
    # Driven from this thread, each step runs on the model's owner thread: the same path the app uses.
    result = Generation(lm, ids, params, protect_end_tokens=False).run_to_end()
    return result.token_ids, result.seconds, result.time_to_first_token or 0.0


def cold_start(cache_dir: Path) -> dict[str, float]:
    """Load the bundled model in a fresh process; report the loader's time and the whole process time."""
    code = ("import time; t=time.perf_counter(); from mirror.models import load_model; "
            "lm=load_model(cache_dir=__import__('pathlib').Path(r'%s')); "
            "print(lm.info.load_seconds, time.perf_counter()-t, lm.info.from_cache)" % cache_dir)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    load, in_process, from_cache = out.stdout.split()
    return {"load_s": float(load), "import_and_load_s": float(in_process),
            "process_s": time.perf_counter() - start, "from_cache": from_cache == "True"}


def _blas() -> str:
    config = torch.__config__.show()
    return "MKL" if "USE_MKL=ON" in config else "OpenBLAS" if "OpenBLAS" in config else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--skip-cold-start", action="store_true")
    args = parser.parse_args()

    lm = shared_pool().get()
    params = SamplingParams.preset("Balanced", seed=1234, max_new_tokens=args.max_new_tokens)
    ids = lm.encode(build_prompt(lm, [Message("user", PROMPT)]).text)
    print(f"CPU {cpu_name()}, torch {torch.__version__} (BLAS: {_blas()}), threads {torch.get_num_threads()}")
    print(f"model {lm.info.name} on {lm.info.device} ({lm.info.dtype}), prompt {len(ids)} tokens, "
          f"params {params.to_dict()}")
    print(f"chosen at load time: {lm.info.speed_choices or 'nothing'}")

    runners = (("raw", run_raw), ("raw_fast", run_raw_fast), ("engine", run_engine))
    for _, fn in runners:  # warm-up every path
        fn(lm, ids, params.replace(max_new_tokens=8))
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in runners}
    tokens: dict[str, list[int]] = {}
    for _ in range(args.runs):  # interleaved, so that drift in machine load hits all alike
        for name, fn in runners:
            out, total, ttft = fn(lm, ids, params)
            tokens[name] = out
            figures[name].append((len(out) / total, ttft))

    same = tokens["raw_fast"] == tokens["engine"]
    rows = {}
    for name, runs in figures.items():
        rows[name] = {"tokens": len(tokens[name]), "tokens_per_s": statistics.median(r[0] for r in runs),
                      "ttft_s": statistics.median(r[1] for r in runs),
                      "tokens_per_s_all": [round(r[0], 2) for r in runs]}
    ratio = rows["engine"]["tokens_per_s"] / rows["raw"]["tokens_per_s"]
    # Each run's engine figure over the stock figure of the same round: the machine's drift (seen here:
    # +-15% between rounds on a shared VM) cancels out of a pair taken seconds apart.
    paired = statistics.median(e[0] / r[0] for e, r in zip(figures["engine"], figures["raw"]))

    print(f"\n{'':<30}{'tokens':>8}{'tokens/s':>11}{'TTFT (s)':>11}   runs (tokens/s)")
    for name, label in (("raw", "raw model.generate (stock)"), ("raw_fast", "model.generate, chosen linears"),
                        ("engine", "Mirror engine")):
        r = rows[name]
        print(f"{label:<30}{r['tokens']:>8}{r['tokens_per_s']:>11.2f}{r['ttft_s']:>11.3f}   {r['tokens_per_s_all']}")
    print(f"engine / raw: {ratio:.3f} (medians), {paired:.3f} (median of the rounds' ratios)   "
          f"(same tokens as generate on the same model: {same}; as stock generate: {tokens['raw'] == tokens['engine']})")

    cold = {}
    if not args.skip_cold_start:
        with tempfile.TemporaryDirectory() as tmp:
            cold["first"] = cold_start(Path(tmp))
            cold["cached"] = cold_start(Path(tmp))
        print(f"\ncold start, first (GGUF -> cache): load {cold['first']['load_s']:.1f} s, "
              f"process {cold['first']['process_s']:.1f} s")
        print(f"cold start, cached:               load {cold['cached']['load_s']:.1f} s, "
              f"process {cold['cached']['process_s']:.1f} s")

    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"model": lm.info.to_dict(), "params": params.to_dict(), "prompt_tokens": len(ids), "runs": args.runs,
              "results": rows, "engine_over_raw": ratio,
              "engine_over_raw_paired": paired, "same_tokens": same, "cold_start": cold,
              "torch_threads": torch.get_num_threads(), "cpu": cpu_name(), "blas": _blas(), "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    (out_dir / "generation.json").write_text(json.dumps(report, indent=1))
    print(f"\nwritten to {out_dir / 'generation.json'}")


if __name__ == "__main__":
    main()
