"""The float32 linear-layer layout for CPU decoding, chosen once per machine by timing and then kept.

During decoding a linear layer multiplies a handful of rows (one per request in the batch) by its
weight. `torch.nn.functional.linear(x, W)` computes `x @ W.T`; the same product can be written as
`(W @ x.T).T` with at least two columns. Which of the two BLAS calls is faster depends on the CPU and
its BLAS: on some of this project's machines (AMD EPYC, OpenBLAS-style kernels) the stock call takes
a slow matrix-vector path and the second is much faster; on others (Intel Xeon with MKL) it is the
other way round (figures per CPU: README, "Speed"). A trick tuned to one CPU halves the speed on the
other, so nothing is assumed: `choose_layout` times both through the model's own layers, for the row
counts decoding uses, and patches the layers only for the row counts where the second call clearly wins.

The two calls sum in different orders, so they give logits that differ in the last bits. A model
must compute bit-identical logits on every load on one machine (in one process or several, after
any thread-count history), and timings are noisy enough to flip the verdict from one measurement to
the next. So the verdict is measured once per machine and kept: in this process's memo and in the
cache folder (`linear-layout/<key>.json`), under a key of this CPU (model and flags), torch's version
and build (its BLAS), the platform and the model's weight shapes, never the thread count of the
moment. The first verdict written wins; every later load, in any process, reads it. (The thread count
changes the sums as well, which is why `loaders.py` gives the model's owner thread this machine's count.)

`MIRROR_LINEAR_LAYOUT=auto|stock|gemm` overrides the choice (auto by default).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import platform
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import torch

from mirror.config import Settings
from mirror.i18n import Language, fmt_number, t, tn
from mirror.models.machine import cpu_description

LAYOUTS = ("auto", "stock", "gemm")
ROW_COUNTS = (1, 4, 16, 32)  # one request, a few, half a class, a full batch: what a decode step multiplies
MAX_ROWS = 256  # with the layout forced, prefill of a long prompt still keeps the stock call
CLEAR_WIN = 0.95  # gemm must take less than this share of the stock time: a near tie keeps the stock call
VERDICT_FORMAT = 1
log = logging.getLogger("mirror")


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


def time_layouts(weights: list[torch.Tensor], rows: int, repeats: int = 4) -> tuple[float, float]:
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
    """What `choose_layout` measured (or read from the kept verdict) and decided."""

    layout: str  # "stock" (no layer touched) or "gemm" (for the row counts in gemm_rows)
    gemm_rows: tuple[int, ...]  # measured row counts where gemm is used (and the counts they stand for)
    reason: str  # what was chosen and why, with the figures (in English: `describe` says it in any language)
    step_ms: dict[int, tuple[float, float]] = field(default_factory=dict)  # rows -> (stock, gemm) per step
    seconds: float = 0.0  # how long the measurement took
    why: str = "auto"  # "auto" (timed), "setting" (MIRROR_LINEAR_LAYOUT) or "no_layers"
    cached: bool = False  # the verdict kept for this machine was used; False: measured by this load

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
        seconds = _ms(self.seconds, language)
        measured = (t("home.speed.kept", language, figures=figures, seconds=seconds) if self.cached else
                    t("home.speed.measured", language, figures=figures, seconds=seconds))
        if self.layout == "stock":
            return t("home.speed.auto_stock", language, measured=measured)
        if self.gemm_rows == ROW_COUNTS:
            return t("home.speed.auto_gemm_all", language, measured=measured)
        counts = ", ".join(_bucket_words(rows) for rows in self.gemm_rows)
        return t("home.speed.auto_gemm_some", language, counts=counts, measured=measured)


def _ms(value: float, language: Language | None) -> str:
    return fmt_number(value, 1, language, group=False)


def _choice(layout: str, gemm_rows: tuple[int, ...], step_ms: dict[int, tuple[float, float]] | None = None,
            seconds: float = 0.0, why: str = "auto", cached: bool = False) -> LayoutChoice:
    choice = LayoutChoice(layout, gemm_rows, "", step_ms or {}, seconds, why, cached)
    choice.reason = choice.describe("en")
    return choice


# --- the verdict, measured once per machine and kept ----------------------------------------------

Timer = Callable[[list[torch.Tensor], int], tuple[float, float]]
Folder = Path | None | Literal["default"]


@dataclass(frozen=True)
class Verdict:
    """One machine's measurement for one set of weight shapes, and the row counts it gives to gemm."""

    step_ms: dict[int, tuple[float, float]]  # rows -> (stock, gemm) milliseconds per decode step
    seconds: float  # how long the measurement took
    threads: int  # torch's thread count when it was measured (for information: not part of the key)
    gemm_rows: tuple[int, ...]
    cached: bool = False  # read back (from the memo or the folder) rather than measured just now


_MEMO: dict[str, Verdict] = {}
_MEMO_LOCK = threading.Lock()  # also keeps two loads from measuring at once and disturbing each other's timings


def forget_measurements() -> None:
    """Clear this process's memo, as if the process were new (the kept files stay)."""
    with _MEMO_LOCK:
        _MEMO.clear()


@functools.cache
def _machine_facts() -> dict[str, str]:
    return {"cpu": cpu_description(), "torch": torch.__version__,
            "build": hashlib.sha256(torch.__config__.show().encode()).hexdigest()[:16],  # its BLAS and build flags
            "platform": f"{platform.system()} {platform.machine()}"}


def verdict_key(layers: list[torch.nn.Linear]) -> str:
    """What a verdict holds for: this machine, its torch build and the weight shapes in model order."""
    return json.dumps({"format": VERDICT_FORMAT, **_machine_facts(), "row_counts": ROW_COUNTS,
                       "shapes": [list(m.weight.shape) for m in layers]}, sort_keys=True)


def verdict_path(folder: Path, key: str) -> Path:
    return folder / "linear-layout" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _measure(weights: list[torch.Tensor], timer: Timer) -> Verdict:
    started = time.perf_counter()
    step_ms: dict[int, tuple[float, float]] = {}
    for rows in ROW_COUNTS:
        stock, fast = timer(weights, rows)
        step_ms[rows] = (stock * 1e3, fast * 1e3)
    gemm_rows = tuple(rows for rows, (s, g) in step_ms.items() if g < CLEAR_WIN * s)
    return Verdict(step_ms, time.perf_counter() - started, torch.get_num_threads(), gemm_rows)


def read_verdict(path: Path, key: str) -> Verdict:
    """The verdict kept at `path`; raises OSError (FileNotFoundError when there is none) or ValueError."""
    try:
        data = json.loads(path.read_text())
        if data["format"] != VERDICT_FORMAT or data["key"] != key:
            raise ValueError("kept for another format or key")
        step_ms = {rows: (float(data["step_ms"][str(rows)][0]), float(data["step_ms"][str(rows)][1]))
                   for rows in ROW_COUNTS}
        gemm_rows = tuple(int(rows) for rows in data["gemm_rows"])
        if not set(gemm_rows) <= set(ROW_COUNTS):
            raise ValueError(f"row counts {gemm_rows} are not among {ROW_COUNTS}")
        return Verdict(step_ms, float(data["seconds"]), int(data["threads"]), gemm_rows, cached=True)
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError(f"not a verdict: {error!r}") from error


def keep_verdict(path: Path, key: str, verdict: Verdict, overwrite: bool = False) -> Verdict:
    """Write `verdict` to `path` unless another process got there first; returns the verdict to use.

    The file is written whole under a temporary name and then hard-linked into place, which fails when
    `path` exists: of processes started at once, the first verdict written wins and all use it.
    `overwrite` replaces what is there (a corrupt file). Raises OSError when the folder is not writable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": VERDICT_FORMAT, "key": key, "step_ms": {str(r): list(ms) for r, ms in verdict.step_ms.items()},
            "threads": verdict.threads, "seconds": verdict.seconds, "gemm_rows": list(verdict.gemm_rows)}
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(data, out)
        if overwrite:
            os.replace(temp, path)
            return verdict
        try:
            os.link(temp, path)
            return verdict
        except FileExistsError:
            return read_verdict(path, key)  # another process won: use theirs
    finally:
        Path(temp).unlink(missing_ok=True)


def verdict_for(key: str, weights: list[torch.Tensor], timer: Timer, folder: Path | None) -> Verdict:
    """What one process does without its memo: the verdict kept in `folder`, else a measurement, kept there."""
    path = verdict_path(folder, key) if folder is not None else None
    overwrite = False
    if path is not None:
        try:
            return read_verdict(path, key)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as error:
            log.warning("linear layout: the kept verdict %s is unreadable (%s); measuring again", path, error)
            overwrite = True
    verdict = _measure(weights, timer)
    if path is None:
        return verdict
    try:
        return keep_verdict(path, key, verdict, overwrite)
    except (OSError, ValueError) as error:
        log.warning("linear layout: cannot keep the verdict in %s (%s); only this process will reuse it",
                    path.parent, error)
        return verdict


def choose_layout(model: Any, setting: str = "auto", timer: Timer = time_layouts,
                  folder: Folder = "default") -> LayoutChoice:
    """Patch the float32 linear layers of `model` to use gemm for the row counts where this machine's
    verdict says it is faster; where it never is, touch nothing.

    The verdict comes from this process's memo, else from `folder` ("default": the cache folder of
    the settings, None: the memo only), else it is measured with `timer` and kept in both."""
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

    if folder == "default":
        folder = Settings.from_env().cache_dir
    key = verdict_key(layers)
    with _MEMO_LOCK:
        verdict = _MEMO.get(key)
        if verdict is None:
            verdict = verdict_for(key, [m.weight.detach() for m in layers], timer, folder)
            _MEMO[key] = replace(verdict, cached=True)
    if not verdict.gemm_rows:
        return _choice("stock", (), verdict.step_ms, verdict.seconds, cached=verdict.cached)
    use_gemm_layout(model, _rows_rule(frozenset(verdict.gemm_rows)))
    return _choice("gemm", verdict.gemm_rows, verdict.step_ms, verdict.seconds, cached=verdict.cached)


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
