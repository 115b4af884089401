"""Gemma-3-270M (the optional model that writes Russian): load times, memory, and speed against raw transformers.

Each figure comes from a fresh process, all on one new, empty cache folder:
- cold load: `load_model("gemma-3-270m")` joins the GGUF from its packages, checks its SHA-256,
  dequantizes it and writes the weight cache;
- warm load: the same from the weight cache;
- stock: plain transformers (`AutoModelForCausalLM` on the same float32 weights, stock linear layers),
  `model.generate` of a 32-token Russian continuation (Balanced preset, seeded), and greedy;
- engine: the same through the Mirror engine (`Generation`, on the model's owner thread, as the app),
  with `model.generate` in the same process for the engine's own overhead, the sampler's cost per step on
  Gemma's 262,144-token logits, and the Token Inspector's scoring of a Russian text.
RSS is the process's resident memory after the load (and its peak). Medians over `--runs`.

    .venv/bin/python bench/gemma.py [--runs 3] [--max-new-tokens 32]

Needs the package (`make run-ru`). Never run inside the test suite: these are figures to read, not assertions.
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

PROMPT = "Жил-был кот, который"
TEXT = ("Москва — столица России, крупнейший по численности населения город страны. Город стоит на реке "
        "Москве в центре Восточно-Европейской равнины. Впервые Москва упоминается в летописи под 1147 годом; "
        "с XIV века она была столицей Великого княжества Московского, затем Русского царства. ") * 3


def memory_mb() -> dict[str, float]:
    """Resident memory now and at its peak (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "peak_rss_mb": int(fields["VmHWM"].split()[0]) / 1024}
    except (OSError, KeyError, ValueError):
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"rss_mb": float("nan"), "peak_rss_mb": peak / (1024 * 1024 if sys.platform == "darwin" else 1024)}


def _generate(model, ids: list[int], params, pad: int) -> tuple[list[int], float]:
    import torch

    torch.manual_seed(params.seed or 0)
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             pad_token_id=pad, **params.generate_kwargs())
    return out[0, len(ids):].tolist(), time.perf_counter() - start


def child(kind: str, cache: Path, runs: int, max_new_tokens: int) -> dict:
    import torch

    from mirror.engine.sampling import SamplingParams

    sampled = SamplingParams.preset("Balanced", seed=1234, max_new_tokens=max_new_tokens)
    greedy = SamplingParams(temperature=0, repetition_penalty=1.0, no_repeat_ngram_size=0, max_new_tokens=max_new_tokens)
    began = time.perf_counter()
    if kind == "load":
        from mirror.models import load_model

        lm = load_model("gemma-3-270m", device="cpu", cache_dir=cache)
        return {"load_s": lm.info.load_seconds, "import_and_load_s": time.perf_counter() - began,
                "from_cache": lm.info.from_cache, "layout": lm.info.speed_choices, **memory_mb()}
    if kind == "stock":
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from mirror.models.gemma import weights_dir

        folder = weights_dir(cache)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        loaded = {"load_s": time.perf_counter() - began, **memory_mb()}
        ids = tokenizer(PROMPT).input_ids  # <bos> first, as Gemma expects
        _generate(model, ids, sampled.replace(max_new_tokens=4), tokenizer.pad_token_id)  # warm-up
        times, tokens = [], []
        for _ in range(runs):
            tokens, seconds = _generate(model, ids, sampled, tokenizer.pad_token_id)
            times.append(len(tokens) / seconds)
        greedy_tokens, seconds = _generate(model, ids, greedy, tokenizer.pad_token_id)
        return {**loaded, "tokens_per_s": statistics.median(times), "runs": times, "tokens": tokens,
                "greedy_tokens": greedy_tokens, "greedy_tokens_per_s": len(greedy_tokens) / seconds,
                "text": tokenizer.decode(tokens), "peak_after_runs_mb": memory_mb()["peak_rss_mb"]}
    if kind == "engine":
        from mirror.engine.generation import Generation, describe_rows
        from mirror.engine.sampling import choose_token, run_pipeline
        from mirror.models import load_model
        from mirror.services.scoring import score_text

        lm = load_model("gemma-3-270m", device="cpu", cache_dir=cache)
        loaded = {"load_s": lm.info.load_seconds, "from_cache": lm.info.from_cache, **memory_mb()}
        ids = lm.run(lambda: list(lm.tokenizer(PROMPT).input_ids))

        def engine(params) -> tuple[list[int], float]:
            result = Generation(lm, ids, params, protect_end_tokens=False).run_to_end()
            return result.token_ids, result.seconds

        engine(sampled.replace(max_new_tokens=4))
        lm.run(_generate, lm.model, ids, sampled.replace(max_new_tokens=4), lm.tokenizer.pad_token_id)
        ours, theirs, tokens, same_process = [], [], [], []
        for _ in range(runs):  # interleaved, so that drift in the machine's load hits both alike
            tokens, seconds = engine(sampled)
            ours.append(len(tokens) / seconds)
            out, seconds = lm.run(_generate, lm.model, ids, sampled, lm.tokenizer.pad_token_id)
            theirs.append(len(out) / seconds)
            same_process.append(out == tokens)
        greedy_tokens, seconds = engine(greedy)

        def sampler_ms() -> float:
            with torch.inference_mode():
                row = torch.tensor(ids)
                raw = lm.model(input_ids=row[None]).logits[:, -1].float()
                times = []
                for _ in range(10):
                    start = time.perf_counter()
                    stages = run_pipeline([row], raw, sampled, lm.end_ids)
                    describe_rows(stages, choose_token(stages, [torch.Generator().manual_seed(1)]).tolist(), 10,
                                  lm.tokenizer)
                    times.append(time.perf_counter() - start)
            return 1000 * statistics.median(times)

        sampler = lm.run(sampler_ms)
        before = memory_mb()["peak_rss_mb"]
        start = time.perf_counter()
        scored = score_text(lm, TEXT)
        score_s = time.perf_counter() - start
        return {**loaded, "tokens_per_s": statistics.median(ours), "runs": ours, "tokens": tokens,
                "generate_same_process_tokens_per_s": statistics.median(theirs),
                "same_tokens_as_generate_same_process": all(same_process),
                "greedy_tokens": greedy_tokens, "greedy_tokens_per_s": len(greedy_tokens) / seconds,
                "sampler_and_figures_ms_per_step": sampler, "vocabulary": len(lm.tokenizer),
                "inspector_tokens": len(scored.tokens), "inspector_s": score_s,
                "inspector_peak_rss_mb": memory_mb()["peak_rss_mb"], "peak_before_inspector_mb": before,
                "text": lm.tokenizer.decode(tokens)}
    raise SystemExit(f"unknown child {kind}")


def in_fresh_process(kind: str, cache: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--cache", str(cache), "--runs", str(args.runs),
               "--max-new-tokens", str(args.max_new_tokens)]
    start = time.perf_counter()
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return {**json.loads(line.removeprefix("RESULT ")), "process_s": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.cache, args.runs, args.max_new_tokens)))
        return

    import torch

    from mirror.models.gemma import gemma_installed
    from mirror.models.machine import cpu_name

    if not gemma_installed():
        raise SystemExit("gemma-3-270m is not installed: run `make run-ru` first")
    print(f"CPU {cpu_name()}, {os.cpu_count()} CPUs, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="bench-gemma-") as tmp:
        cache = Path(tmp)
        figures: dict[str, dict] = {}
        figures["cold"] = in_fresh_process("load", cache, args)
        figures["warm"] = in_fresh_process("load", cache, args)
        figures["stock"] = in_fresh_process("stock", cache, args)
        figures["engine"] = in_fresh_process("engine", cache, args)
    cold, warm, stock, engine = (figures[k] for k in ("cold", "warm", "stock", "engine"))
    print(f"\ncold load (join + check + dequantize + write cache): {cold['load_s']:.1f} s "
          f"(process {cold['process_s']:.1f} s), RSS {cold['rss_mb']:.0f} MB, peak {cold['peak_rss_mb']:.0f} MB")
    print(f"warm load (weight cache):                           {warm['load_s']:.1f} s "
          f"(process {warm['process_s']:.1f} s), RSS {warm['rss_mb']:.0f} MB, peak {warm['peak_rss_mb']:.0f} MB")
    print(f"  (both include the linear-layout timing: {warm['layout']})")
    print(f"stock transformers load (same float32 weights):     {stock['load_s']:.1f} s, RSS {stock['rss_mb']:.0f} MB")
    print(f"\n{args.max_new_tokens}-token Russian continuation of {PROMPT!r}, Balanced preset, seeded, "
          f"median of {args.runs}:")
    print(f"  stock model.generate (fresh process):  {stock['tokens_per_s']:6.2f} tokens/s  {[round(x, 2) for x in stock['runs']]}")
    print(f"  Mirror engine:                         {engine['tokens_per_s']:6.2f} tokens/s  {[round(x, 2) for x in engine['runs']]}")
    print(f"  model.generate in the engine's process:{engine['generate_same_process_tokens_per_s']:6.2f} tokens/s "
          f"(same tokens as the engine: {engine['same_tokens_as_generate_same_process']})")
    print(f"  engine / stock: {engine['tokens_per_s'] / stock['tokens_per_s']:.2f}; same sampled tokens as stock: "
          f"{engine['tokens'] == stock['tokens']}; greedy, same tokens: {engine['greedy_tokens'] == stock['greedy_tokens']} "
          f"(greedy {stock['greedy_tokens_per_s']:.2f} stock vs {engine['greedy_tokens_per_s']:.2f} engine tokens/s)")
    print(f"  sampler + figures per step on {engine['vocabulary']:,}-token logits: "
          f"{engine['sampler_and_figures_ms_per_step']:.1f} ms")
    print(f"  Token Inspector on {engine['inspector_tokens']} tokens: {engine['inspector_s']:.1f} s, peak RSS "
          f"{engine['peak_before_inspector_mb']:.0f} -> {engine['inspector_peak_rss_mb']:.0f} MB")
    print(f"\nengine text: {engine['text']!r}\nstock text:  {stock['text']!r}")
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"cpu": cpu_name(), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "prompt": PROMPT,
              "max_new_tokens": args.max_new_tokens, "runs": args.runs, **figures}
    (out_dir / "gemma.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"\nwritten to {out_dir / 'gemma.json'}")


if __name__ == "__main__":
    main()
