"""The linear-layer layout is chosen by timing both calls on this machine, never assumed."""

from __future__ import annotations

import pytest
import torch

from mirror.models import fastlinear
from mirror.models.fastlinear import ROW_COUNTS, choose_layout, stock_layout


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.GELU(), torch.nn.Linear(64, 16, bias=False),
                               torch.nn.Linear(16, 300)).eval()


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
