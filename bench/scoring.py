"""Scoring benchmark: the Token Inspector's `score_ids` against a bare forward pass on the same tokens.

    .venv/bin/python bench/scoring.py [--model smollm2-135m-instruct] [--tokens 1000] [--runs 3]

The baseline is stock transformers, `model(input_ids).logits` alone (what any scorer must pay); the
difference is our per-token work (log-softmax, rank, entropy, top-10 alternatives, token strings).
Memory: each of the two runs again in a fresh process, which reports its peak resident memory above
what the loaded model took; the bare forward pass holds (tokens x vocabulary) float32 logits, the
scorer holds one block of them at a time. `--model gemma-3-270m` needs `make run-ru`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from mirror.models import LoadedModel  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.services.scoring import score_ids  # noqa: E402


def memory_mb() -> tuple[float, float]:
    """Resident memory now and at its peak, in MB (Linux /proc)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak() -> None:
    """Start the peak (VmHWM) again from the current resident memory (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")


def text_ids(lm: LoadedModel, tokens: int) -> list[int]:
    text = (ROOT / "README.md").read_text() * 8
    ids = lm.encode(text)[:tokens]
    if len(ids) < tokens:
        raise SystemExit(f"only {len(ids)} tokens of text available")
    return ids


def bare_forward(lm: LoadedModel, ids: list[int]) -> None:
    def run() -> None:
        with torch.inference_mode():
            lm.model(input_ids=torch.tensor([[0] + ids])).logits.sum()
    lm.run(run)


def child(kind: str, model: str, tokens: int) -> dict[str, float]:
    lm = shared_pool().get(model)
    ids = text_ids(lm, tokens)
    short = ids[:16]  # warms the code paths (and the scorer's one-time probe) without a big allocation
    bare_forward(lm, short) if kind == "bare" else score_ids(lm, short)
    reset_peak()
    loaded, _ = memory_mb()
    bare_forward(lm, ids) if kind == "bare" else score_ids(lm, ids)
    return {"loaded_mb": loaded, "peak_above_mb": memory_mb()[1] - loaded}


def in_fresh_process(kind: str, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--model", args.model, "--tokens", str(args.tokens)]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads([x for x in out.stdout.splitlines() if x.startswith("RESULT ")][-1].removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a model the app offers (default: the bundled one)")
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.model, args.tokens)))
        return
    from mirror.models.machine import cpu_name

    lm = shared_pool().get(args.model)
    args.model = lm.info.name
    ids = text_ids(lm, args.tokens)
    bare_forward(lm, ids[:16])  # warm-up
    score_ids(lm, ids[:16])
    raw, ours = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        bare_forward(lm, ids)
        raw.append(time.perf_counter() - start)
        start = time.perf_counter()
        score_ids(lm, ids)
        ours.append(time.perf_counter() - start)
    print(f"CPU {cpu_name()}, model {lm.info.name} ({lm.info.dtype}, {lm.info.device}), vocabulary {len(lm.tokenizer):,}, "
          f"torch threads {torch.get_num_threads()}, {len(ids)} tokens, {args.runs} runs (median)")
    print(f"bare forward pass (stock transformers, logits only): {statistics.median(raw):.2f} s")
    print(f"score_ids (all per-token figures):                   {statistics.median(ours):.2f} s  "
          f"(overhead {statistics.median(ours) / statistics.median(raw):.2f}x)")
    del lm
    bare, scored = in_fresh_process("bare", args), in_fresh_process("score", args)
    print(f"peak memory above the loaded model (fresh processes): bare forward {bare['peak_above_mb']:.0f} MB, "
          f"score_ids {scored['peak_above_mb']:.0f} MB (model loaded: {bare['loaded_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
