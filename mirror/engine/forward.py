"""The one place the model is asked for logits: a request's next token, a batch's, or every position's.

Every caller gets float32 logits, copied out of the model's buffers, so sampling and the figures the
pages show never depend on the model's dtype or on a buffer the next forward pass overwrites.
Call these on the model's owner thread (`LoadedModel.run`), inside `torch.inference_mode()`.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from mirror.engine.protocols import CausalLM, SequenceBatching

_KEEPS_LAST: dict[type, bool] = {}


def accepts_logits_to_keep(model: CausalLM) -> bool:
    """Whether `model.forward` can return only the last position's logits (asked once per model class)."""
    kind = type(model)
    if kind not in _KEEPS_LAST:
        _KEEPS_LAST[kind] = "logits_to_keep" in inspect.signature(model.forward).parameters
    return _KEEPS_LAST[kind]


def _last_only(model: CausalLM) -> dict[str, Any]:
    # Only the last position's logits: a long prompt's full logits would take gigabytes.
    return {"logits_to_keep": 1} if accepts_logits_to_keep(model) else {}


def next_logits(model: CausalLM, input_ids: torch.Tensor, cache: Any = None,
                keep_cache: bool = True) -> tuple[torch.Tensor, Any]:
    """(1, vocab) logits for the token after `input_ids` (1, n), and the updated KV cache.

    With a `cache`, `input_ids` are only the tokens the cache has not seen yet (a decode step);
    without one, the whole prompt (a prefill). `keep_cache=False` computes no cache at all.
    """
    out = model(input_ids=input_ids, use_cache=keep_cache, past_key_values=cache, **_last_only(model))
    return out.logits[:, -1].to(dtype=torch.float32, copy=True), (out.past_key_values if keep_cache else None)


def batch_next_logits(model: CausalLM, last_tokens: torch.Tensor, cache: Any, mask: torch.Tensor,
                      positions: torch.Tensor) -> tuple[torch.Tensor, Any]:
    """(rows, vocab) logits after one new token per row of a left-padded batch cache.

    `mask` (rows, cached + 1) marks each row's real tokens, the new one included; `positions` (rows, 1)
    is each new token's position. A batch of one without padding runs exactly the single-request pass.
    """
    kwargs: dict[str, Any] = {"use_cache": True, "past_key_values": cache, **_last_only(model)}
    if last_tokens.shape[0] > 1 or not bool(mask.all()):
        kwargs.update(attention_mask=mask, position_ids=positions)
    out = model(input_ids=last_tokens, **kwargs)
    return out.logits[:, -1].to(dtype=torch.float32, copy=True), out.past_key_values


def prefill_batch_logits(model: CausalLM, input_ids: torch.Tensor, cache: Any, mask: torch.Tensor,
                         positions: torch.Tensor) -> tuple[torch.Tensor, Any]:
    """(rows, vocab) logits after several prompts prefilled in one pass, and the batch cache.

    `input_ids` (rows, n) are right-aligned (padding on the left), `cache` holds what each row has
    already (left-padded, or None), `mask` (rows, cached + n) marks every real token and `positions`
    (rows, n) gives each input token its position in its own prompt.
    """
    out = model(input_ids=input_ids, past_key_values=cache, attention_mask=mask, position_ids=positions,
                use_cache=True, **_last_only(model))
    return out.logits[:, -1].to(dtype=torch.float32, copy=True), out.past_key_values


def sequence_batch_logits(model: SequenceBatching, caches: Sequence[Any], tokens: Sequence[int]) -> torch.Tensor:
    """(rows, vocab) logits from a model that batches its own sequences: one new token per sequence."""
    return model.decode_batch(caches, tokens).to(dtype=torch.float32)


def all_logits(model: CausalLM, ids: torch.Tensor) -> torch.Tensor:
    """(positions, vocab) logits at every position of one sequence `ids` (1-D), without a cache."""
    return model(input_ids=ids[None]).logits[0].to(torch.float32)


class SplitHead(NamedTuple):
    body: torch.nn.Module  # the model without its output layer: gives the last hidden states
    head: torch.nn.Module
    softcap: float | None  # Gemma's final logit soft-capping, applied after the head


# Per model: its split head, or None where the split does not give the model's own logits.
_SPLIT_HEADS: "weakref.WeakKeyDictionary[torch.nn.Module, SplitHead | None]" = weakref.WeakKeyDictionary()
PROBE_TOKENS = 8
PROBE_TOLERANCE = 1e-3  # logits are tens; a matmul over fewer rows may round differently


def _split_of(model: torch.nn.Module) -> SplitHead | None:
    body = getattr(model, "base_model", None)
    get_head = getattr(model, "get_output_embeddings", None)
    head = get_head() if callable(get_head) else None
    if body is None or body is model or not isinstance(head, torch.nn.Module):
        return None
    cap = getattr(getattr(model, "config", None), "final_logit_softcapping", None)
    return SplitHead(body, head, float(cap) if cap else None)


def _head_logits(split: SplitHead, hidden: torch.Tensor) -> torch.Tensor:
    logits = split.head(hidden)
    if split.softcap is not None:
        logits = torch.tanh(logits / split.softcap) * split.softcap
    return logits.to(torch.float32)


def _last_hidden(split: SplitHead, ids: torch.Tensor) -> torch.Tensor:
    return split.body(input_ids=ids[None], use_cache=False).last_hidden_state[0]


def _checked_split(model: CausalLM, ids: torch.Tensor) -> SplitHead | None:
    """The model's split head if, on a short probe, it gives the model's own logits (checked once per model).

    A model whose forward does more than body + head (a logit scale, say) fails the probe and keeps
    the whole-sequence path.
    """
    if not isinstance(model, torch.nn.Module):
        return None
    if model not in _SPLIT_HEADS:
        _SPLIT_HEADS[model] = _probed_split(model, ids[:PROBE_TOKENS])
    return _SPLIT_HEADS[model]


def _probed_split(model: torch.nn.Module, probe: torch.Tensor) -> SplitHead | None:
    split = _split_of(model)
    if split is None:
        return None
    try:
        mine = _head_logits(split, _last_hidden(split, probe))
    except (TypeError, AttributeError):
        return None
    theirs = all_logits(model, probe)
    return split if mine.shape == theirs.shape and torch.allclose(mine, theirs, rtol=0, atol=PROBE_TOLERANCE) else None


def accepted_split(model: CausalLM) -> SplitHead | None:
    """The split the probe accepted for `model`; None when it refused it or has not run yet."""
    return _SPLIT_HEADS.get(model) if isinstance(model, torch.nn.Module) else None


def logits_in_blocks(model: CausalLM, ids: torch.Tensor, start: int, stop: int,
                     rows: int) -> Iterator[torch.Tensor]:
    """The float32 logits at positions start..stop-1 of one sequence `ids` (1-D), in consecutive blocks.

    One forward pass gives the last hidden states, and the output layer runs on `rows` positions at a
    time, so a long text never holds (positions x vocabulary) logits at once: with a 262k-token
    vocabulary that is about 1 MB per position. The blocks are counted from the sequence's first
    position, whatever `start` is: a matrix product may round differently for another number of rows,
    so a position gets the same logits whichever part of the sequence is asked for (and a sequence of
    up to `rows` positions gets exactly its whole forward pass's).
    """
    split = _checked_split(model, ids)
    if split is None:
        yield from all_logits(model, ids)[start:stop].split(rows)
        return
    hidden = _last_hidden(split, ids)
    for first in range(start - start % rows, stop, rows):
        block = _head_logits(split, hidden[first : first + rows])
        yield block[max(start - first, 0) : stop - first]


class InternalsUnavailable(ValueError):
    """The model does not give its hidden states or attention weights (a native runtime, for example)."""


@dataclass(frozen=True)
class Internals:
    """What one forward pass over one sequence computed inside the model, float32 copies.

    `hidden_states` has one (positions, width) entry per layer from the embeddings to the last
    block's output, as transformers returns them (its last entry has the final norm applied).
    `attentions` has one (heads, positions, positions) entry per block, or is None when not asked.
    """

    logits: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...]
    attentions: tuple[torch.Tensor, ...] | None


def internals(model: CausalLM, ids: torch.Tensor, attentions: bool) -> Internals:
    """Logits, hidden states and (optionally) attention weights for one sequence `ids` (1-D).

    Attention weights exist only in the eager attention code (SDPA never forms them), so the model is
    switched to eager for this one pass and back afterwards; on the owner thread nothing else runs
    meanwhile. The weights are then the very ones `attn_implementation="eager"` computes.
    """
    switch = getattr(model, "set_attn_implementation", None)
    config = getattr(model, "config", None)
    before = config._attn_implementation if config is not None else None
    if attentions and before != "eager":
        if switch is None:
            raise InternalsUnavailable(f"{type(model).__name__} cannot switch to eager attention")
        switch("eager")
    try:
        out = model(input_ids=ids[None], use_cache=False, output_hidden_states=True, output_attentions=attentions)
    except TypeError as error:  # a model whose forward takes no such arguments
        raise InternalsUnavailable(f"{type(model).__name__} does not return its hidden states") from error
    finally:
        if attentions and before != "eager" and switch is not None:
            switch(before)
    hidden = getattr(out, "hidden_states", None)
    if not hidden:
        raise InternalsUnavailable(f"{type(model).__name__} does not return its hidden states")
    weights = getattr(out, "attentions", None) if attentions else None
    if attentions and (not weights or any(w is None for w in weights)):
        raise InternalsUnavailable(f"{type(model).__name__} does not return attention weights")
    return Internals(
        logits=out.logits[0].to(torch.float32),
        hidden_states=tuple(h[0].to(torch.float32) for h in hidden),
        attentions=tuple(w[0].to(torch.float32) for w in weights) if weights else None,
    )
