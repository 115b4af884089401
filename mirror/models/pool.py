"""The model pool: every model in use loaded once per process, shared by every face and session.

Each pooled model is a `LoadedModel`, so it keeps its own owner thread and its own scheduler, and the
sessions on one model are stepped together in one batch. The pool adds what one cached model per
process could not give:

- a visitor choosing a model never unloads a model another session is using;
- the weights in memory have a budget (MIRROR_MODEL_MEMORY_MB); past it, a model nobody is using is
  evicted, least recently used first, and where none can go the request is refused with a message
  that names the budget and the setting;
- sessions asking for the same model at once cause one load and wait for it; a failed load gives its
  error to every waiting session and is forgotten (the next ask tries again);
- the operator decides the models visitors may use (`offer`).

Who uses a model: the *holders* that asked for it (a Streamlit session, a session's Inside copy). A
holder holds one model at a time, so asking for another moves its hold. A holder stops counting once
`alive` says its session is gone or it has not asked for `idle_seconds`. A model with requests in its
scheduler is in use whoever holds it.
"""

from __future__ import annotations

import json
import logging
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from mirror.config import Settings
from mirror.i18n import phrase
from mirror.models.loaded import LoadedModel
from mirror.models.loaders import load_model
from mirror.models.resolve import ModelLoadError, ModelSpec, resolve_model

MB = 2**20
DEFAULT_IDLE_SECONDS = 30 * 60.0  # a holder that has not asked for this long no longer keeps its model
log = logging.getLogger("mirror")


class ModelNotOffered(ModelLoadError):
    """A visitor asked for a model the operator (or the teacher) did not offer."""


class OverBudget(ModelLoadError):
    """A model does not fit the pool's memory budget beside the models in use."""


@dataclass(frozen=True)
class PoolKey:
    """What makes two loads the same model: where it comes from and how it runs."""

    kind: str
    location: str
    runtime: str
    device: str | None
    dtype: str | None


@dataclass
class _Entry:
    key: PoolKey
    name: str
    loaded: "Future[LoadedModel]" = field(default_factory=Future)
    holders: dict[str, float] = field(default_factory=dict)  # holder -> when it last asked
    last_used: float = 0.0
    bytes: int = 0  # the weights' memory once loaded


@dataclass(frozen=True)
class PooledModel:
    """One model in the pool, for the model card and `mirror info`."""

    name: str
    runtime: str
    megabytes: float
    holders: int
    running: int  # requests its scheduler is stepping or holding in its queue
    loading: bool
    seconds_idle: float


def weight_bytes(model: Any) -> int:
    """Memory a loaded model's weights take: each torch storage once (tied weights share one), or the
    size of the file a native runtime maps."""
    if isinstance(model, torch.nn.Module):
        seen: dict[int, int] = {}
        for tensor in [*model.parameters(), *model.buffers()]:
            storage = tensor.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
        return sum(seen.values())
    path = getattr(model, "gguf_path", None)
    if path and Path(path).is_file():
        return Path(path).stat().st_size
    return int(getattr(model, "n_params", 0)) * 2


DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def estimated_bytes(spec: ModelSpec, element_bytes: int) -> int | None:
    """Memory a local folder's safetensors weights will take as `element_bytes`-sized floats, read from
    the files' headers without loading them; None when it cannot be told before loading."""
    if spec.kind != "local":
        return None
    total = 0
    for file in Path(spec.location).glob("*.safetensors"):
        try:
            with open(file, "rb") as handle:
                (length,) = struct.unpack("<Q", handle.read(8))
                header = json.loads(handle.read(min(length, 100 * MB)))
        except (OSError, ValueError, struct.error):
            return None
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            count = 1
            for size in entry.get("shape", []):
                count *= int(size)
            floating = entry.get("dtype", "F32") in ("F64", "F32", "F16", "BF16")
            total += count * (element_bytes if floating else DTYPE_BYTES.get(entry.get("dtype"), 4))
    return total or None


def _broke(name: str, error: Exception) -> ModelLoadError:
    """A load that failed halfway with a library's own exception, said as one clear line."""
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    broke = ModelLoadError(phrase("models.pool.load_broke", name=name, detail=detail))
    broke.__cause__ = error
    return broke


class ModelPool:
    """Models by name, each loaded once, under a memory budget; thread-safe."""

    def __init__(self, loader: Callable[..., LoadedModel] = load_model,
                 settings: Callable[[], Settings] = Settings.from_env,
                 alive: Callable[[str], bool] | None = None, idle_seconds: float = DEFAULT_IDLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self._loader = loader
        self._settings = settings
        self.alive = alive  # the face sets it: whether a holder's session is still open
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[PoolKey, _Entry] = {}
        self._held: dict[str, PoolKey] = {}  # holder -> the model it holds
        self._sizes: dict[PoolKey, int] = {}  # what a model took when last loaded: its next load's estimate
        self._added: set[tuple[str, str]] = set()  # models the teacher added for visitors (kind, location)
        self.loads = 0  # loads started, for tests and `mirror info`

    # --- what visitors may use ---------------------------------------------------------------------

    @property
    def budget_bytes(self) -> int:
        return self._settings().model_memory_mb * MB

    def offered(self) -> tuple[str, ...]:
        """The models visitors may choose: the operator's list and any the teacher added."""
        return self._settings().models + tuple(sorted(location for _, location in self._added))

    def is_offered(self, name: str) -> bool:
        settings = self._settings()
        if settings.allow_any_model or name.strip() in settings.models:
            return True
        try:
            wanted = resolve_model(name)
        except ModelLoadError:
            return False
        if (wanted.kind, wanted.location) in self._added:
            return True
        for offered in settings.models:
            try:
                spec = resolve_model(offered)
            except ModelLoadError:
                continue
            if (spec.kind, spec.location) == (wanted.kind, wanted.location):
                return True
        return False

    def offer(self, name: str, holder: str | None = None) -> LoadedModel:
        """Load `name` and offer it to visitors from now on (what the teacher may do); raises ModelLoadError."""
        lm = self.get(name, holder=holder)
        spec = resolve_model(name)
        with self._lock:
            self._added.add((spec.kind, spec.location))
        return lm

    def withdraw(self, name: str) -> None:
        """No longer offer a model the teacher added (it stays loaded while in use)."""
        spec = resolve_model(name)
        with self._lock:
            self._added.discard((spec.kind, spec.location))

    # --- getting a model -----------------------------------------------------------------------------

    def get(self, name: str | None = None, *, runtime: str | None = None, device: str | None = None,
            dtype: str | None = None, holder: str | None = None, visitor: bool = False) -> LoadedModel:
        """The model `name` (the settings' model by default), loading it once however many ask at once.

        `holder` marks who uses it (it then stays while they do); `visitor` checks it was offered.
        Raises ModelLoadError (ModelNotOffered, OverBudget, or why it could not be found or loaded).
        """
        settings = self._settings()
        name = name if name is not None else settings.model
        if visitor and not self.is_offered(name):
            raise ModelNotOffered(phrase("models.pool.not_offered", name=name, offered=", ".join(self.offered())))
        spec = resolve_model(name)
        key = self._key(spec, runtime, device, dtype)
        with self._lock:
            entry = self._entries.get(key)
            loader = entry is None
            if loader:
                entry = self._entries[key] = _Entry(key, spec.name)
                self.loads += 1
            self._hold(entry, holder)
            if loader:
                try:
                    self._make_room(entry, self._sizes.get(key) or estimated_bytes(spec, 4))
                except OverBudget as refused:
                    self._drop(entry)
                    entry.loaded.set_exception(refused)
                    raise
        if loader:
            self._load(entry, name, runtime, device, dtype)
        return entry.loaded.result()

    def _key(self, spec: ModelSpec, runtime: str | None, device: str | None, dtype: str | None) -> PoolKey:
        return PoolKey(spec.kind, spec.location, (runtime or self._settings().runtime).lower(), device, dtype)

    def _load(self, entry: _Entry, name: str, runtime: str | None, device: str | None, dtype: str | None) -> None:
        try:
            lm = self._loader(name, device=device, dtype=dtype, runtime=runtime)
        except BaseException as error:  # every waiting session gets the error; nothing broken is kept
            with self._lock:
                self._drop(entry)
            entry.loaded.set_exception(error if isinstance(error, ModelLoadError) or not isinstance(error, Exception)
                                       else _broke(entry.name, error))
            return
        size = weight_bytes(lm.model)
        with self._lock:
            entry.bytes = self._sizes[entry.key] = size
            try:
                self._make_room(entry, size)
            except OverBudget as refused:
                self._drop(entry)
                lm.close()
                entry.loaded.set_exception(refused)
                return
        entry.loaded.set_result(lm)

    def release(self, holder: str) -> None:
        """`holder` no longer uses its model (its session ended)."""
        with self._lock:
            key = self._held.pop(holder, None)
            if key in self._entries:
                self._entries[key].holders.pop(holder, None)

    # --- what is loaded ------------------------------------------------------------------------------

    def loaded(self) -> list[PooledModel]:
        """The models in the pool, most recently used first."""
        now = self._clock()
        with self._lock:
            entries = sorted(self._entries.values(), key=lambda e: e.last_used, reverse=True)
            return [PooledModel(e.name, e.key.runtime, e.bytes / MB, len(self._live_holders(e, now)),
                                self._queued(e), not e.loaded.done(), now - e.last_used) for e in entries]

    def describe(self) -> dict[str, Any]:
        """The pool as plain data: its models, the memory they take, and the budget (`mirror info --json`)."""
        models = [asdict(m) for m in self.loaded()]
        return {"models": models, "used_megabytes": self.used_bytes() / MB, "budget_megabytes": self.budget_bytes / MB}

    def used_bytes(self) -> int:
        with self._lock:
            return sum(e.bytes for e in self._entries.values())

    def unload(self, name: str | None = None, *, runtime: str | None = None, device: str | None = None,
               dtype: str | None = None) -> bool:
        """Unload one model now, whoever holds it (tests; an operator's reset); False if it was not loaded."""
        spec = resolve_model(name if name is not None else self._settings().model)
        with self._lock:
            entry = self._entries.get(self._key(spec, runtime, device, dtype))
            if entry is None or not entry.loaded.done():
                return False
            self._drop(entry)
        if entry.loaded.exception() is None:
            entry.loaded.result().close()
        return True

    def clear(self) -> None:
        """Unload every model (tests; an operator's reset)."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
            self._held.clear()
        for entry in entries:
            if entry.loaded.done() and entry.loaded.exception() is None:
                entry.loaded.result().close()

    # --- under the lock --------------------------------------------------------------------------------

    def _hold(self, entry: _Entry, holder: str | None) -> None:
        now = self._clock()
        entry.last_used = now
        if holder is None:
            return
        previous = self._held.get(holder)
        if previous is not None and previous != entry.key and previous in self._entries:
            self._entries[previous].holders.pop(holder, None)
        self._held[holder] = entry.key
        entry.holders[holder] = now

    def _live_holders(self, entry: _Entry, now: float) -> list[str]:
        return [h for h, seen in entry.holders.items()
                if now - seen < self.idle_seconds and (self.alive is None or self.alive(h))]

    @staticmethod
    def _queued(entry: _Entry) -> int:
        if not entry.loaded.done() or entry.loaded.exception() is not None:
            return 0
        scheduler = entry.loaded.result().scheduler
        return scheduler.running + scheduler.waiting

    def _in_use(self, entry: _Entry, now: float) -> bool:
        return not entry.loaded.done() or bool(self._live_holders(entry, now)) or self._queued(entry) > 0

    def _make_room(self, entry: _Entry, needed: int | None) -> None:
        """Evict idle models, least recently used first, until `needed` more bytes fit; else OverBudget."""
        if needed is None:
            return  # not known before loading: checked again once loaded
        budget, now = self.budget_bytes, self._clock()
        others = [e for e in self._entries.values() if e is not entry]
        used = sum(e.bytes for e in others)
        if used + needed <= budget:
            return
        idle = sorted((e for e in others if not self._in_use(e, now)), key=lambda e: e.last_used)
        if needed > budget or used - sum(e.bytes for e in idle) + needed > budget:
            in_use = [f"{e.name} ({e.bytes / MB:.0f} MB)" for e in others if self._in_use(e, now)]
            raise OverBudget(phrase("models.pool.over_budget", name=entry.name, size=f"{needed / MB:.0f}",
                                    budget=f"{budget / MB:.0f}", in_use=", ".join(in_use) or "-"))
        for victim in idle:
            if used + needed <= budget:
                break
            log.info("model pool: unloading %s (%.0f MB, idle) to make room for %s", victim.name, victim.bytes / MB,
                     entry.name)
            used -= victim.bytes
            self._drop(victim)
            victim.loaded.result().close()

    def _drop(self, entry: _Entry) -> None:
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]
        for holder in list(entry.holders):
            if self._held.get(holder) == entry.key:
                del self._held[holder]


_shared: ModelPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> ModelPool:
    """The process's one pool: the Streamlit pages, the CLI, the benchmarks and the tests all use it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ModelPool()
        return _shared
