"""The model pool: each model once, one load for many askers, a memory budget, and only offered models for visitors."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from mirror.config import Settings
from mirror.models import ModelLoadError, wrap_model
from mirror.models.pool import MB, ModelNotOffered, ModelPool, OverBudget, estimated_bytes, weight_bytes
from mirror.models.resolve import resolve_model


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeLoader:
    """Builds a tiny wrapped model whose weights take `megabytes[name]` MB; counts loads; may fail or wait."""

    def __init__(self, tokenizer, megabytes: dict[str, float] | None = None):
        self.tokenizer = tokenizer
        self.megabytes = megabytes or {}
        self.calls: list[str] = []
        self.fail: set[str] = set()
        self.break_halfway: set[str] = set()
        self.gate: threading.Event | None = None

    def __call__(self, name, device=None, dtype=None, runtime=None):
        self.calls.append(name)
        if self.gate is not None:
            self.gate.wait(10)
        if name in self.fail:
            raise ModelLoadError(f"could not load {name}: the file is damaged")
        if name in self.break_halfway:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central directory")
        size = int(self.megabytes.get(name, 1) * MB / 4)
        model = torch.nn.Linear(size, 1, bias=False)
        model.device = torch.device("cpu")  # what wrap_model reads
        model.dtype = torch.float32
        model.config = type("Config", (), {"max_position_embeddings": 64})()
        return wrap_model(model, self.tokenizer, name=name)


def settings(**changes) -> Settings:
    base = Settings.from_env({"MIRROR_MODELS": "gpt2,distilgpt2,sshleifer/tiny-gpt2"})
    return Settings(**{**base.__dict__, **changes})


@pytest.fixture
def pool_of(tokenizer):
    made: list[ModelPool] = []

    def make(budget_mb: int = 100, sizes: dict[str, float] | None = None, **changes):
        loader, clock = FakeLoader(tokenizer, sizes), Clock()
        pool = ModelPool(loader=loader, settings=lambda: settings(model_memory_mb=budget_mb, **changes), clock=clock)
        pool.fake, pool.fake_clock = loader, clock
        made.append(pool)
        return pool

    yield make
    for pool in made:
        pool.clear()


def test_each_model_is_loaded_once_and_shared(pool_of):
    pool = pool_of()
    first = pool.get("gpt2", holder="a")
    assert pool.get("gpt2", holder="b") is first
    assert pool.get("distilgpt2", holder="c") is not first
    assert pool.fake.calls == ["gpt2", "distilgpt2"]
    assert first.scheduler is pool.get("gpt2").scheduler  # one scheduler: the sessions on one model batch together
    assert [m.name for m in pool.loaded()] == ["gpt2", "distilgpt2"]  # most recently used first


def test_eight_sessions_asking_at_once_cause_one_load(pool_of):
    pool = pool_of()
    pool.fake.gate = threading.Event()
    with ThreadPoolExecutor(8) as workers:
        futures = [workers.submit(pool.get, "gpt2", holder=f"s{i}") for i in range(8)]
        time.sleep(0.2)  # let every asker reach the pool while the load waits at the gate
        pool.fake.gate.set()
        models = [f.result(timeout=30) for f in futures]
    assert pool.fake.calls == ["gpt2"]
    assert all(m is models[0] for m in models)
    assert pool.loaded()[0].holders == 8


def test_a_failed_load_reaches_every_waiter_and_is_not_kept(pool_of):
    pool = pool_of()
    pool.fake.fail.add("gpt2")
    pool.fake.gate = threading.Event()
    with ThreadPoolExecutor(4) as workers:
        futures = [workers.submit(pool.get, "gpt2", holder=f"s{i}") for i in range(4)]
        time.sleep(0.2)
        pool.fake.gate.set()
        errors = [f.exception(timeout=30) for f in futures]
    assert all(isinstance(e, ModelLoadError) and "damaged" in str(e) for e in errors)
    assert pool.fake.calls == ["gpt2"] and pool.loaded() == []
    pool.fake.fail.clear()
    assert pool.get("gpt2") is not None and pool.fake.calls == ["gpt2", "gpt2"]  # tried again, not cached as broken
    assert pool.get("distilgpt2")  # the pool kept working for everyone else


def test_a_load_that_breaks_halfway_is_one_clear_message(pool_of):
    pool = pool_of()
    pool.fake.break_halfway.add("gpt2")
    with pytest.raises(ModelLoadError) as broke:
        pool.get("gpt2")
    assert str(broke.value).startswith("Loading gpt2 failed halfway: PytorchStreamReader failed reading zip archive")
    assert isinstance(broke.value.__cause__, RuntimeError) and pool.loaded() == []
    pool.fake.break_halfway.clear()
    assert pool.get("gpt2")


def test_choosing_a_model_never_unloads_one_another_session_uses(pool_of):
    pool = pool_of(budget_mb=100, sizes={"gpt2": 60, "distilgpt2": 60})
    kept = pool.get("gpt2", holder="a")
    with pytest.raises(OverBudget) as refused:
        pool.get("distilgpt2", holder="b")
    message = str(refused.value)
    assert "100 MB" in message and "MIRROR_MODEL_MEMORY_MB" in message and "gpt2 (60 MB)" in message
    assert pool.get("gpt2", holder="a") is kept and pool.fake.calls == ["gpt2", "distilgpt2"]
    assert [m.name for m in pool.loaded()] == ["gpt2"]  # the refused model is not kept


def test_past_the_budget_the_least_recently_used_idle_model_is_evicted(pool_of):
    pool = pool_of(budget_mb=100, sizes={"gpt2": 40, "distilgpt2": 40, "sshleifer/tiny-gpt2": 40})
    clock = pool.fake_clock
    pool.get("gpt2", holder="a")
    clock.now += 1
    pool.get("distilgpt2", holder="b")
    pool.release("a")  # a's session ended: gpt2 is idle, distilgpt2 still held
    clock.now += 1
    pool.get("sshleifer/tiny-gpt2", holder="c")
    assert sorted(m.name for m in pool.loaded()) == ["distilgpt2", "sshleifer/tiny-gpt2"]
    assert pool.used_bytes() <= 100 * MB


def test_a_holder_stops_counting_when_idle_or_gone(pool_of):
    pool = pool_of(budget_mb=100, sizes={"gpt2": 60, "distilgpt2": 60})
    pool.get("gpt2", holder="a")
    pool.fake_clock.now += pool.idle_seconds + 1  # a has not asked for half an hour
    assert pool.get("distilgpt2", holder="b")
    assert [m.name for m in pool.loaded()] == ["distilgpt2"]
    gone: set[str] = {"b"}
    pool.alive = lambda holder: holder not in gone  # b's browser tab closed
    assert pool.get("gpt2", holder="c")
    assert [m.name for m in pool.loaded()] == ["gpt2"]


def test_a_holder_holds_one_model_at_a_time(pool_of):
    pool = pool_of(budget_mb=100, sizes={"gpt2": 60, "distilgpt2": 60})
    pool.get("gpt2", holder="a")
    pool.get("distilgpt2", holder="a")  # a switched models: gpt2 is free to go, so the switch fits
    assert [m.name for m in pool.loaded()] == ["distilgpt2"]


def test_a_model_with_requests_in_its_scheduler_is_in_use(pool_of, monkeypatch):
    pool = pool_of(budget_mb=100, sizes={"gpt2": 60, "distilgpt2": 60})
    busy = pool.get("gpt2")  # no holder (the CLI), but a reply is being written
    monkeypatch.setattr(type(busy.scheduler), "running", property(lambda self: 1))
    with pytest.raises(OverBudget):
        pool.get("distilgpt2")


def test_a_model_over_the_whole_budget_is_refused_before_loading(pool_of, tiny_llama_dir):
    pool = pool_of(budget_mb=64, allow_any_model=True)
    spec = resolve_model(str(tiny_llama_dir))
    assert estimated_bytes(spec, 4) > 0
    pool.fake.megabytes[str(tiny_llama_dir)] = 80
    with pytest.raises(OverBudget, match="64 MB"):
        pool.get(str(tiny_llama_dir))  # unknown size: loaded, measured, refused and dropped
    with pytest.raises(OverBudget):
        pool.get(str(tiny_llama_dir))
    assert pool.fake.calls == [str(tiny_llama_dir)]  # the second refusal came from what the first load measured


def test_visitors_get_only_offered_models(pool_of, tiny_llama_dir):
    pool = pool_of()
    assert pool.get("gpt2", visitor=True)
    with pytest.raises(ModelNotOffered) as refused:
        pool.get(str(tiny_llama_dir), visitor=True)
    assert "not offered" in str(refused.value) and "gpt2" in str(refused.value)
    with pytest.raises(ModelNotOffered):
        pool.get("someone/huge-model", visitor=True)
    assert pool.fake.calls == ["gpt2"]  # nothing was loaded for the refused asks
    pool.offer(str(tiny_llama_dir))  # the teacher adds a model: offered to visitors from now on
    assert pool.get(str(tiny_llama_dir), visitor=True) and str(resolve_model(str(tiny_llama_dir)).location) in pool.offered()
    assert pool.is_offered("bundled") and pool.is_offered("smollm2")  # aliases of an offered model


@pytest.mark.parametrize("name, expected", [
    ("./no/such/folder", "No model folder"),
    ("bad id with spaces", "neither a folder"),
])
def test_bad_names_get_clear_errors_and_the_pool_keeps_working(pool_of, name, expected):
    pool = pool_of(allow_any_model=True)
    with pytest.raises(ModelLoadError, match=expected):
        pool.get(name)
    assert pool.get("gpt2") and pool.loaded()[0].name == "gpt2"


def test_a_folder_that_is_not_a_model(pool_of, tmp_path):
    pool = pool_of(allow_any_model=True)
    (tmp_path / "notes").mkdir()
    with pytest.raises(ModelLoadError, match="config.json"):
        pool.get(str(tmp_path / "notes"))


def test_weight_bytes_counts_tied_weights_once(tiny_llama):
    model = tiny_llama.model
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    unique = {p.data_ptr(): p.numel() * p.element_size() for p in model.parameters()}
    buffers = sum(b.untyped_storage().nbytes() for b in model.buffers())
    assert weight_bytes(model) == sum(unique.values()) + buffers


def test_the_pool_describes_itself(pool_of):
    pool = pool_of(budget_mb=100, sizes={"gpt2": 10})
    pool.get("gpt2", holder="a")
    described = pool.describe()
    assert described["budget_megabytes"] == 100
    assert described["models"][0]["name"] == "gpt2" and round(described["models"][0]["megabytes"]) == 10


def test_eight_sessions_at_once_on_a_real_model_folder_load_it_once(tiny_llama_dir):
    from mirror.models import load_model

    calls: list[str] = []

    def counted(name, **options):
        calls.append(name)
        return load_model(name, **options)

    pool = ModelPool(loader=counted, settings=lambda: settings(model_memory_mb=1000))
    start = threading.Barrier(8)

    def ask(session: int):
        start.wait()
        return pool.get(str(tiny_llama_dir), holder=f"s{session}")

    try:
        with ThreadPoolExecutor(8) as workers:
            models = list(workers.map(ask, range(8)))
        assert calls == [str(tiny_llama_dir)] and all(m is models[0] for m in models)
        assert models[0].run(lambda: models[0].model.config.hidden_size) == 32  # a working model on its owner thread
    finally:
        pool.clear()
