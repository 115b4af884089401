"""Runtimes: what computes the logits. Every runtime feeds the same sampler (`mirror/sampling.py`).

- `torch`: transformers in float32, the fidelity baseline (numbers equal `model.generate`'s).
- `torch-bf16`: the same weights in bfloat16, about 1.5x faster on CPU; compared with float32 in
  `bench/runtimes.py` before anyone relies on it.
- `llamacpp`: llama.cpp (llama-cpp-python) running the bundled GGUF in-process. Only the forward pass
  is llama.cpp's: its next-token logits go through our sampler like any other runtime's, so the
  probabilities shown are still the sampler's own.

`LlamaCppCausalLM` looks enough like a transformers causal LM for `Generation` to drive it: called
with new input ids and a "cache" (here: the token ids this request has evaluated so far), it returns
the last position's logits. llama.cpp keeps one KV cache per context; when another request used the
context in between, the longest common prefix is kept and only the rest is evaluated again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import torch

RUNTIMES = ("torch", "torch-bf16", "llamacpp")


class RuntimeUnavailable(RuntimeError):
    """A runtime cannot be used here (not installed, wrong model kind); the message says why."""


class LlamaCppCausalLM:
    """The bundled GGUF run by llama.cpp, shaped like a transformers causal LM for the generation loop."""

    def __init__(self, gguf_path: str, n_ctx: int = 2048, n_threads: int | None = None, eos_token_id: int = 2):
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise RuntimeUnavailable("The llamacpp runtime needs llama-cpp-python (pip install llama-cpp-python).") from error
        # logits_all: every evaluated position keeps its logits, so the Token Inspector can score a text
        # in one pass with this runtime too (n_ctx x vocabulary floats: 400 MB at 2048 positions).
        self.llm = Llama(model_path=gguf_path, n_ctx=n_ctx, n_threads=n_threads or torch.get_num_threads(),
                         n_batch=512, logits_all=True, verbose=False)
        self.vocab = self.llm.n_vocab()
        self.config = SimpleNamespace(max_position_embeddings=n_ctx)
        self.generation_config = SimpleNamespace(eos_token_id=eos_token_id)
        self._lock = threading.Lock()  # one context: calls are serialised (the owner thread does that anyway)

    # What the rest of the app reads from a model.
    device = torch.device("cpu")
    dtype = torch.float32

    def eval(self) -> "LlamaCppCausalLM":
        return self

    def parameters(self) -> Iterator[torch.Tensor]:
        return iter(())

    @property
    def n_params(self) -> int:
        from llama_cpp import llama_model_n_params

        return int(llama_model_n_params(self.llm.model))

    def __call__(self, input_ids: torch.Tensor, past_key_values: list[int] | None = None, use_cache: bool = True,
                 logits_to_keep: int | None = None, **_: Any) -> SimpleNamespace:
        """Logits for the new positions (all of them, or the last `logits_to_keep`), shape (1, T, V)."""
        if input_ids.shape[0] != 1:
            raise ValueError("the llamacpp runtime runs one sequence at a time")
        past = list(past_key_values or [])
        tokens = past + input_ids[0].tolist()
        if len(tokens) > self.config.max_position_embeddings:
            raise ValueError(f"{len(tokens)} tokens do not fit the {self.config.max_position_embeddings}-token window")
        with self._lock:
            held = self.llm.input_ids[: self.llm.n_tokens].tolist()
            common = 0
            for a, b in zip(held, tokens):
                if a != b:
                    break
                common += 1
            common = min(common, len(tokens) - 1)  # evaluate at least one token, or there are no fresh logits
            self.llm.n_tokens = common
            self.llm.eval(tokens[common:])  # drops the KV cache past `common`, then evaluates the rest
            first = len(past) if not logits_to_keep else len(tokens) - logits_to_keep
            logits = torch.from_numpy(self.llm.scores[first: len(tokens)].copy())
        return SimpleNamespace(logits=logits[None], past_key_values=tokens)

    forward = __call__
