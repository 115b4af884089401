"""The sampler for a batch: one vectorised call for all rows against transformers' processors row by row.

    .venv/bin/python bench/sampler.py [--rows 1 16 32] [--repeats 15]

Real next-token logits of the bundled model for chat prompts (each row its own prompt and seed,
Balanced preset), then per tick:
- stock: transformers' `LogitsProcessorList` (repetition penalty, no-repeat-n-gram, temperature,
  top-k, top-p) and `torch.multinomial`, one row at a time, as `generate` does for one request;
- ours: `run_pipeline` on all rows at once, `choose_token` (each row's own generator, the same draw
  as multinomial) and `describe_rows` (probability, rank, entropies, top-10 for every row), which
  stock does not compute at all.
Medians in milliseconds per tick; the tokens of both are checked to be the same.
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
from transformers.generation.logits_process import (  # noqa: E402
    LogitsProcessorList, NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper,
    TopKLogitsWarper, TopPLogitsWarper)

from concurrency import question  # noqa: E402
from mirror.engine.generation import describe_rows  # noqa: E402
from mirror.engine.sampling import SamplingParams, choose_token, run_pipeline  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.models.machine import cpu_name  # noqa: E402
from mirror.services.prompts import Message, build_prompt  # noqa: E402


def processors(p: SamplingParams) -> LogitsProcessorList:
    return LogitsProcessorList([RepetitionPenaltyLogitsProcessor(p.repetition_penalty),
                                NoRepeatNGramLogitsProcessor(p.no_repeat_ngram_size), TemperatureLogitsWarper(p.temperature),
                                TopKLogitsWarper(p.top_k), TopPLogitsWarper(p.top_p)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 16, 32])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    lm = shared_pool().get()
    params = SamplingParams.preset("Balanced")
    print(f"CPU {cpu_name()}; Balanced preset, vocabulary {lm.tokenizer.vocab_size:,}, median of {args.repeats}\n")
    print(f"{'rows':>5}{'stock ms':>10}{'ours ms':>9}{'ours, figures included ms':>27}{'same tokens':>13}")

    def run(rows: int) -> None:
        with torch.inference_mode():
            prompts = [torch.tensor(lm.encode(build_prompt(lm, [Message("user", question(i))]).text)) for i in range(rows)]
            width = max(len(p) for p in prompts)
            padded = torch.stack([torch.nn.functional.pad(p, (width - len(p), 0)) for p in prompts])
            mask = (torch.arange(width)[None] >= (width - torch.tensor([len(p) for p in prompts]))[:, None]).long()
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            raw = lm.model(input_ids=padded, attention_mask=mask, position_ids=positions).logits[:, -1].float()
            procs = processors(params)
            stock, ours, full, same = [], [], [], True
            for _ in range(args.repeats):
                start = time.perf_counter()
                theirs = []
                for i, ids in enumerate(prompts):
                    probs = torch.softmax(procs(ids[None], raw[i: i + 1].clone()), dim=-1)
                    theirs.append(int(torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(i))[0, 0]))
                stock.append(time.perf_counter() - start)
                start = time.perf_counter()
                stages = run_pipeline(prompts, raw, params)
                tokens = choose_token(stages, [torch.Generator().manual_seed(i) for i in range(rows)]).tolist()
                drawn = time.perf_counter()
                describe_rows(stages, tokens, 10, lm.tokenizer)
                done = time.perf_counter()
                ours.append(drawn - start)
                full.append(done - start)
                same &= tokens == theirs
            print(f"{rows:>5}{1000 * statistics.median(stock):>10.1f}{1000 * statistics.median(ours):>9.1f}"
                  f"{1000 * statistics.median(full):>27.1f}{str(same):>13}")

    for rows in args.rows:
        lm.run(run, rows)


if __name__ == "__main__":
    main()
