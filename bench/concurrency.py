"""Many sessions at once: aggregate tokens/s, time between tokens, memory, for 1 to 16 concurrent sessions.

    .venv/bin/python bench/concurrency.py [--tokens 48] [--sessions 1 2 4 8 16] [--runtime torch]

Each session is a thread iterating its own `Generation`, exactly as Streamlit's page threads do; the
model's scheduler (mirror/engine/scheduler.py) steps all of them in one batched forward pass per token. In
the same run, 8 sessions are also measured with batching switched off (`max_batch` 1: the scheduler
then serves one request at a time, first come first served, which is what a page calling
`model.generate` under a lock gives). RSS is read from /proc with 1 session and with 20 in flight.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from generation import run_raw  # noqa: E402  (bench/generation.py: the stock transformers baseline)
from mirror.engine.generation import Generation  # noqa: E402
from mirror.services.prompts import Message, build_prompt  # noqa: E402
from mirror.models.machine import cpu_name  # noqa: E402
from mirror.models import LoadedModel, load_model  # noqa: E402
from mirror.engine.sampling import SamplingParams  # noqa: E402
from mirror.config import Settings  # noqa: E402

QUESTIONS = ["Tell me about the sea.", "What is a mirror?", "Write a poem about rain.", "Why is the sky blue?"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_sessions(lm: LoadedModel, count: int, tokens: int) -> dict[str, float]:
    gaps: list[float] = []
    ttfts: list[float] = []  # from the request to its first token, queue included: what a user waits
    produced = [0] * count
    lock = threading.Lock()
    peak = [rss_mb()]

    def session(i: int) -> None:
        prompt = build_prompt(lm, [Message("user", QUESTIONS[i % len(QUESTIONS)])]).text
        run = Generation(lm, lm.encode(prompt), SamplingParams.preset("Balanced", seed=i, max_new_tokens=tokens),
                         protect_end_tokens=False)
        last = None
        asked = time.perf_counter()
        for _ in run:
            now = time.perf_counter()
            with lock:
                if last is not None:
                    gaps.append(now - last)
                else:
                    ttfts.append(now - asked)
                produced[i] += 1
                peak[0] = max(peak[0], rss_mb())
            last = now

    threads = [threading.Thread(target=session, args=(i,)) for i in range(count)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    gaps.sort()
    return {"sessions": count, "tokens": sum(produced), "aggregate_tokens_per_s": sum(produced) / wall,
            "p50_gap_ms": 1000 * statistics.median(gaps) if gaps else 0.0,
            "p95_gap_ms": 1000 * gaps[int(0.95 * (len(gaps) - 1))] if gaps else 0.0, "peak_rss_mb": peak[0],
            "p50_ttft_s": statistics.median(ttfts), "max_ttft_s": max(ttfts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--runtime", default="torch")
    parser.add_argument("--max-batch", type=int, default=Settings.from_env().max_batch)
    args = parser.parse_args()
    lm = load_model(runtime=args.runtime)
    lm = lm.with_batch(args.max_batch)
    run_sessions(lm, 1, 4)  # warm-up
    base = rss_mb()
    print(f"CPU {cpu_name()}; runtime {args.runtime}; {lm.info.speed_choices or 'no CPU-specific choice'}")
    print(f"max batch {args.max_batch}, {args.tokens} new tokens per session, RSS after load {base:.0f} MB\n")
    print(f"{'sessions':>8}{'tokens':>8}{'aggregate tok/s':>17}{'p50 gap ms':>12}{'p95 gap ms':>12}"
          f"{'p50 TTFT s':>12}{'max TTFT s':>12}{'peak RSS MB':>13}")
    rows = []
    for count in args.sessions:
        row = run_sessions(lm, count, args.tokens)
        rows.append(row)
        print(f"{row['sessions']:>8}{row['tokens']:>8}{row['aggregate_tokens_per_s']:>17.1f}{row['p50_gap_ms']:>12.0f}"
              f"{row['p95_gap_ms']:>12.0f}{row['p50_ttft_s']:>12.2f}{row['max_ttft_s']:>12.2f}{row['peak_rss_mb']:>13.0f}")
    unbatched = run_sessions(lm.with_batch(1), 8, args.tokens)
    print(f"{'8 unbatched':>8}{unbatched['tokens']:>8}{unbatched['aggregate_tokens_per_s']:>17.1f}"
          f"{unbatched['p50_gap_ms']:>12.0f}{unbatched['p95_gap_ms']:>12.0f}{unbatched['p50_ttft_s']:>12.2f}"
          f"{unbatched['max_ttft_s']:>12.2f}{unbatched['peak_rss_mb']:>13.0f}"
          "   (one request at a time, no batching)")
    one = run_sessions(lm, 1, args.tokens)["peak_rss_mb"]
    twenty = run_sessions(lm, 20, args.tokens)["peak_rss_mb"]
    print(f"\nRSS with 1 session {one:.0f} MB, with 20 sessions {twenty:.0f} MB "
          f"({(twenty - one) / 19:.1f} MB per extra session)")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    # The raw transformers baseline in the same run: one stream of stock `model.generate`.
    params = SamplingParams.preset("Balanced", seed=0, max_new_tokens=args.tokens)
    ids = lm.encode(build_prompt(lm, [Message("user", QUESTIONS[0])]).text)
    reference = lm if args.runtime == "torch" else load_model(runtime="torch")
    raw_tokens, raw_seconds, _ = run_raw(reference, ids, params)
    raw_rate = len(raw_tokens) / raw_seconds
    print(f"raw model.generate (stock transformers), one stream: {raw_rate:.1f} tokens/s")
    (out / "concurrency.json").write_text(json.dumps({
        "runtime": args.runtime, "max_batch": args.max_batch, "tokens": args.tokens, "rows": rows,
        "unbatched_8": unbatched, "raw_generate_tokens_per_s": raw_rate, "rss_1_mb": one, "rss_20_mb": twenty,
    }, indent=1))
    base_rate = rows[0]["aggregate_tokens_per_s"]
    for row in rows:
        print(f"{row['sessions']:>3} sessions: {row['aggregate_tokens_per_s'] / base_rate:.2f}x one stream, "
              f"{row['aggregate_tokens_per_s'] / raw_rate:.2f}x raw model.generate")


if __name__ == "__main__":
    main()
