"""The one place the model is asked for logits: a request's next token, a batch's, or every position's.

Every caller gets float32 logits, copied out of the model's buffers, so sampling and the figures the
pages show never depend on the model's dtype or on a buffer the next forward pass overwrites.
Call these on the model's owner thread (`LoadedModel.run`), inside `torch.inference_mode()`.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
