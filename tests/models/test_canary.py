"""A native runtime is tried in a child process first: one that dies of SIGILL (or hangs) is refused
with one line and the app falls back to torch, without the server process noticing anything else."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from mirror.models import canary
from mirror.models import load_model

FAKE = "tests.fakes.fake_native"


@pytest.fixture
def fake_probe(monkeypatch):
    """fake_probe(name): the llamacpp runtime's canary runs tests/fakes/fake_native.py:name instead."""
    def use(name: str) -> None:
        monkeypatch.setitem(canary.PROBES, "llamacpp", f"{FAKE}:{name}")
    return use


def test_a_probe_that_dies_of_sigill_is_refused_and_this_process_lives_on(tmp_path, fake_probe):
    fake_probe("die_of_sigill")
    verdict = canary.check_runtime("llamacpp", tmp_path)
    assert not verdict.ok and verdict.reason == "illegal instruction" and not verdict.cached
    assert verdict.message("torch").text("en") == "llama.cpp crashed on this CPU: illegal instruction; using torch"
    assert verdict.message("torch").text("ru") == "llama.cpp упал на этом процессоре: illegal instruction; взят torch"
    assert os.getpid() > 0  # still here: the signal hit the child only


def test_the_verdict_is_kept_per_machine_and_library_so_it_costs_once(tmp_path, fake_probe, monkeypatch):
    fake_probe("die_of_sigill")
    first = canary.check_runtime("llamacpp", tmp_path)
    started = []
    real_run = subprocess.run
    monkeypatch.setattr(canary.subprocess, "run", lambda *a, **k: started.append(a) or real_run(*a, **k))
    again = canary.check_runtime("llamacpp", tmp_path)
    assert again.cached and not again.ok and again.reason == first.reason and started == []
    assert list((tmp_path / "canary").glob("llamacpp-*.json"))

    # Another build of the library (or another CPU) is another key: the canary runs again.
    monkeypatch.setattr(canary, "library_fingerprint", lambda name: "0.0.1|rebuilt")
    fake_probe("work")
    rebuilt = canary.check_runtime("llamacpp", tmp_path)
    assert rebuilt.ok and not rebuilt.cached and rebuilt.key != first.key and len(started) == 1


def test_a_hung_probe_and_an_error_exit_are_refused_with_the_reason(tmp_path, fake_probe):
    fake_probe("hang")
    hung = canary.check_runtime("llamacpp", None, timeout=2)
    assert not hung.ok and hung.reason == "hung (no answer in 2 s)"
    assert hung.message("torch").text("en") == "llama.cpp hung (no answer in 2 s) on this CPU; using torch"
    fake_probe("fail")
    failed = canary.check_runtime("llamacpp", None)
    assert not failed.ok and failed.reason == "exit 3: loading the library failed: undefined symbol ggml_fake"


def test_signals_are_named_in_words():
    assert canary.describe_failure(-signal.SIGSEGV, "") == "segmentation fault"
    assert canary.describe_failure(-signal.SIGILL, "") == "illegal instruction"
    assert canary.describe_failure(1, "Traceback...\nImportError: no llama\n") == "exit 1: ImportError: no llama"


def test_the_verdict_key_names_this_cpu(monkeypatch):
    key = canary.verdict_key("llamacpp", "x:y")
    assert key == canary.verdict_key("llamacpp", "x:y")
    monkeypatch.setattr(canary, "cpu_description", lambda: '{"flags": "avx2", "model name": "Other CPU"}')
    assert canary.verdict_key("llamacpp", "x:y") != key


@pytest.mark.slow
def test_the_app_falls_back_to_torch_when_llamacpp_dies_of_sigill(tmp_path, fake_probe, bundled):
    """load_model is what the app's cached loader calls: it returns a working torch model with the note."""
    pytest.importorskip("llama_cpp")
    fake_probe("die_of_sigill")
    lm = load_model(runtime="llamacpp", cache_dir=bundled_cache_root(tmp_path))
    try:
        assert lm.info.runtime == "torch"
        assert "llama.cpp crashed on this CPU: illegal instruction; using torch" in lm.info.note
        assert "llama.cpp упал на этом процессоре: illegal instruction; взят torch" in lm.info.note_in("ru")
        ids = lm.encode("The mirror said")
        out = lm.run(lambda: lm.model(__import__("torch").tensor([ids])).logits)
        assert out.shape[-1] == len(lm.tokenizer)
    finally:
        lm.close()


def bundled_cache_root(tmp_path: Path) -> Path:
    """A cache root whose torch weight cache is the one the session already built (a link: no rebuild)
    and whose canary folder is fresh, so this test's fake verdict is never left for others."""
    from mirror.config import Settings
    from mirror.models.weight_cache import bundled_cache_dir

    real = bundled_cache_dir(Settings.from_env().cache_dir)
    root = tmp_path / "cache"
    root.mkdir()
    if real.is_dir():
        (root / real.name).symlink_to(real, target_is_directory=True)
    return root
