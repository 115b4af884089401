"""Scoring benchmark: the Token Inspector's `score_ids` against a bare forward pass on the same tokens.

    .venv/bin/python bench/scoring.py [--tokens 1000] [--runs 3]

The baseline is `model(input_ids).logits` alone (what any scorer must pay); the difference is our
per-token work (log-softmax, rank, entropy, top-10 alternatives, token strings).
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

from mirror.services.scoring import score_ids  # noqa: E402
from mirror.models import load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lm = load_model()
    text = (ROOT / "README.md").read_text() * 4
    ids = lm.encode(text)[: args.tokens]
    if len(ids) < args.tokens:
        raise SystemExit(f"only {len(ids)} tokens of text available")

    def forward() -> None:
        with torch.inference_mode():
            lm.model(input_ids=torch.tensor([[0] + ids])).logits.sum()

    forward()  # warm-up
    raw, ours = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        lm.run(forward)
        raw.append(time.perf_counter() - start)
        start = time.perf_counter()
        score_ids(lm, ids)
        ours.append(time.perf_counter() - start)
    print(f"model {lm.info.name} ({lm.info.dtype}, {lm.info.device}), torch threads {torch.get_num_threads()}, "
          f"{len(ids)} tokens, {args.runs} runs (median)")
    print(f"bare forward pass (logits only): {statistics.median(raw):.2f} s")
    print(f"score_ids (all per-token figures): {statistics.median(ours):.2f} s  "
          f"(overhead {statistics.median(ours) / statistics.median(raw):.2f}x)")


if __name__ == "__main__":
    main()
