"""Many sessions at once: aggregate tokens/s, time between tokens, time to first token and memory.

    .venv/bin/python bench/concurrency.py [--tokens 64] [--sessions 1 16 32] [--runtime torch] [--max-batch 32]

Each session is a thread iterating its own `Generation`, exactly as Streamlit's page threads do; the
model's scheduler (mirror/engine/scheduler.py) steps all of them in one batched forward pass per token.
Every session asks about its own topic in the same chat template (the same system prompt, as a class
shares one), so the prompts share a beginning but never a whole prompt.

In the same run:
- the largest session count again with the prefix cache off (`MIRROR_PREFIX_CACHE_MB=0`), for the time
  to first token the kept system prompt saves;
- 8 sessions with batching off (`max_batch` 1: one request at a time, first come first served, which
  is what a page calling `model.generate` under a lock gives);
- RSS read from /proc with 1 session and with the largest count in flight;
- the raw baseline, one stream of stock transformers `model.generate`, and one stream of the engine,
  each measured in a fresh process of its own before this one loads anything (a process that has run
  llama.cpp or many threads measures a slower baseline).
Figures go to bench/out/concurrency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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
from mirror.models import LoadedModel  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.engine.sampling import SamplingParams  # noqa: E402
from mirror.config import Settings  # noqa: E402

TOPICS = ["the sea", "mirrors", "rain", "the sky", "trees", "the moon", "bread", "music", "bees", "volcanoes",
          "trains", "snow", "owls", "bridges", "clocks", "rivers", "cats", "deserts", "stars", "gardens", "ships",
          "mountains", "libraries", "whales", "wind", "castles", "apples", "thunder", "maps", "islands", "candles",
          "forests", "bicycles", "glaciers", "kites", "lighthouses"]


def question(i: int) -> str:
    return f"Tell me about {TOPICS[i % len(TOPICS)]}."


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_sessions(lm: LoadedModel, count: int, tokens: int, offset: int = 0) -> dict[str, float]:
    """`count` sessions started together; `offset` picks other topics (a run never meets its own prompts)."""
    gaps: list[float] = []
    ttfts: list[float] = []  # from the request to its first token, queue included: what a user waits
    reused: list[int] = []
    produced = [0] * count
    lock = threading.Lock()
    peak = [rss_mb()]

    def session(i: int) -> None:
        prompt = build_prompt(lm, [Message("user", question(i + offset))]).text
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
        with lock:
            reused.append(run.result().reused_prompt_tokens)

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
            "p50_ttft_s": statistics.median(ttfts), "max_ttft_s": max(ttfts),
            "mean_reused_prompt_tokens": statistics.mean(reused)}


def stock_baseline(tokens: int, runs: int = 3) -> float:
    """tokens/s of one stream of stock `model.generate` (median of `runs`), in this process."""
    lm = shared_pool().get(runtime="torch")
    params = SamplingParams.preset("Balanced", seed=0, max_new_tokens=tokens)
    ids = lm.encode(build_prompt(lm, [Message("user", question(0))]).text)
    run_raw(lm, ids, params.replace(max_new_tokens=4))  # warm-up
    rates = []
    for _ in range(runs):
        raw_tokens, raw_seconds, _ = run_raw(lm, ids, params)
        rates.append(len(raw_tokens) / raw_seconds)
    return statistics.median(rates)


def engine_single_stream(tokens: int, runs: int = 3) -> float:
    """tokens/s of one session through the engine (median of `runs`), in this process."""
    lm = shared_pool().get(runtime="torch")
    run_sessions(lm, 1, 4, offset=100)
    return statistics.median(run_sessions(lm, 1, tokens, offset=i)["aggregate_tokens_per_s"] for i in range(runs))


def single_stream_in_fresh_process(kind: str, tokens: int) -> float:
    """One stream (`stock` model.generate or the `engine`), measured in a fresh process of its own."""
    out = subprocess.run([sys.executable, __file__, "--single", kind, "--tokens", str(tokens)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _print_row(label: str, row: dict[str, float], note: str = "") -> None:
    print(f"{label:>12}{row['tokens']:>8}{row['aggregate_tokens_per_s']:>17.1f}{row['p50_gap_ms']:>12.0f}"
          f"{row['p95_gap_ms']:>12.0f}{row['p50_ttft_s']:>12.2f}{row['max_ttft_s']:>12.2f}"
          f"{row['mean_reused_prompt_tokens']:>9.1f}{row['peak_rss_mb']:>13.0f}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 16, 32])
    parser.add_argument("--runtime", default="torch")
    parser.add_argument("--max-batch", type=int, default=Settings.from_env().max_batch)
    parser.add_argument("--single", choices=["stock", "engine"], help="only print one stream's tokens/s")
    args = parser.parse_args()
    if args.single:
        print(stock_baseline(args.tokens) if args.single == "stock" else engine_single_stream(args.tokens))
        return
    raw_rate = single_stream_in_fresh_process("stock", args.tokens)
    engine_rate = single_stream_in_fresh_process("engine", args.tokens)
    lm = shared_pool().get(runtime=args.runtime)
    lm = lm.with_batch(args.max_batch)
    run_sessions(lm.with_batch(args.max_batch), 1, 4, offset=100)  # warm-up, on a scheduler of its own
    base = rss_mb()
    print(f"CPU {cpu_name()}; runtime {args.runtime}; {lm.info.speed_choices or 'no CPU-specific choice'}")
    print(f"max batch {args.max_batch} (scheduler capacity {lm.scheduler.capacity}), {args.tokens} new tokens per "
          f"session, RSS after load {base:.0f} MB")
    print(f"one stream, each in a fresh process: stock model.generate {raw_rate:.1f} tokens/s, "
          f"the engine {engine_rate:.1f} tokens/s\n")
    print(f"{'sessions':>12}{'tokens':>8}{'aggregate tok/s':>17}{'p50 gap ms':>12}{'p95 gap ms':>12}"
          f"{'p50 TTFT s':>12}{'max TTFT s':>12}{'reused':>9}{'peak RSS MB':>13}")
    rows = []
    for n, count in enumerate(args.sessions):
        # Each count on a fresh scheduler (an empty prefix cache), with topics no earlier run used.
        row = run_sessions(lm.with_batch(args.max_batch), count, args.tokens, offset=40 * n)
        rows.append(row)
        _print_row(str(count), row)
    largest = max(args.sessions)
    no_prefix = run_sessions(lm.with_batch(args.max_batch, prefix_cache_mb=0), largest, args.tokens, offset=7)
    _print_row(f"{largest}, no pfx", no_prefix, "   (prefix cache off)")
    unbatched = run_sessions(lm.with_batch(1), 8, args.tokens, offset=3)
    _print_row("8 unbatched", unbatched, "   (one request at a time, no batching)")
    one = run_sessions(lm.with_batch(args.max_batch), 1, args.tokens, offset=11)["peak_rss_mb"]
    many = run_sessions(lm.with_batch(args.max_batch), largest, args.tokens, offset=13)["peak_rss_mb"]
    per_session = (many - one) / max(1, largest - 1)
    print(f"\nRSS with 1 session {one:.0f} MB, with {largest} sessions {many:.0f} MB ({per_session:.1f} MB per extra session)")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "concurrency.json").write_text(json.dumps({
        "cpu": cpu_name(), "runtime": args.runtime, "max_batch": args.max_batch, "tokens": args.tokens,
        "rows": rows, "no_prefix_cache": no_prefix, "unbatched_8": unbatched,
        "raw_generate_tokens_per_s": raw_rate, "raw_generate_fresh_process": True,
        "engine_single_stream_fresh_process_tokens_per_s": engine_rate,
        "rss_1_mb": one, f"rss_{largest}_mb": many, "rss_per_extra_session_mb": per_session,
    }, indent=1))
    base_rate = rows[0]["aggregate_tokens_per_s"]
    for row in rows:
        print(f"{row['sessions']:>3} sessions: {row['aggregate_tokens_per_s'] / base_rate:.2f}x one stream, "
              f"{row['aggregate_tokens_per_s'] / raw_rate:.2f}x raw model.generate")
    saved = no_prefix["max_ttft_s"] - rows[-1]["max_ttft_s"] if rows[-1]["sessions"] == largest else float("nan")
    print(f"prefix cache at {largest} sessions: worst TTFT {no_prefix['max_ttft_s']:.2f} s off, "
          f"{rows[-1]['max_ttft_s']:.2f} s on ({saved:+.2f} s)")


if __name__ == "__main__":
    main()
