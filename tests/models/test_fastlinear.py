"""The linear-layer layout is chosen by timing both calls on this machine, never assumed, and the
verdict is kept per machine so that every load of a model computes the same numbers."""

from __future__ import annotations

import json
import logging
import threading

import pytest
import torch

from mirror.models import fastlinear
from mirror.models.fastlinear import (ROW_COUNTS, choose_layout, forget_measurements, read_verdict, stock_layout,
                                      verdict_for, verdict_key, verdict_path)
from mirror.models.machine import torch_threads


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch, tmp_path):
    """Each test starts as a new process would: no memo, and an empty cache folder of its own."""
    monkeypatch.setenv("MIRROR_CACHE_DIR", str(tmp_path / "cache"))
    forget_measurements()
    yield
    forget_measurements()


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.GELU(), torch.nn.Linear(64, 16, bias=False),
                               torch.nn.Linear(16, 300)).eval()


def _linears(model: torch.nn.Module) -> list[torch.nn.Linear]:
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


def _patched(model: torch.nn.Module) -> list[torch.nn.Module]:
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear) and "forward" in vars(m)]


def _timer(wins):
    """A fake timer: gemm takes half the stock time where wins(rows), twice it elsewhere."""
    def timer(weights: list[torch.Tensor], rows: int) -> tuple[float, float]:
        stock = sum(w.numel() for w in weights) * rows * 1e-9
        return stock, stock * (0.5 if wins(rows) else 2.0)
    return timer


def test_where_stock_is_faster_no_layer_is_touched():
    model, x = _model(), torch.randn(3, 16)
    before = model(x)
    choice = choose_layout(model, "auto", timer=_timer(lambda rows: False))
    assert choice.layout == "stock" and choice.gemm_rows == () and _patched(model) == []
    assert "auto kept the stock" in choice.summary() and "1 row:" in choice.reason
    assert torch.equal(model(x), before)  # the stock layers, bit for bit
    assert set(choice.step_ms) == set(ROW_COUNTS)
    assert all(s < g for s, g in choice.step_ms.values())


@pytest.mark.parametrize("wins, gemm_for", [
    (lambda rows: rows <= 4, {1, 2, 3, 4}),  # small batches only (seen on an AMD EPYC)
    (lambda rows: rows >= 16, set(range(5, 33))),  # full batches only (seen on an Intel Xeon with MKL)
    (lambda rows: rows == 16, set(range(5, 17))),  # half a class only
])
def test_gemm_is_used_only_for_the_row_counts_where_it_won(monkeypatch, wins, gemm_for):
    model = _model()
    choice = choose_layout(model, "auto", timer=_timer(wins))
    assert choice.layout == "gemm" and set(choice.gemm_rows) == {r for r in ROW_COUNTS if wins(r)}
    assert len(_patched(model)) == 3
    calls = []
    real = fastlinear.gemm
    monkeypatch.setattr(fastlinear, "gemm", lambda w, r: calls.append(r.shape[0]) or real(w, r))
    torch.manual_seed(1)
    for rows in range(1, 40):
        calls.clear()
        x = torch.randn(rows, 16)
        with torch.inference_mode():
            out = model(x)
            with stock_layout(model):
                ref = model(x)
        assert torch.allclose(out, ref, atol=1e-5), rows  # the same product, another summation order
        assert calls == ([rows] * 3 if rows in gemm_for else []), rows  # prefill (> 32 rows) stays stock


def test_faster_at_every_count_is_said_so():
    choice = choose_layout(_model(), "auto", timer=_timer(lambda rows: True))
    assert choice.gemm_rows == ROW_COUNTS and "every row count" in choice.reason


def test_the_setting_forces_a_layout_without_timing():
    def never(*_):
        raise AssertionError("timed although the layout was forced")
    stock = _model()
    assert choose_layout(stock, "stock", timer=never).layout == "stock" and _patched(stock) == []
    gemm = _model()
    assert choose_layout(gemm, "gemm", timer=never).layout == "gemm" and len(_patched(gemm)) == 3
    with pytest.raises(ValueError, match="MIRROR_LINEAR_LAYOUT"):
        choose_layout(_model(), "fast")


def test_the_real_timer_decides_by_what_it_measured():
    model = _model()
    choice = choose_layout(model, "auto")
    won = tuple(rows for rows, (stock, gemm) in choice.step_ms.items() if gemm < fastlinear.CLEAR_WIN * stock)
    assert choice.gemm_rows == won and (choice.layout == "gemm") == bool(won)
    assert bool(_patched(model)) == (choice.layout == "gemm")
    assert choice.seconds > 0


def test_the_bundled_model_says_what_was_chosen_and_why(bundled):
    choices = bundled.info.speed_choices
    assert choices.startswith(("linear layers: auto chose", "linear layers: auto kept")), choices
    assert "1 row:" in choices and "16 rows:" in choices


def test_a_second_copy_of_a_model_gets_the_same_choice_in_one_process():
    """The app's cached model and any other copy must compute the very same numbers."""
    calls = []

    def coin(weights, rows):  # a machine whose timings swing from one measurement to the next
        calls.append(rows)
        return (1.0, 0.5) if len(calls) <= len(ROW_COUNTS) else (0.5, 1.0)
    first, second = choose_layout(_model(), "auto", timer=coin), choose_layout(_model(), "auto", timer=coin)
    assert first.layout == second.layout == "gemm" and first.step_ms == second.step_ms
    assert len(calls) == len(ROW_COUNTS)  # measured once


def _flipping_timer():
    """Timings that swing from one measurement to the next: gemm wins the first, loses the second."""
    calls: list[int] = []

    def timer(weights, rows):
        calls.append(rows)
        return (1.0, 0.5) if len(calls) <= len(ROW_COUNTS) else (0.5, 1.0)
    return timer, calls


def _never(*_):
    raise AssertionError("timed although a verdict was kept")


def test_loads_agree_although_the_timings_flip_and_a_new_process_reads_the_kept_verdict(tmp_path):
    timer, calls = _flipping_timer()
    first_model, second_model = _model(), _model()
    first = choose_layout(first_model, "auto", timer=timer, folder=tmp_path)
    second = choose_layout(second_model, "auto", timer=timer, folder=tmp_path)
    assert first.layout == second.layout == "gemm" and first.gemm_rows == second.gemm_rows == ROW_COUNTS
    assert len(calls) == len(ROW_COUNTS)  # measured once
    assert not first.cached and second.cached and first.step_ms == second.step_ms
    assert "timed in" in first.summary() and "measured once on this machine" in second.summary()
    assert "замерено один раз" in second.summary("ru")

    forget_measurements()  # a new process: the memo is gone, the file is not
    third_model = _model()
    third = choose_layout(third_model, "auto", timer=_never, folder=tmp_path)
    assert third.cached and third.gemm_rows == first.gemm_rows and third.step_ms == first.step_ms
    with torch.inference_mode():
        for rows in (1, 2, 4, 16):
            x = torch.randn(rows, 16)
            assert torch.equal(first_model(x), second_model(x)) and torch.equal(first_model(x), third_model(x)), rows

    forget_measurements()  # the second timer's word alone would have been the opposite
    assert choose_layout(_model(), "auto", timer=lambda w, r: (0.5, 1.0), folder=None).layout == "stock"


def test_the_verdict_key_names_the_machine_and_shapes_but_not_the_thread_count():
    layers = _linears(_model())
    before = torch.get_num_threads()
    try:
        keys = set()
        for threads in (1, 2):
            torch.set_num_threads(threads)
            keys.add(verdict_key(layers))
    finally:
        torch.set_num_threads(before)
    key = json.loads(keys.pop())
    assert not keys and key["torch"] == torch.__version__ and key["shapes"] == [[64, 16], [16, 64], [300, 16]]
    assert "thread" not in json.dumps(key).lower() and key["cpu"] and key["build"]


def test_the_model_thread_gets_this_machines_thread_count_whatever_was_set_before(tiny_llama_dir):
    from mirror.models import load_model

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1 if torch_threads() > 1 else 2)
        lm = load_model(str(tiny_llama_dir), device="cpu", cache_dir=None)
        assert lm.run(torch.get_num_threads) == torch_threads()
        lm.close()
    finally:
        torch.set_num_threads(before)


def test_processes_started_at_once_all_use_the_first_verdict_written(tmp_path):
    """Threads stand in for processes (no memo between them): each measures its own verdict."""
    layers = _linears(_model())
    key, weights = verdict_key(layers), [m.weight for m in layers]
    # Two verdicts, alternating between the "processes": gemm wins at 4 rows only, or at 1, 16 and 32.
    timers = [(lambda w, r, k=k: (1.0, 0.5 if (r // 4 + k) % 2 else 2.0)) for k in range(6)]
    for round_ in range(5):
        folder = tmp_path / str(round_)
        barrier, got = threading.Barrier(len(timers)), []

        def one_process(timer):
            barrier.wait()
            got.append(verdict_for(key, weights, timer, folder))
        threads = [threading.Thread(target=one_process, args=(timer,)) for timer in timers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        kept = read_verdict(verdict_path(folder, key), key)
        assert len(got) == len(timers) and {v.gemm_rows for v in got} == {kept.gemm_rows}
        assert all(v.step_ms == kept.step_ms for v in got)
        assert sorted(p.name for p in (folder / "linear-layout").iterdir()) == [verdict_path(folder, key).name]


@pytest.mark.parametrize("garbage", ["{not json", '{"format": 1, "key": "another machine"}', ""])
def test_a_corrupt_verdict_is_measured_again_and_replaced(tmp_path, caplog, garbage):
    model = _model()
    path = verdict_path(tmp_path, verdict_key(_linears(model)))
    path.parent.mkdir(parents=True)
    path.write_text(garbage)
    with caplog.at_level(logging.WARNING, logger="mirror"):
        choice = choose_layout(model, "auto", timer=_timer(lambda rows: rows >= 16), folder=tmp_path)
    assert not choice.cached and choice.gemm_rows == (16, 32)
    assert any("unreadable" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert read_verdict(path, verdict_key(_linears(model))).gemm_rows == (16, 32)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_an_unwritable_folder_is_said_and_the_memo_alone_keeps_loads_in_agreement(tmp_path, caplog):
    folder = tmp_path / "a-file"
    folder.write_text("not a folder")
    timer, calls = _flipping_timer()
    with caplog.at_level(logging.WARNING, logger="mirror"):
        first = choose_layout(_model(), "auto", timer=timer, folder=folder)
    second = choose_layout(_model(), "auto", timer=timer, folder=folder)
    assert first.gemm_rows == second.gemm_rows == ROW_COUNTS and len(calls) == len(ROW_COUNTS)
    assert any("cannot keep the verdict" in r.getMessage() for r in caplog.records)


def test_the_default_folder_is_the_cache_folder_of_the_settings(tmp_path):
    model = _model()
    choose_layout(model, "auto", timer=_timer(lambda rows: rows == 1))
    key = verdict_key(_linears(model))
    assert read_verdict(verdict_path(tmp_path / "cache", key), key).gemm_rows == (1,)
