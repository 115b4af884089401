"""Command line: `python -m mirror info | generate | score | inside`.

Bad input (empty prompt, out-of-range parameter, unknown model) exits with status 2 and one line on
stderr, never a traceback. Parameters are checked before the model loads, so mistakes fail fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from mirror.config import DEFAULT_PRESET, PRESETS
from mirror.models import LoadedModel, ModelLoadError
from mirror.models.pool import shared_pool
from mirror.engine.sampling import ParameterError, SamplingParams


class UsageError(Exception):
    """Bad command-line input; the message is shown as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `python -m mirror {self.prog.split()[-1]} --help`)")


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="bundled (default), a Hugging Face id such as gpt2, or a local folder")
    parser.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    parser.add_argument("--dtype", help="float32, bfloat16 or float16 (default: per device)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mirror", description="Magic Mirror: watch a small language model write.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    info = commands.add_parser("info", help="load the model and print facts about it")
    _add_model_options(info)
    info.add_argument("--json", action="store_true", help="print one JSON object")

    gen = commands.add_parser("generate", help="stream a continuation of PROMPT")
    gen.add_argument("prompt", help="the prompt; - reads it from standard input")
    _add_model_options(gen)
    gen.add_argument("--preset", default=DEFAULT_PRESET, help=f"one of {', '.join(PRESETS)} (default {DEFAULT_PRESET})")
    gen.add_argument("--temperature", type=float)
    gen.add_argument("--top-k", type=int)
    gen.add_argument("--top-p", type=float)
    gen.add_argument("--repetition-penalty", type=float)
    gen.add_argument("--no-repeat-ngram", type=int, dest="no_repeat_ngram_size")
    gen.add_argument("--max-new-tokens", type=int)
    gen.add_argument("--seed", type=int)
    gen.add_argument("--chat", action="store_true", help="wrap the prompt as one user turn of a chat")
    gen.add_argument("--json", action="store_true", help="one JSON object per token, then a summary")

    score = commands.add_parser("score", help="show how likely the model finds each token of TEXT")
    score.add_argument("text", help="the text; - reads it from standard input")
    _add_model_options(score)
    score.add_argument("--json", action="store_true", help="print one JSON object")

    inside = commands.add_parser("inside", help="what each layer of the model would predict, and where it attends")
    inside.add_argument("text", help="the text; - reads it from standard input")
    _add_model_options(inside)
    inside.add_argument("--json", action="store_true",
                        help="one object: token_ids, lens (per layer, per position the top-5 [id, probability]) "
                             "and attention (per block, per head the last position's weights)")
    return parser


def _read(value: str) -> str:
    text = sys.stdin.read() if value == "-" else value
    if not text.strip():
        raise UsageError("the text is empty: give a prompt or text to work on")
    return text


def _params(args: argparse.Namespace) -> SamplingParams:
    names = ("temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size", "max_new_tokens", "seed")
    overrides = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    return SamplingParams.preset(args.preset, **overrides)


def _emit(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def from_pool(name: str | None = None, device: str | None = None, dtype: str | None = None) -> LoadedModel:
    """The model from the process's pool (the one way every face gets a model)."""
    return shared_pool().get(name, device=device, dtype=dtype)


def cmd_info(args: argparse.Namespace, loader: Callable[..., LoadedModel]) -> None:
    lm = loader(args.model, args.device, args.dtype)
    info = lm.info.to_dict()
    pool = shared_pool().describe()
    if args.json:
        _emit({**info, "pool": pool})
        return
    labels = {"name": "model", "source": "source", "location": "location", "device": "device", "dtype": "dtype",
              "parameters": "parameters", "context_length": "context length", "load_seconds": "load time",
              "from_cache": "from cache", "has_chat_template": "chat template", "runtime": "runtime",
              "speed_choices": "speed choices", "note": "note"}
    for key, label in labels.items():
        value = info[key]
        if key == "parameters":
            value = f"{value:,} ({value / 1e6:.0f}M)"
        elif key == "load_seconds":
            value = f"{value:.2f} s"
        elif key in ("speed_choices", "note") and not value:
            continue
        print(f"{label:>15}: {value}")
    models = "; ".join(f"{m['name']} ({m['runtime']}, {m['megabytes']:.0f} MB)" for m in pool["models"])
    print(f"{'loaded models':>15}: {models or '-'}")
    print(f"{'model memory':>15}: {pool['used_megabytes']:.0f} of {pool['budget_megabytes']:.0f} MB "
          f"(MIRROR_MODEL_MEMORY_MB)")


def cmd_generate(args: argparse.Namespace, loader: Callable[..., LoadedModel]) -> None:
    from mirror.services.prompts import generate

    prompt = _read(args.prompt)
    params = _params(args)
    lm = loader(args.model, args.device, args.dtype)
    run = generate(lm, prompt, params, chat=args.chat)
    if run.dropped_prompt_tokens:
        print(f"note: the prompt was cut from the left by {run.dropped_prompt_tokens} tokens to fit the "
              f"{run.context}-token context window", file=sys.stderr)
    for step in run:
        if args.json:
            _emit(step.to_dict())
        else:
            print(step.text, end="", flush=True)
    result = run.result()
    if args.json:
        _emit({"summary": result.to_dict()})
    else:
        print()
        print(f"[{result.new_tokens} tokens, {result.tokens_per_second:.1f} tokens/s, first token after "
              f"{result.time_to_first_token or 0:.2f} s, seed {result.seed}, stopped: {result.finish_reason}]",
              file=sys.stderr)


def cmd_score(args: argparse.Namespace, loader: Callable[..., LoadedModel]) -> None:
    from mirror.services.scoring import score_text

    text = _read(args.text)
    lm = loader(args.model, args.device, args.dtype)
    scored = score_text(lm, text)
    if args.json:
        _emit({"tokens": [t.to_dict() for t in scored.tokens], "perplexity": scored.perplexity,
               "mean_surprisal_bits": scored.mean_surprisal, "windows": scored.windows})
        return
    print(f"{'#':>5}  {'token':<20} {'prob':>8} {'rank':>6} {'entropy':>8} {'surprisal':>9}  top alternative")
    for t in scored.tokens:
        best = t.alternatives[0]
        print(f"{t.index:>5}  {json.dumps(t.token, ensure_ascii=False):<20} {t.prob:>8.4f} {t.rank:>6} "
              f"{t.entropy:>8.2f} {t.surprisal:>9.2f}  {json.dumps(best[1], ensure_ascii=False)} {best[2]:.3f}")
    print(f"perplexity {scored.perplexity:.2f}, mean surprisal {scored.mean_surprisal:.2f} bits, "
          f"{len(scored.tokens)} tokens scored in {scored.windows} pass(es)")


def cmd_inside(args: argparse.Namespace, loader: Callable[..., LoadedModel]) -> None:
    from mirror.services.inside.look import ATTENTION_MAX_TOKENS, check_reachable, document_ids, look_inside

    text = _read(args.text)
    lm = loader(args.model, args.device, args.dtype)
    check_reachable(lm)
    look = look_inside(lm, document_ids(lm, text))
    if look.attention is None:
        print(f"note: attention weights are given for up to {ATTENTION_MAX_TOKENS} tokens; this text has "
              f"{look.positions}", file=sys.stderr)
    if args.json:
        _emit(look.to_json())
        return
    shown = sorted(set(look.lens.top_ids.flatten().tolist()))
    name_of = dict(zip(shown, lm.token_strings(shown)))
    commitment = look.lens.commitment()
    print(f"{look.positions} tokens, {look.blocks} blocks; layer 0 = embeddings, layer {look.blocks} = the output")
    print(f"{'#':>4}  {'token':<18} {'predicts next':<18} {'p':>6}  from layer")
    for p, token in enumerate(look.tokens):
        top1 = int(look.lens.final_top1[p])
        print(f"{p:>4}  {json.dumps(token, ensure_ascii=False):<18} {json.dumps(name_of[top1], ensure_ascii=False):<18} "
              f"{float(look.lens.top_probs[-1, p, 0]):>6.3f}  {commitment[p]}")
    print(f"\nlogit lens at the last position (#{look.positions - 1}):")
    for layer in range(look.lens.layers):
        guesses = ", ".join(f"{json.dumps(name_of[int(i)], ensure_ascii=False)} {float(q):.3f}"
                            for i, q in zip(look.lens.top_ids[layer, -1], look.lens.top_probs[layer, -1]))
        print(f"  layer {layer:>2}: {guesses}")
    if look.attention is not None:
        print(f"\nattention of the last position, mean over heads (top 3 earlier tokens per block):")
        for block, row in enumerate(look.head_means(look.positions - 1)):
            best = row.topk(min(3, row.numel()))
            where = ", ".join(f"#{int(i)} {json.dumps(look.tokens[int(i)], ensure_ascii=False)} {float(w):.2f}"
                              for w, i in zip(best.values, best.indices))
            print(f"  block {block + 1:>2}: {where}")


COMMANDS = {"info": cmd_info, "generate": cmd_generate, "score": cmd_score, "inside": cmd_inside}


def main(argv: Sequence[str] | None = None, loader: Callable[..., LoadedModel] = from_pool) -> int:
    try:
        args = build_parser().parse_args(argv)
        COMMANDS[args.command](args, loader)
        return 0
    except (UsageError, ParameterError, ModelLoadError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
