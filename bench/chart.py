"""Draw the benchmark figures as one PNG for the README: docs/bench.png.

    .venv/bin/python bench/runtimes.py && .venv/bin/python bench/concurrency.py && .venv/bin/python bench/chart.py

Reads bench/out/runtimes.json and bench/out/concurrency.json (written by those benchmarks).
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def runtimes_chart() -> alt.Chart:
    rows = json.loads((OUT / "runtimes.json").read_text())
    data = pd.DataFrame([
        {"runtime": name, "tokens/s": r["tokens_per_s"],
         "quality gate": ("baseline" if "mean_kl" not in r else
                          "passes" if r["mean_kl"] <= 0.01 and r["top1_agreement"] >= 0.95 else "fails")}
        for name, r in rows.items()
    ])
    return alt.Chart(data, title="Single-stream decode on 2 CPU cores").mark_bar().encode(
        x=alt.X("tokens/s:Q"), y=alt.Y("runtime:N", sort=list(rows), title=None),
        color=alt.Color("quality gate:N", scale=alt.Scale(domain=["passes", "fails", "baseline"],
                                                          range=["#40a02b", "#e64553", "#9ca0b0"])),
    ).properties(width=360, height=180)


def concurrency_chart() -> alt.Chart:
    report = json.loads((OUT / "concurrency.json").read_text())
    data = pd.DataFrame(report["rows"])
    title = f"Concurrent sessions ({report['runtime']}, batches of up to {report.get('max_batch', '?')})"
    base = alt.Chart(data, title=title).encode(
        x=alt.X("sessions:O"))
    bars = base.mark_bar(color="#7287fd").encode(y=alt.Y("aggregate_tokens_per_s:Q", title="aggregate tokens/s"))
    line = base.mark_line(point=True, color="#fe640b").encode(y=alt.Y("p95_gap_ms:Q", title="p95 ms between tokens"))
    return alt.layer(bars, line).resolve_scale(y="independent").properties(width=300, height=180)


def main() -> None:
    chart = alt.hconcat(runtimes_chart(), concurrency_chart())
    target = ROOT / "docs" / "bench.png"
    chart.save(str(target), scale_factor=2)
    print(f"written {target}")


if __name__ == "__main__":
    main()
