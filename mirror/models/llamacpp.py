"""Runtimes: what computes the logits. Every runtime feeds the same sampler (`mirror/engine/sampling.py`).

- `torch`: transformers in float32, the fidelity baseline (numbers equal `model.generate`'s).
- `torch-bf16`: the same weights in bfloat16, faster on CPUs with bf16 support; compared with float32
  in `bench/runtimes.py` before anyone relies on it.
- `llamacpp`: llama.cpp (llama-cpp-python) running the bundled GGUF in-process. Only the forward pass
  is llama.cpp's: its next-token logits go through our sampler like any other runtime's, so the
  probabilities shown are still the sampler's own.
- `llamacpp-f16`: the same weights written once as an F16 GGUF (`mirror/models/gguf_f16.py`) and run by
  llama.cpp: f16 dot products instead of 8-bit-quantized activations, so its logits match torch
  float32 closely (passes the quality gate in `bench/runtimes.py`; `llamacpp` does not).

`LlamaCppCausalLM` looks enough like a transformers causal LM for `Generation` to drive it: called
with new input ids and a "cache" (a `LlamaSeq` handle: its sequence slot and the token ids evaluated
so far), it returns the logits of the positions it asks for (only those rows are computed and copied).
One llama.cpp context holds `N_SEQ` sequences, one per running request, so requests never evict each
other's KV; `decode_batch` steps several of them with one llama_decode (one token each).

KV layout: one KV stream per sequence (`kv_unified=False`), each the full 2048-token window, plus a
scratch sequence for scoring: (16 + 1) x 2048 cells x ~23 KB (F16 K and V, 30 layers) = ~800 MB.
Every request keeps its whole window whatever the others do. A unified cache (`kv_unified=True`,
`kv_size=8192` cells shared by all sequences, ~190 MB) decodes as fast but fails (llama_decode
returns 1) once the running requests together hold more than 8192 tokens.
"""

from __future__ import annotations

import heapq
import threading
import weakref
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

RUNTIMES = ("torch", "torch-bf16", "llamacpp", "llamacpp-f16")
LLAMACPP_RUNTIMES = ("llamacpp", "llamacpp-f16")  # one llama.cpp context each, N_SEQ sequences in it
N_SEQ = 16  # requests one llama.cpp context holds at once (each its own sequence in the KV cache)
KV_UNIFIED = False  # one KV stream per sequence (see LlamaCppCausalLM)
KV_UNIFIED_SIZE = 8192  # total KV cells when kv_unified (shared by all sequences)


class RuntimeUnavailable(RuntimeError):
    """A runtime cannot be used here (not installed, wrong model kind); the message says why."""


class LlamaSeq:
    """One request's sequence in a `LlamaCppCausalLM` context: its slot (`seq_id`) and the tokens whose
    KV that slot holds (`tokens`). It is the "cache" the model returns as `past_key_values`.

    Compares equal to its token list (`handle == [1, 2, 3]`), as the old token-list cache did. A handle
    that is dropped without `release` gives its slot back on the model's next call (`weakref.finalize`
    only queues the id: llama.cpp is called from the model's owner thread alone).
    """

    __slots__ = ("seq_id", "tokens", "finalizer", "__weakref__")

    def __init__(self, seq_id: int, tokens: list[int]):
        self.seq_id: int | None = seq_id
        self.tokens = tokens
        self.finalizer: Any = None  # set by LlamaCppCausalLM: gives the slot back when the handle is dropped

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LlamaSeq):
            return self is other
        return isinstance(other, list) and self.tokens == other

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"LlamaSeq(seq_id={self.seq_id}, tokens={len(self.tokens)})"


class LlamaCppCausalLM:
    """A GGUF run by llama.cpp, shaped like a transformers causal LM for the generation loop.

    One llama.cpp context holds up to `n_seq` independent sequences (one per running request) plus one
    scratch sequence for scoring a text. Interface:

    - `model(input_ids (1, T), past_key_values=None, logits_to_keep=k)`: takes a free slot, evaluates the
      prompt into it, returns logits (1, k, V) and `past_key_values=LlamaSeq` (the handle);
    - `model(input_ids (1, T), past_key_values=handle, logits_to_keep=k)`: continues that sequence alone
      and returns the same handle, updated;
    - `model(input_ids (1, T))` (no cache, no `logits_to_keep`): every row, evaluated in the scratch
      slot, which is emptied at once; `past_key_values` is None;
    - `decode_batch(handles, tokens)`: one llama_decode with one token per sequence, logits (B, V);
    - `release(handle)`: frees the slot.
    """

    def __init__(self, gguf_path: str, n_ctx: int = 2048, n_threads: int | None = None, eos_token_id: int = 2,
                 n_seq: int = N_SEQ, kv_size: int | None = None, kv_unified: bool = KV_UNIFIED):
        try:
            import llama_cpp
            from llama_cpp import Llama
            from llama_cpp._internals import LlamaContext
        except ImportError as error:
            raise RuntimeUnavailable("The llamacpp runtime needs llama-cpp-python (pip install llama-cpp-python).") from error
        if not 1 <= n_seq < min(llama_cpp.llama_max_parallel_sequences(), 512):
            raise ValueError(f"n_seq must be between 1 and {min(llama_cpp.llama_max_parallel_sequences(), 512) - 1}")
        # No logits_all: each decode asks llama.cpp for exactly the rows the caller keeps (one per token
        # while generating), so the prompt's other positions skip the output layer (49152 x 576) and no
        # n_ctx x vocabulary score buffer is filled and copied. The context Llama makes is small and
        # replaced at once by one that holds n_seq + 1 sequences (Llama has no argument for n_seq_max).
        self.llm = Llama(model_path=gguf_path, n_ctx=256, n_threads=n_threads or torch.get_num_threads(),
                         n_batch=512, logits_all=False, verbose=False)
        llm = self.llm
        params = llm.context_params
        n_slots = n_seq + 1  # the last one is the scratch slot for scoring
        if kv_size is None:
            kv_size = n_slots * n_ctx if not kv_unified else KV_UNIFIED_SIZE
        params.n_ctx = kv_size
        params.n_seq_max = n_slots
        params.kv_unified = kv_unified
        llm._ctx.close()
        llm._ctx = LlamaContext(model=llm._model, params=params, verbose=False)
        llm.context_params = params
        self._memory = llama_cpp.llama_get_memory(llm._ctx.ctx)
        self._seq_rm = llama_cpp.llama_memory_seq_rm
        self._get_logits = llama_cpp.llama_get_logits
        self.gguf_path = gguf_path
        self.vocab = llm.n_vocab()
        self.n_seq = n_seq
        self.kv_size = kv_size
        self.kv_unified = kv_unified
        self.config = SimpleNamespace(max_position_embeddings=n_ctx)
        self.generation_config = SimpleNamespace(eos_token_id=eos_token_id)
        self._lock = threading.Lock()  # one context: calls are serialised (the owner thread does that anyway)
        self._scratch = n_seq
        self._free = list(range(n_seq))  # a heap: the lowest free slot is taken first
        self._to_free: list[int] = []  # slots of handles dropped without release (filled by finalizers)

    # What the rest of the app reads from a model.
    device = torch.device("cpu")
    dtype = torch.float32

    @property
    def n_params(self) -> int:
        from llama_cpp import llama_model_n_params

        return int(llama_model_n_params(self.llm.model))

    @property
    def cpu_features(self) -> str:
        """The instruction sets this llama.cpp build uses, as it reports them (e.g. "AVX2 = 1 | ...")."""
        import llama_cpp

        info = llama_cpp.llama_print_system_info().decode(errors="replace")
        return " | ".join(part.strip() for part in info.split("|") if part.strip().endswith("= 1")
                          or "AMX" in part or "AVX512" in part)

    @property
    def free_slots(self) -> int:
        """Slots a new request can take now (counting those of dropped handles, freed on the next call)."""
        return len(self._free) + len(self._to_free)

    # --- slots -------------------------------------------------------------------------------------

    def _clear(self, seq_id: int) -> None:
        self._seq_rm(self._memory, seq_id, -1, -1)

    def _reclaim(self) -> None:
        """Give back the slots of handles dropped since the last call (lock held, owner thread)."""
        while self._to_free:
            seq_id = self._to_free.pop()
            self._clear(seq_id)
            heapq.heappush(self._free, seq_id)

    def _take(self) -> LlamaSeq:
        if not self._free:
            raise RuntimeError(f"all {self.n_seq} llama.cpp sequence slots are in use; release a request first")
        seq_id = heapq.heappop(self._free)
        self._clear(seq_id)
        handle = LlamaSeq(seq_id, [])
        handle.finalizer = weakref.finalize(handle, self._to_free.append, seq_id)
        return handle

    def release(self, handle: LlamaSeq) -> None:
        """Free the handle's slot (its KV is removed) so a new request can take it. Idempotent."""
        with self._lock:
            if handle.seq_id is not None and handle.finalizer is not None:
                handle.finalizer()  # queues the slot once; the finalizer is then dead
                handle.seq_id = None
            self._reclaim()

    # --- evaluation --------------------------------------------------------------------------------

    def _decode(self, seq_id: int, tokens: list[int], start: int, first: int) -> np.ndarray:
        """Evaluate tokens[start:] in sequence `seq_id` (whose KV holds the first `start`); logits of
        positions >= `first`.

        Uses llama-cpp-python's context and batch directly (`_ctx`, `_batch`: private, so the version is
        pinned in requirements-llamacpp.txt) because `Llama.eval` can only keep the last row or every row.
        """
        llm = self.llm
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
                batch.seq_id[i][0] = seq_id
                batch.n_seq_id[i] = 1
                batch.logits[i] = position >= first
                rows += position >= first
            batch.n_tokens = len(ids)
            llm._ctx.decode(llm._batch)
            if rows:  # llama.cpp's output buffer holds the requested rows in batch order; copy them once
                logits = np.ctypeslib.as_array(self._get_logits(llm._ctx.ctx), shape=(rows, self.vocab))
                out[filled: filled + rows] = logits
                filled += rows
        llm.n_tokens = len(tokens)  # llama-cpp-python's count: the tokens of the sequence evaluated last
        return out

    def __call__(self, input_ids: torch.Tensor, past_key_values: LlamaSeq | list[int] | None = None,
                 use_cache: bool = True, logits_to_keep: int | None = None, **_: Any) -> SimpleNamespace:
        """Logits for the new positions (all of them, or the last `logits_to_keep`), shape (1, T, V)."""
        if input_ids.shape[0] != 1:
            raise ValueError("call the llamacpp runtime with one sequence; batch decode steps with decode_batch")
        new = input_ids[0].tolist()
        handle = past_key_values if isinstance(past_key_values, LlamaSeq) else None
        past = handle.tokens if handle is not None else list(past_key_values or [])
        tokens = past + new
        if len(tokens) > self.config.max_position_embeddings:
            raise ValueError(f"{len(tokens)} tokens do not fit the {self.config.max_position_embeddings}-token window")
        if not new:
            raise ValueError("no new tokens to evaluate")
        first = max(0, len(tokens) - logits_to_keep) if logits_to_keep else len(tokens) - len(new)
        with self._lock:
            self._reclaim()
            if handle is not None:
                if handle.seq_id is None:
                    raise ValueError("this sequence was released")
                # its KV holds handle.tokens; rows before them are not stored, so re-evaluate from `first`
                start = min(len(past), first)
                if start < len(past):
                    self._seq_rm(self._memory, handle.seq_id, start, -1)
                try:
                    logits = self._decode(handle.seq_id, tokens, start, first)
                except BaseException:
                    self._seq_rm(self._memory, handle.seq_id, start, -1)  # back to what the KV still holds
                    handle.tokens = past[:start]
                    raise
                handle.tokens = tokens
                return SimpleNamespace(logits=torch.from_numpy(logits)[None], past_key_values=handle)
            if logits_to_keep is None and past_key_values is None:  # scoring a text: the scratch slot
                try:
                    logits = self._decode(self._scratch, tokens, 0, first)
                finally:
                    self._clear(self._scratch)
                return SimpleNamespace(logits=torch.from_numpy(logits)[None], past_key_values=None)
            handle = self._take()
            try:
                logits = self._decode(handle.seq_id, tokens, 0, first)
            except BaseException:
                self._clear(handle.seq_id)
                handle.finalizer.detach()
                heapq.heappush(self._free, handle.seq_id)
                handle.seq_id = None
                raise
            handle.tokens = tokens
        return SimpleNamespace(logits=torch.from_numpy(logits)[None], past_key_values=handle)

    forward = __call__

    def decode_batch(self, handles: list[LlamaSeq], tokens: list[int]) -> torch.Tensor:
        """One llama_decode with token i appended to sequence handles[i]; next-token logits (B, V) float32,
        rows in the order of `handles`. Each handle's token list grows by its token."""
        if len(handles) != len(tokens):
            raise ValueError(f"{len(handles)} sequences but {len(tokens)} tokens")
        if not handles:
            return torch.empty(0, self.vocab)
        if len({id(h) for h in handles}) != len(handles):
            raise ValueError("a sequence appears twice in one batch")
        window = self.config.max_position_embeddings
        for h in handles:
            if h.seq_id is None:
                raise ValueError("a sequence in the batch was released")
            if len(h.tokens) + 1 > window:
                raise ValueError(f"{len(h.tokens) + 1} tokens do not fit the {window}-token window")
        llm = self.llm
        with self._lock:
            self._reclaim()
            batch = llm._batch.batch
            for i, (h, token) in enumerate(zip(handles, tokens)):
                batch.token[i] = int(token)
                batch.pos[i] = len(h.tokens)
                batch.seq_id[i][0] = h.seq_id
                batch.n_seq_id[i] = 1
                batch.logits[i] = True
            batch.n_tokens = len(handles)
            llm._ctx.decode(llm._batch)
            logits = np.ctypeslib.as_array(self._get_logits(llm._ctx.ctx), shape=(len(handles), self.vocab)).copy()
            for h, token in zip(handles, tokens):
                h.tokens = h.tokens + [int(token)]  # a new list: a caller's old reference stays as it was
        return torch.from_numpy(logits)
