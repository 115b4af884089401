"""One look inside the model for one token sequence: the lens and the attention weights, computed once.

`look_inside` runs one forward pass (eager attention, hidden states) on the model's owner thread and
keeps the result per model and sequence, so moving between positions, layers and heads runs no
forward pass. A layer's whole distribution at one position is made on demand from the kept residual
stream (one row through the final norm and the output layer: no forward pass either).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mirror.engine import forward
from mirror.engine.forward import InternalsUnavailable
from mirror.engine.sampling import SamplingParams, run_pipeline
from mirror.i18n import fmt_int, t
from mirror.models import LoadedModel
from mirror.services.inside.lens import HeadFn, Lens, layer_logits, logit_lens
from mirror.services.scoring import start_token_id

LENS_MAX_TOKENS = 512  # the lens costs (layers x positions x vocabulary) multiply-adds
ATTENTION_MAX_TOKENS = 256  # attention weights take blocks x heads x positions² floats
KEPT_LOOKS = 4  # looks kept per process (each up to ~80 MB at the attention cap with the bundled model)
NORM_NAMES = ("norm", "ln_f", "final_layernorm", "norm_f")


class TooLong(ValueError):
    """The sequence is over the lens cap."""


@dataclass(frozen=True)
class Look:
    """What the model computed inside for `token_ids`, exactly the sequence it was given."""

    token_ids: tuple[int, ...]
    tokens: tuple[str, ...]
    lens: Lens
    hidden_states: tuple[torch.Tensor, ...]  # (positions, width) per layer, embeddings first
    attention: torch.Tensor | None  # (blocks, heads, positions, positions); None over ATTENTION_MAX_TOKENS

    @property
    def positions(self) -> int:
        return len(self.token_ids)

    @property
    def blocks(self) -> int:
        return len(self.hidden_states) - 1

    @property
    def heads(self) -> int:
        return 0 if self.attention is None else self.attention.shape[1]

    def attention_row(self, block: int, head: int, position: int) -> list[float]:
        """The weights position `position` gives every position up to itself in one head."""
        return self._attention()[block, head, position, : position + 1].tolist()

    def head_means(self, position: int) -> torch.Tensor:
        """(blocks, positions up to `position`) weights averaged over each block's heads."""
        return self._attention()[:, :, position, : position + 1].mean(dim=1)

    def _attention(self) -> torch.Tensor:
        if self.attention is None:
            raise TooLong(t("inside.svc.attention_cap", cap=ATTENTION_MAX_TOKENS, count=self.positions))
        return self.attention

    def to_json(self) -> dict[str, Any]:
        """The `python -m mirror inside --json` object: the sequence, the lens top-5 per layer and position,
        and the last position's attention over all positions per block and head."""
        lens = [[[[int(i), float(p)] for i, p in zip(ids, probs)] for ids, probs in zip(layer_ids, layer_probs)]
                for layer_ids, layer_probs in zip(self.lens.top_ids.tolist(), self.lens.top_probs.tolist())]
        attention = None if self.attention is None else self.attention[:, :, -1, :].tolist()
        return {"token_ids": list(self.token_ids), "lens": lens, "attention": attention}


def document_ids(lm: LoadedModel, text: str) -> list[int]:
    """A plain text as the model is shown it here: the document-start token (as the Token Inspector scores
    a text), then the text's tokens."""
    if not text.strip():
        raise ValueError(t("inside.svc.text_empty"))
    start = start_token_id(lm.tokenizer)
    return ([start] if start is not None else []) + lm.encode(text)


def output_head(model: Any) -> HeadFn:
    """The final norm followed by the output layer: what the last block's output goes through."""
    base = getattr(model, "base_model", None)
    norm = next((getattr(base, name) for name in NORM_NAMES if isinstance(getattr(base, name, None), torch.nn.Module)),
                None)
    unembed = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if norm is None or unembed is None:
        raise InternalsUnavailable(t("inside.svc.no_head", name=type(model).__name__))
    return lambda hidden: unembed(norm(hidden))



def check_reachable(lm: LoadedModel) -> None:
    """Raise InternalsUnavailable with a reader's reason when this model's insides cannot be read."""
    if not lm.info.runtime.startswith("torch"):  # torch, torch-bf16
        raise InternalsUnavailable(t("inside.svc.native", runtime=lm.info.runtime))
    if not isinstance(lm.model, torch.nn.Module):
        raise InternalsUnavailable(t("inside.svc.no_hidden", name=type(lm.model).__name__))
    output_head(lm.model)


# Per (model, sequence). The model is held weakly and checked: a freed model's id() can be reused by the next.
_kept: OrderedDict[tuple[int, tuple[int, ...]], tuple[weakref.ref, Look]] = OrderedDict()
_kept_lock = threading.Lock()


def look_inside(lm: LoadedModel, ids: Sequence[int]) -> Look:
    """The lens and attention of `ids`, from one forward pass (or from the kept looks)."""
    ids = tuple(int(i) for i in ids)
    if not ids:
        raise ValueError(t("inside.svc.no_tokens"))
    if len(ids) > LENS_MAX_TOKENS:
        raise TooLong(t("inside.svc.lens_cap", cap=LENS_MAX_TOKENS, count=len(ids)))
    if len(ids) > lm.context_length:
        raise TooLong(t("inside.svc.window", cap=lm.context_length, count=len(ids)))
    key = (id(lm.model), ids)
    with _kept_lock:
        if key in _kept and _kept[key][0]() is lm.model:
            _kept.move_to_end(key)
            return _kept[key][1]
    check_reachable(lm)
    _check_vocabulary(lm, ids)
    look = lm.run(_compute, lm, ids)
    with _kept_lock:
        _kept[key] = (weakref.ref(lm.model), look)
        while len(_kept) > KEPT_LOOKS:
            _kept.popitem(last=False)
    return look


def _check_vocabulary(lm: LoadedModel, ids: tuple[int, ...]) -> None:
    """Token ids of another model's vocabulary would index past the embedding table."""
    rows = lm.model.get_input_embeddings().num_embeddings
    outside = [i for i in ids if not 0 <= i < rows]
    if outside:
        raise ValueError(t("inside.svc.vocabulary", id=outside[0], size=fmt_int(rows)))


def _compute(lm: LoadedModel, ids: tuple[int, ...]) -> Look:
    model = lm.model
    tensor = torch.tensor(ids, dtype=torch.long, device=lm.device)
    with torch.inference_mode():
        inside = forward.internals(model, tensor, attentions=len(ids) <= ATTENTION_MAX_TOKENS)
        lens = logit_lens(inside.hidden_states, inside.logits, tensor, output_head(model))
    attention = torch.stack(inside.attentions) if inside.attentions is not None else None
    return Look(token_ids=ids, tokens=tuple(lm.token_strings(list(ids))), lens=lens,
                hidden_states=inside.hidden_states, attention=attention)


def layer_probs(lm: LoadedModel, look: Look, layer: int, position: int) -> torch.Tensor:
    """(vocabulary,) probabilities the lens gives at one layer and position (the last layer: the model's own)."""
    logits = _layer_position_logits(lm, look, layer, position)
    return torch.softmax(logits, dim=-1)


def _layer_position_logits(lm: LoadedModel, look: Look, layer: int, position: int) -> torch.Tensor:
    if not 0 <= layer < len(look.hidden_states) or not 0 <= position < look.positions:
        raise ValueError(t("inside.svc.outside", layer=layer, position=position))

    def compute() -> torch.Tensor:
        row = look.hidden_states[layer][position : position + 1]
        with torch.inference_mode():
            if layer == len(look.hidden_states) - 1:
                # The last hidden state already went through the final norm: only the output layer is left.
                return lm.model.get_output_embeddings()(row)[0].to(torch.float32)
            return layer_logits(row, output_head(lm.model))[0]

    return lm.run(compute)


@dataclass(frozen=True)
class Survival:
    """Whether a token would have survived the sampler had the model stopped at one layer."""

    layer: int
    position: int
    token_id: int
    raw_prob: float  # the lens probability at that layer
    rank: int  # 1 = the layer's top-1
    sampler_prob: float  # after repetition penalty, temperature, top-k and top-p
    kept: int  # how many tokens the sampler leaves a chance
    survived: bool


def survival(lm: LoadedModel, look: Look, layer: int, position: int, token_id: int,
             params: SamplingParams) -> Survival:
    """Run one layer's lens distribution through the sampler settings: does `token_id` keep a chance?"""
    logits = _layer_position_logits(lm, look, layer, position)
    history = torch.tensor(look.token_ids[: position + 1], dtype=torch.long)
    stages = run_pipeline(history, logits, params, protected_ids=lm.end_ids)
    final = stages.probs[0]
    raw = torch.softmax(logits, dim=-1)
    rank = int((logits > logits[token_id]).sum()) + 1
    return Survival(layer=layer, position=position, token_id=token_id, raw_prob=float(raw[token_id]), rank=rank,
                    sampler_prob=float(final[token_id]), kept=int((final > 0).sum()),
                    survived=bool(final[token_id] > 0))


def forget_looks() -> None:
    """Drop the kept looks (tests; a model reload)."""
    with _kept_lock:
        _kept.clear()
