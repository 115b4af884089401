"""Runtimes compared: quality against float32 and speed, with the raw baselines, in one run.

    .venv/bin/python bench/runtimes.py [--tokens 128] [--runs 3]

Quality gate (issue: a runtime may be the default only with KL <= 0.01 and top-1 agreement >= 95%):
on the texts in bench/quality_texts.txt, every position's next-token distribution of each runtime is
compared with torch float32: mean KL(fp32 || runtime), top-1 agreement, and the negative
log-likelihood per token. Speed: single-stream decode tokens/s and time to first token of our
generation loop on each runtime (same prompt, seed and parameters), beside raw transformers
`model.generate` (fp32) and raw llama.cpp (`Llama.create_completion`) on the same GGUF as each
llama.cpp runtime (the bundled Q4_1 file, and the F16 copy `llamacpp-f16` builds into the cache). Cold
start from the cache is measured in a fresh process per runtime.

Timings on a shared machine are noisy (llama.cpp's threads suffer badly when another process holds a
core): run it more than once and compare medians.
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

from mirror.models.fastlinear import stock_layout  # noqa: E402
from mirror.engine.generation import Generation  # noqa: E402
from mirror.services.prompts import Message, build_prompt  # noqa: E402
from mirror.models.machine import cpu_name  # noqa: E402
from mirror.models import LoadedModel  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.models.llamacpp import LLAMACPP_RUNTIMES, RUNTIMES  # noqa: E402
from mirror.engine.sampling import SamplingParams  # noqa: E402

# raw llama.cpp on each llama.cpp runtime's own GGUF: --only key -> (runtime, row label)
RAW_LLAMACPP = {"raw-llamacpp": ("llamacpp", "raw llama.cpp (Q4_1)"),
                "raw-llamacpp-f16": ("llamacpp-f16", "raw llama.cpp (F16)")}
assert {runtime for runtime, _ in RAW_LLAMACPP.values()} == set(LLAMACPP_RUNTIMES)
PROMPT = "Write a short story about a girl who finds a magic mirror."


def all_logits(lm: LoadedModel, ids: list[int]) -> torch.Tensor:
    def go() -> torch.Tensor:
        with torch.inference_mode():
            return lm.model(input_ids=torch.tensor([ids])).logits[0].float()
    return lm.run(go)


def quality(reference: LoadedModel, other: LoadedModel, texts: list[str]) -> dict[str, float]:
    kls, agree, nll, count = [], 0, 0.0, 0
    for text in texts:
        ids = [0] + reference.encode(text)  # <|endoftext|> first, so every token has a context
        p = torch.log_softmax(all_logits(reference, ids), -1)
        q = torch.log_softmax(all_logits(other, ids), -1)
        kls += (p.exp() * (p - q)).sum(-1).tolist()
        agree += int((p.argmax(-1) == q.argmax(-1)).sum())
        targets = torch.tensor(ids[1:])
        nll += float(-q[:-1].gather(1, targets[:, None]).sum())
        count += len(ids)
    return {"mean_kl": statistics.mean(kls), "top1_agreement": agree / count, "nll_per_token": nll / (count - len(texts))}


def speed(lm: LoadedModel, ids: list[int], params: SamplingParams, runs: int) -> dict[str, float]:
    Generation(lm, ids, params.replace(max_new_tokens=4)).run_to_end()  # warm-up
    rates, ttfts, tokens = [], [], 0
    for _ in range(runs):
        result = Generation(lm, ids, params, protect_end_tokens=False).run_to_end()
        rates.append(result.tokens_per_second)
        ttfts.append(result.time_to_first_token or 0.0)
        tokens = result.new_tokens
    return {"tokens": tokens, "tokens_per_s": statistics.median(rates), "ttft_s": statistics.median(ttfts)}


def raw_generate(lm: LoadedModel, ids: list[int], params: SamplingParams, runs: int) -> dict[str, float]:
    """Stock transformers `model.generate` (stock linear layers, not the engine's faster call)."""
    def go() -> tuple[int, float]:
        torch.manual_seed(params.seed or 0)
        start = time.perf_counter()
        with torch.inference_mode(), stock_layout(lm.model):
            out = lm.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                    pad_token_id=lm.tokenizer.eos_token_id, **params.generate_kwargs())
        return out.shape[1] - len(ids), time.perf_counter() - start
    lm.run(go)
    results = [lm.run(go) for _ in range(runs)]
    return {"tokens": results[-1][0], "tokens_per_s": statistics.median(n / s for n, s in results)}


def raw_llamacpp(gguf_path: str, ids: list[int], params: SamplingParams, runs: int) -> dict[str, float]:
    from llama_cpp import Llama

    llm = Llama(model_path=gguf_path, n_ctx=2048, n_threads=torch.get_num_threads(), verbose=False)
    rates, ttfts, tokens = [], [], 0
    for run in range(runs + 1):
        llm.reset()
        start, first, n = time.perf_counter(), None, 0
        for _ in llm.create_completion(ids, max_tokens=params.max_new_tokens, temperature=params.temperature,
                                       top_k=params.top_k, top_p=params.top_p, repeat_penalty=params.repetition_penalty,
                                       seed=params.seed, stream=True):
            first = first or time.perf_counter()
            n += 1
        if run:  # the first run warms up
            rates.append(n / (time.perf_counter() - start))
            ttfts.append((first or start) - start)
            tokens = n
    return {"tokens": tokens, "tokens_per_s": statistics.median(rates), "ttft_s": statistics.median(ttfts)}


def cold_start(runtime: str) -> float:
    code = ("import time; t=time.perf_counter(); from mirror.models import load_model; "
            f"load_model(runtime={runtime!r}); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help=argparse.SUPPRESS)  # internal: the speed of one runtime, as JSON
    args = parser.parse_args()
    params = SamplingParams.preset("Balanced", seed=1234, max_new_tokens=args.tokens)
    if args.only:
        runtime = RAW_LLAMACPP[args.only][0] if args.only in RAW_LLAMACPP else \
            "torch" if args.only == "raw-generate" else args.only
        lm = shared_pool().get(runtime=runtime)
        ids = lm.encode(build_prompt(lm, [Message("user", PROMPT)]).text)
        if args.only in RAW_LLAMACPP:
            path = lm.model.gguf_path  # the very file our runtime runs (for -f16: the cached F16 copy)
            lm.close()
            del lm  # free our context before the raw one starts
            figures = raw_llamacpp(path, ids, params, args.runs)
        else:
            figures = raw_generate(lm, ids, params, args.runs) if args.only == "raw-generate" else \
                speed(lm, ids, params, args.runs)
        print(json.dumps(figures))
        return
    texts = [t for t in (ROOT / "bench" / "quality_texts.txt").read_text().split("\n") if t.strip()]
    models = {name: shared_pool().get(runtime=name) for name in RUNTIMES}
    reference = models["torch"]
    ids = reference.encode(build_prompt(reference, [Message("user", PROMPT)]).text)
    print(f"CPU {cpu_name()}; " + "; ".join(f"{name}: {lm.info.speed_choices or 'no CPU-specific choice'}"
                                          for name, lm in models.items()))
    print(f"torch threads {torch.get_num_threads()}, prompt {len(ids)} tokens, {args.tokens} new tokens, "
          f"Balanced seed 1234, {args.runs} runs (median); speed of each runtime in a fresh process\n")

    def speed_in_own_process(which: str) -> dict[str, float]:
        # One process per runtime: several runtimes' thread pools in one process slow each other down.
        out = subprocess.run([sys.executable, __file__, "--only", which, "--tokens", str(args.tokens), "--runs",
                              str(args.runs)], cwd=ROOT, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    rows = {}
    for name, lm in models.items():
        rows[name] = {**speed_in_own_process(name), **quality(reference, lm, texts), "cold_start_s": cold_start(name)}
    rows["raw model.generate (fp32)"] = speed_in_own_process("raw-generate")
    for raw, (_, label) in RAW_LLAMACPP.items():
        rows[label] = speed_in_own_process(raw)

    header = f"{'runtime':<28}{'tokens/s':>9}{'TTFT s':>8}{'cold s':>8}{'KL':>9}{'top-1':>8}{'NLL/tok':>9}"
    print(header)
    for name, r in rows.items():
        def f(key: str, fmt: str) -> str:
            return format(r[key], fmt) if key in r else "-"
        print(f"{name:<28}{f('tokens_per_s', '.1f'):>9}{f('ttft_s', '.3f'):>8}{f('cold_start_s', '.1f'):>8}"
              f"{f('mean_kl', '.4f'):>9}{f('top1_agreement', '.1%'):>8}{f('nll_per_token', '.3f'):>9}")
    ok = [n for n in RUNTIMES if rows[n]["mean_kl"] <= 0.01 and rows[n]["top1_agreement"] >= 0.95]
    fastest = max(ok, key=lambda n: rows[n]["tokens_per_s"])
    print(f"\npasses the quality gate (KL <= 0.01, top-1 >= 95%): {', '.join(ok)}; fastest of those: {fastest}")
    for name, label in RAW_LLAMACPP.values():
        print(f"{name} / {label}: {rows[name]['tokens_per_s'] / rows[label]['tokens_per_s']:.2f}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "runtimes.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
