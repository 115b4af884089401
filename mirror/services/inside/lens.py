"""The logit lens: what the model would predict next if it stopped after each layer.

Each layer's residual stream goes through the model's final norm and output layer, exactly the path
the last layer's output takes. The last entry is the model's own output, taken from its logits.
Only the top few tokens, the probability of one target token per position and the commitment layer
are kept: the full (layers x positions x vocabulary) probabilities would take hundreds of megabytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

TOP = 5
ROWS_PER_BLOCK = 256  # rows of (row x vocabulary) logits made at once: bounded memory for long texts

HeadFn = Callable[[torch.Tensor], torch.Tensor]  # (rows, width) residual -> (rows, vocabulary) logits


@dataclass(frozen=True)
class Lens:
    """Per layer (index 0 = embeddings, last = the model's output) and position.

    `top_ids`/`top_probs` (layers, positions, TOP), most likely first. `next_ids` (positions,) is the
    token that came next in the sequence, or the model's final top-1 at the last position (where
    nothing came yet); `next_probs` (layers, positions) is its probability at each layer, and
    `final_probs` (layers, positions) that of the final top-1.
    """

    top_ids: torch.Tensor
    top_probs: torch.Tensor
    next_ids: torch.Tensor
    next_probs: torch.Tensor
    final_probs: torch.Tensor

    @property
    def layers(self) -> int:
        return self.top_ids.shape[0]

    @property
    def positions(self) -> int:
        return self.top_ids.shape[1]

    @property
    def final_top1(self) -> torch.Tensor:
        return self.top_ids[-1, :, 0]

    def commitment(self) -> list[int]:
        """Per position, the first layer from which the final top-1 stays the top-1 up to the output."""
        agrees = self.top_ids[:, :, 0] == self.final_top1[None]  # (layers, positions)
        # Walking down from the output, the run of agreeing layers ends at the first disagreement.
        run = torch.flip(torch.cumprod(torch.flip(agrees, [0]).to(torch.int64), dim=0), [0])
        return [int(self.layers - run[:, p].sum()) for p in range(self.positions)]


def layer_logits(hidden: torch.Tensor, head: HeadFn) -> torch.Tensor:
    """(rows, vocabulary) float32 logits of residual rows `hidden` (rows, width) through norm and output layer."""
    return head(hidden).to(torch.float32)


def logit_lens(hidden_states: tuple[torch.Tensor, ...], final_logits: torch.Tensor, ids: torch.Tensor,
               head: HeadFn, top: int = TOP) -> Lens:
    """The lens of one sequence from its hidden states (layers + 1 entries of (positions, width)).

    `hidden_states[:-1]` go through `head`; the last layer is `final_logits` (positions, vocabulary),
    the model's own output, so the last lens entry is the model's distribution itself.
    """
    positions = final_logits.shape[0]
    final_top1 = final_logits.argmax(dim=-1)
    next_ids = torch.cat([ids[1:].to(final_top1.device), final_top1[-1:]])
    wanted = torch.stack([next_ids, final_top1], dim=1)  # (positions, 2)
    tops, top_ps, picked = [], [], []

    def summarise(logits: torch.Tensor, rows: slice) -> None:
        lse = torch.logsumexp(logits, dim=-1, keepdim=True)
        values, indices = torch.topk(logits, top, dim=-1)
        tops.append(indices)
        top_ps.append(torch.exp(values - lse))
        picked.append(torch.exp(logits.gather(1, wanted[rows]) - lse))

    for layer in hidden_states[:-1]:
        for start in range(0, positions, ROWS_PER_BLOCK):
            rows = slice(start, start + ROWS_PER_BLOCK)
            summarise(layer_logits(layer[rows], head), rows)
    for start in range(0, positions, ROWS_PER_BLOCK):
        rows = slice(start, start + ROWS_PER_BLOCK)
        summarise(final_logits[rows].to(torch.float32), rows)
    layers = len(hidden_states)
    shape = (layers, positions)
    chosen = torch.cat(picked).reshape(*shape, 2)
    return Lens(top_ids=torch.cat(tops).reshape(*shape, top), top_probs=torch.cat(top_ps).reshape(*shape, top),
                next_ids=next_ids, next_probs=chosen[..., 0], final_probs=chosen[..., 1])
