"""Runtimes: what computes the logits. Every runtime feeds the same sampler (`mirror/sampling.py`).

- `torch`: transformers in float32, the fidelity baseline (numbers equal `model.generate`'s).
- `torch-bf16`: the same weights in bfloat16, about 1.5x faster on CPU; compared with float32 in
  `bench/runtimes.py` before anyone relies on it.
- `llamacpp`: llama.cpp (llama-cpp-python) running the bundled GGUF in-process. Only the forward pass
  is llama.cpp's: its next-token logits go through our sampler like any other runtime's, so the
  probabilities shown are still the sampler's own.
- `llamacpp-f16`: the same weights written once as an F16 GGUF (`mirror/gguf_f16.py`) and run by
  llama.cpp: f16 dot products instead of 8-bit-quantized activations, so its logits match torch
  float32 closely (passes the quality gate in `bench/runtimes.py`; `llamacpp` does not).

`LlamaCppCausalLM` looks enough like a transformers causal LM for `Generation` to drive it: called
with new input ids and a "cache" (here: the token ids this request has evaluated so far), it returns
the logits of the positions it asks for (only those rows are computed and copied). llama.cpp keeps one
KV cache per context; when another request used the context in between, the longest common prefix is
kept and only the rest is evaluated again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

RUNTIMES = ("torch", "torch-bf16", "llamacpp", "llamacpp-f16")
LLAMACPP_RUNTIMES = ("llamacpp", "llamacpp-f16")  # one llama.cpp context each: one request at a time


class RuntimeUnavailable(RuntimeError):
    """A runtime cannot be used here (not installed, wrong model kind); the message says why."""


class LlamaCppCausalLM:
    """A GGUF run by llama.cpp, shaped like a transformers causal LM for the generation loop."""

    def __init__(self, gguf_path: str, n_ctx: int = 2048, n_threads: int | None = None, eos_token_id: int = 2):
        try:
            import llama_cpp
            from llama_cpp import Llama
        except ImportError as error:
            raise RuntimeUnavailable("The llamacpp runtime needs llama-cpp-python (pip install llama-cpp-python).") from error
        # No logits_all: each decode asks llama.cpp for exactly the rows the caller keeps (one per token
        # while generating), so the prompt's other positions skip the output layer (49152 x 576) and no
        # n_ctx x vocabulary score buffer is filled and copied.
        self.llm = Llama(model_path=gguf_path, n_ctx=n_ctx, n_threads=n_threads or torch.get_num_threads(),
                         n_batch=512, logits_all=False, verbose=False)
        self._get_logits = llama_cpp.llama_get_logits
        self.gguf_path = gguf_path
        self.vocab = self.llm.n_vocab()
        self.config = SimpleNamespace(max_position_embeddings=n_ctx)
        self.generation_config = SimpleNamespace(eos_token_id=eos_token_id)
        self._lock = threading.Lock()  # one context: calls are serialised (the owner thread does that anyway)
        self._last: list[int] | None = None  # the token list returned by the latest call (its KV is held)

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

    def _common_prefix(self, tokens: list[int], past: list[int] | None) -> int:
        """How many leading `tokens` the context's KV cache already holds."""
        held = self.llm.n_tokens
        if past is not None and past is self._last and held == len(past) and self.llm.input_ids[held - 1] == past[-1]:
            return held  # the usual decode step: the caller continues the sequence we just evaluated
        n = min(held, len(tokens))
        if n == 0:
            return 0
        differ = np.flatnonzero(self.llm.input_ids[:n] != np.asarray(tokens[:n], dtype=self.llm.input_ids.dtype))
        return int(differ[0]) if differ.size else n

    def _decode(self, tokens: list[int], start: int, first: int) -> np.ndarray:
        """Evaluate tokens[start:] after the KV cache's first `start`; logits of positions >= `first`.

        Uses llama-cpp-python's context and batch directly (`_ctx`, `_batch`: private, so the version is
        pinned in requirements-dev.txt) because `Llama.eval` can only keep the last row or every row.
        """
        llm = self.llm
        llm._ctx.kv_cache_seq_rm(-1, start, -1)  # drop whatever another request left past the prefix
        llm.n_tokens = start
        # numpy, not torch, copies the rows: a torch copy of this size runs on torch's OpenMP threads,
        # which then spin-wait for a while on the cores llama.cpp's threads need for the next token.
        out = np.empty((len(tokens) - first, self.vocab), dtype=np.float32)
        filled, batch = 0, llm._batch.batch
        for chunk in range(start, len(tokens), llm.n_batch):
            ids = tokens[chunk: chunk + llm.n_batch]
            rows = 0
            for i, token in enumerate(ids):
                position = chunk + i
                batch.token[i] = token
                batch.pos[i] = position
                batch.seq_id[i][0] = 0
                batch.n_seq_id[i] = 1
                batch.logits[i] = position >= first
                rows += position >= first
            batch.n_tokens = len(ids)
            llm._ctx.decode(llm._batch)
            llm.input_ids[chunk: chunk + len(ids)] = ids  # llama-cpp-python's own bookkeeping stays right
            llm.n_tokens = chunk + len(ids)
            if rows:  # llama.cpp's output buffer holds the requested rows in batch order; copy them once
                logits = np.ctypeslib.as_array(self._get_logits(llm._ctx.ctx), shape=(rows, self.vocab))
                out[filled: filled + rows] = logits
                filled += rows
        return out

    def __call__(self, input_ids: torch.Tensor, past_key_values: list[int] | None = None, use_cache: bool = True,
                 logits_to_keep: int | None = None, **_: Any) -> SimpleNamespace:
        """Logits for the new positions (all of them, or the last `logits_to_keep`), shape (1, T, V)."""
        if input_ids.shape[0] != 1:
            raise ValueError("the llamacpp runtime runs one sequence at a time")
        past = past_key_values or None
        tokens = (past or []) + input_ids[0].tolist()
        if len(tokens) > self.config.max_position_embeddings:
            raise ValueError(f"{len(tokens)} tokens do not fit the {self.config.max_position_embeddings}-token window")
        first = max(0, len(tokens) - logits_to_keep) if logits_to_keep else len(tokens) - input_ids.shape[1]
        with self._lock:
            # Positions before `first` whose KV is held are reused; from `first` on they are evaluated
            # (their logits are not stored between calls), and always at least the last one.
            start = min(self._common_prefix(tokens, past), first, len(tokens) - 1)
            logits = torch.from_numpy(self._decode(tokens, start, first))
            self._last = tokens
        return SimpleNamespace(logits=logits[None], past_key_values=tokens)

    forward = __call__
