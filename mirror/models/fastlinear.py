"""The float32 linear-layer layout for CPU decoding, chosen by timing both on this machine.

During decoding a linear layer multiplies a handful of rows (one per request in the batch) by its
weight. `torch.nn.functional.linear(x, W)` computes `x @ W.T`; the same product can be written as
`(W @ x.T).T` with at least two columns. Which of the two BLAS calls is faster depends on the CPU and
its BLAS: on some of this project's machines (AMD EPYC, OpenBLAS-style kernels) the stock call takes
a slow matrix-vector path and the second is much faster; on others (Intel Xeon with MKL) it is the
other way round (figures per CPU: README, "Speed"). A trick tuned to one CPU halves the speed on the other, so nothing is assumed:
`choose_layout` times both through the model's own layers at load time, on the thread that will
run the model, for the row counts decoding uses, and patches the layers only for the row counts
where the second call clearly wins. Either way the arithmetic is float32: logits differ from the stock
layer's by summation order only (the quality gate in `bench/runtimes.py` measures it).

`MIRROR_LINEAR_LAYOUT=auto|stock|gemm` overrides the choice (auto by default).
"""

from __future__ import annotations

import functools
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from mirror.i18n import Language, fmt_number, t, tn

LAYOUTS = ("auto", "stock", "gemm")
ROW_COUNTS = (1, 4, 16, 32)  # one request, a few, half a class, a full batch: what a decode step multiplies
MAX_ROWS = 256  # with the layout forced, prefill of a long prompt still keeps the stock call
CLEAR_WIN = 0.95  # gemm must take less than this share of the stock time: a near tie keeps the stock call


def gemm(weight: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    count = rows.shape[0]
    if count == 1:  # one column would fall back to the matrix-vector path again
        rows = torch.cat([rows, rows])
    return (weight @ rows.T).T[:count]


def _gemm_forward(self: torch.nn.Linear, x: torch.Tensor, use_gemm: Callable[[int], bool]) -> torch.Tensor:
    rows = x.reshape(-1, x.shape[-1])
    if x.dtype != torch.float32 or not use_gemm(rows.shape[0]):
        return torch.nn.functional.linear(x, self.weight, self.bias)
    out = gemm(self.weight, rows)
    if self.bias is not None:
        out = out + self.bias
    return out.reshape(*x.shape[:-1], out.shape[-1])


def _rows_rule(faster: frozenset[int]) -> Callable[[int], bool]:
    """Use gemm for `count` rows when it won at the smallest measured row count >= count (counts above
    the largest measured one, i.e. prefill, keep the stock call unless gemm was forced)."""
    def rule(count: int) -> bool:
        bucket = next((m for m in ROW_COUNTS if m >= count), None)
        return bucket is not None and bucket in faster
    return rule


def _cpu_float32_linears(model: Any) -> list[torch.nn.Linear]:
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.weight.device.type == "cpu"
            and m.weight.dtype == torch.float32]


def use_gemm_layout(model: Any, rows: Callable[[int], bool] = lambda count: count <= MAX_ROWS) -> int:
    """Give every float32 CPU `nn.Linear` the `(W @ x.T).T` call for the row counts `rows` accepts;
    returns how many layers were changed."""
    layers = _cpu_float32_linears(model)
    for module in layers:
        module.forward = types.MethodType(functools.partial(_gemm_forward, use_gemm=rows), module)
    return len(layers)


def time_layouts(weights: list[torch.Tensor], rows: int, repeats: int = 2) -> tuple[float, float]:
    """(stock seconds, gemm seconds) for `rows` rows through every weight in model order, as one decode
    step streams them: a single weight timed again and again would sit in the cache and mislead, since
    decoding reads the whole model from memory each step. The best of `repeats` passes each (the first
    doubles as the warm-up), taken in turns so that other work on the machine hits both alike."""
    inputs = {w.shape[1]: torch.randn(rows, w.shape[1], dtype=w.dtype) for w in weights}
    passes = (lambda: [torch.nn.functional.linear(inputs[w.shape[1]], w) for w in weights],
              lambda: [gemm(w, inputs[w.shape[1]]) for w in weights])
    best = [float("inf"), float("inf")]
    with torch.inference_mode():
        for _ in range(repeats):
            for k, run in enumerate(passes):
                start = time.perf_counter()
                run()
                best[k] = min(best[k], time.perf_counter() - start)
    return best[0], best[1]


@dataclass
class LayoutChoice:
    """What `choose_layout` measured and decided."""

    layout: str  # "stock" (no layer touched) or "gemm" (for the row counts in gemm_rows)
    gemm_rows: tuple[int, ...]  # measured row counts where gemm is used (and the counts they stand for)
    reason: str  # what was chosen and why, with the figures (in English: `describe` says it in any language)
    step_ms: dict[int, tuple[float, float]] = field(default_factory=dict)  # rows -> (stock, gemm) per step
    seconds: float = 0.0  # how long the measurement took
    why: str = "auto"  # "auto" (timed), "setting" (MIRROR_LINEAR_LAYOUT) or "no_layers"

    def summary(self, language: Language | None = "en") -> str:
        """The choice in one line, as the model card and `mirror info` show it (English unless asked)."""
        return t("home.speed.layout", language, reason=self.describe(language))

    def describe(self, language: Language | None = "en") -> str:
        """`reason` in `language`."""
        if self.why == "no_layers":
            return t("home.speed.no_layers", language)
        if self.why == "setting":
            return t(f"home.speed.forced_{self.layout}", language)
        figures = ", ".join(t("home.speed.figure", language, rows=tn("home.speed.rows", rows, language),
                              stock=_ms(s, language), gemm=_ms(g, language)) for rows, (s, g) in self.step_ms.items())
        measured = t("home.speed.measured", language, figures=figures, seconds=_ms(self.seconds, language))
        if self.layout == "stock":
            return t("home.speed.auto_stock", language, measured=measured)
        if self.gemm_rows == ROW_COUNTS:
            return t("home.speed.auto_gemm_all", language, measured=measured)
        counts = ", ".join(_bucket_words(rows) for rows in self.gemm_rows)
        return t("home.speed.auto_gemm_some", language, counts=counts, measured=measured)


def _ms(value: float, language: Language | None) -> str:
    return fmt_number(value, 1, language, group=False)


def _choice(layout: str, gemm_rows: tuple[int, ...], step_ms: dict[int, tuple[float, float]] | None = None,
            seconds: float = 0.0, why: str = "auto") -> LayoutChoice:
    choice = LayoutChoice(layout, gemm_rows, "", step_ms or {}, seconds, why)
    choice.reason = choice.describe("en")
    return choice


Timer = Callable[[list[torch.Tensor], int], tuple[float, float]]
_MEASURED: dict[tuple[Any, ...], tuple[dict[int, tuple[float, float]], float]] = {}


def choose_layout(model: Any, setting: str = "auto", timer: Timer = time_layouts) -> LayoutChoice:
    """Time both calls through all float32 linear layers of `model` for each of ROW_COUNTS, and patch
    the layers to use gemm for the row counts where it is faster; where it never is, touch nothing."""
    if setting not in LAYOUTS:
        raise ValueError(f"MIRROR_LINEAR_LAYOUT must be one of {', '.join(LAYOUTS)}, got {setting!r}")
    layers = _cpu_float32_linears(model)
    if not layers:
        return _choice("stock", (), why="no_layers")
    if setting == "stock":
        return _choice("stock", (), why="setting")
    if setting == "gemm":
        use_gemm_layout(model)
        return _choice("gemm", ROW_COUNTS, why="setting")

    # One measurement per process and set of weight shapes: a second load of the same model (the app's
    # cache, a test's own copy) must make the same choice, so both compute exactly the same numbers.
    key = (tuple(tuple(m.weight.shape) for m in layers), torch.get_num_threads(), timer)
    if key not in _MEASURED:
        started = time.perf_counter()
        weights = [m.weight.detach() for m in layers]
        figures_ms = {rows: tuple(seconds * 1e3 for seconds in timer(weights, rows)) for rows in ROW_COUNTS}
        _MEASURED[key] = (figures_ms, time.perf_counter() - started)
    step_ms, seconds = _MEASURED[key]
    faster = tuple(rows for rows, (s, g) in step_ms.items() if g < CLEAR_WIN * s)
    if not faster:
        return _choice("stock", (), step_ms, seconds)
    use_gemm_layout(model, _rows_rule(frozenset(faster)))
    return _choice("gemm", faster, step_ms, seconds)


def _bucket_words(rows: int) -> str:
    """The row counts the measured count `rows` stands for (see `_rows_rule`), e.g. "9-16"."""
    below = [m for m in ROW_COUNTS if m < rows]
    low = (below[-1] + 1) if below else 1
    return str(rows) if low == rows else f"{low}-{rows}"


@contextmanager
def stock_layout(model: Any) -> Iterator[None]:
    """Temporarily restore the stock linear layers (the benchmark's raw transformers baseline)."""
    patched = {m: vars(m)["forward"] for m in model.modules() if isinstance(m, torch.nn.Linear) and "forward" in vars(m)}
    for module in patched:
        del module.forward
    try:
        yield
    finally:
        for module, forward in patched.items():
            module.forward = forward
