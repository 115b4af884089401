"""`torch.compile` as a candidate for the batched decode step: compile time, step time, same logits.

    .venv/bin/python bench/compile.py [--rows 32] [--steps 12] [--mode default]

A batch of `rows` chat requests is prefilled as the scheduler does it, then decode steps run through
the scheduler's own batch (`KVBatch.next_logits`) twice: eagerly, and with the model's forward
compiled by `torch.compile(dynamic=True)` (rows stay fixed here; the cache grows every step, as in
the app). Prints the first compiled call (the compile), the median step of both, and the largest
logit difference between them. The app does not compile: this only measures whether it would pay.
Inductor needs a C++ compiler (gcc here); without one the compile fails and this says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from concurrency import question  # noqa: E402
from mirror.engine.generation import Generation  # noqa: E402
from mirror.engine.kv_batch import KVBatch  # noqa: E402
from mirror.engine.sampling import SamplingParams  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.models.machine import cpu_name  # noqa: E402
from mirror.services.prompts import Message, build_prompt  # noqa: E402


def batch_of(lm, rows: int) -> KVBatch:
    batch = KVBatch()
    for i in range(rows):
        ids = lm.encode(build_prompt(lm, [Message("user", question(i))]).text)
        gen = Generation(lm, ids, SamplingParams(temperature=0.0, max_new_tokens=500), protect_end_tokens=False)
        gen.step()
        batch.add(gen)
    return batch


def steps(lm, batch: KVBatch, count: int) -> tuple[list[float], list[torch.Tensor]]:
    times, logits = [], []
    for _ in range(count):
        start = time.perf_counter()
        out = batch.next_logits(lm.model)
        times.append(time.perf_counter() - start)
        logits.append(out)
        batch.rows[0].step_batch(batch.rows, out, start)  # greedy: both runs write the same tokens
    return times, logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--mode", default="default")
    args = parser.parse_args()
    lm = shared_pool().get()
    print(f"CPU {cpu_name()}; torch {torch.__version__}; {args.rows} rows, {args.steps} decode steps, mode {args.mode}")

    def run() -> None:
        with torch.inference_mode():
            eager_times, eager_logits = steps(lm, batch_of(lm, args.rows), args.steps)
            print(f"eager: median step {1000 * statistics.median(eager_times):.1f} ms")
            eager_forward = lm.model.forward
            lm.model.forward = torch.compile(eager_forward, dynamic=True, mode=args.mode)
            try:
                compiled_times, compiled_logits = steps(lm, batch_of(lm, args.rows), args.steps)
                print(f"compiled: first call {compiled_times[0]:.1f} s (the compile), "
                      f"median step {1000 * statistics.median(compiled_times[1:]):.1f} ms")
                diff = float((eager_logits[0] - compiled_logits[0]).abs().max())
                print(f"largest logit difference at the first step, compiled vs eager: {diff:.2e}")
            except Exception as error:  # noqa: BLE001 - the figure to report is that it failed, and why
                print(f"compile failed: {type(error).__name__}: {str(error).splitlines()[0][:300]}")
            finally:
                lm.model.forward = eager_forward

    lm.run(run)


if __name__ == "__main__":
    main()
