"""Inside the Mirror benchmark: one look (logit lens + attention) against a bare forward pass on the same tokens.

    .venv/bin/python bench/inside.py [--tokens 60 256 512] [--runs 3]

The baseline is stock transformers: `model(input_ids).logits` with the model's own attention (SDPA)
and nothing kept. Then the eager pass with hidden states and attention weights alone, then the whole
`look_inside` (that pass plus the lens: every layer x position through the final norm and the output
layer, top-5 and the two tracked probabilities), each from a cold cache; and a repeated look (cached).
Attention is kept only up to ATTENTION_MAX_TOKENS, so longer texts time the lens alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from mirror.engine import forward  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.models.machine import cpu_name  # noqa: E402
from mirror.services.inside.look import ATTENTION_MAX_TOKENS, document_ids, forget_looks, look_inside  # noqa: E402


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, nargs="+", default=[60, 256, 512])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lm = shared_pool().get()
    all_ids = document_ids(lm, (ROOT / "README.md").read_text() * 4)
    print(f"CPU {cpu_name()}, torch {torch.__version__} threads {torch.get_num_threads()}; model {lm.info.name} "
          f"({lm.info.dtype}, {lm.info.device}); median of {args.runs} runs")
    print(f"{'tokens':>6}  {'bare forward':>12}  {'eager+states':>12}  {'look (cold)':>11}  {'look (kept)':>11}")
    for n in args.tokens:
        ids = all_ids[:n]
        tensor = torch.tensor(ids)

        def bare() -> None:
            with torch.inference_mode():
                lm.model(input_ids=tensor[None]).logits.sum()

        def eager() -> None:
            with torch.inference_mode():
                forward.internals(lm.model, tensor, attentions=n <= ATTENTION_MAX_TOKENS)

        def cold() -> None:
            forget_looks()
            look_inside(lm, ids)

        lm.run(bare)  # warm-up: first-call allocations
        lm.run(eager)
        raw = median_seconds(lambda: lm.run(bare), args.runs)
        states = median_seconds(lambda: lm.run(eager), args.runs)
        look = median_seconds(cold, args.runs)
        kept = median_seconds(lambda: look_inside(lm, ids), args.runs)
        note = "" if n <= ATTENTION_MAX_TOKENS else "  (lens only: over the attention cap)"
        print(f"{n:>6}  {raw:>10.3f} s  {states:>10.3f} s  {look:>9.3f} s  {kept * 1e3:>8.2f} ms{note}")


if __name__ == "__main__":
    main()
