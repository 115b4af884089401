"""The speed a student sees: N browser sessions asking at once, measured in the page, beside the engine bench.

    .venv/bin/python bench/browser.py [--sessions 1 8 16] [--tokens 64]

First the engine figures for the same session counts (bench/concurrency.py's sessions, in this process,
model released afterwards). Then `streamlit run Home.py` with the bundled model, and for each count N
Chromium pages (one browser context each: N visitors) open the Chat and send a question at the same
moment. A MutationObserver in each page stamps every change of the reply's text with the page's own
clock, so the figures are what the screen showed: time from pressing Enter to the first visible text,
redraws per second, and the tokens/s of the summary line under the finished reply (the page's
default settings: Balanced, up to 256 tokens). Server and browser
share this machine's cores: the teacher's-laptop case. Figures go to bench/out/browser.json.

Needs Debian's chromium and Playwright (`make test` installs both).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from concurrency import question, run_sessions  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402
from mirror.models.machine import cpu_name  # noqa: E402

SUMMARY = re.compile(r"(\d+) tokens · ([\d.]+) tokens/s · first token after ([\d.]+) s")

# Stamps every change of the last assistant message's text, from the moment Enter is pressed.
WATCH = """() => {
  window.__mirror = {asked: null, changes: []};
  const input = document.querySelector("[data-testid='stChatInputTextArea']");
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") window.__mirror.asked = performance.now(); },
                         {capture: true});
  let last = "";
  new MutationObserver(() => {
    if (window.__mirror.asked === null) return;
    const replies = [...document.querySelectorAll("[data-testid='stChatMessage']")]
      .filter((m) => m.querySelector("[aria-label='Chat message from assistant']"));
    const block = replies.length ? replies[replies.length - 1].querySelector("[data-testid='stMarkdownContainer']") : null;
    const text = block ? block.innerText : "";
    if (text && text !== last && !text.startsWith("⏳")) {
      last = text;
      window.__mirror.changes.push([performance.now(), text.length]);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server():
    port = _free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    log = open(ROOT / "bench" / "out" / "browser-server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            time.sleep(0.5)
        else:
            raise RuntimeError("the app did not become healthy in 180 s (bench/out/browser-server.log)")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def browser_sessions(browser, base_url: str, count: int, offset: int) -> dict[str, float]:
    from playwright.sync_api import expect

    pages = []
    for i in range(count):
        page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        page.goto(f"{base_url}/Chat", wait_until="domcontentloaded")
        expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=180_000)
        expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                             timeout=180_000)
        page.get_by_test_id("stChatInputTextArea").fill(question(offset + i))
        page.evaluate(WATCH)
        pages.append(page)
    for page in pages:  # all within a fraction of a second
        page.get_by_test_id("stChatInputTextArea").press("Enter")
    summaries = []
    for page in pages:
        caption = page.get_by_text(SUMMARY).last
        expect(caption).to_be_visible(timeout=600_000)
        summaries.append(SUMMARY.search(caption.inner_text()))
    ttfts, redraw_rates, shown_rates, page_rates = [], [], [], []
    for page, summary in zip(pages, summaries):
        seen = page.evaluate("() => window.__mirror")
        changes = seen["changes"]
        ttfts.append((changes[0][0] - seen["asked"]) / 1000)
        span = (changes[-1][0] - changes[0][0]) / 1000
        redraw_rates.append((len(changes) - 1) / span if span > 0 else 0.0)
        new_tokens = int(summary.group(1))
        shown_rates.append((new_tokens - 1) / span if span > 0 else 0.0)
        page_rates.append(float(summary.group(2)))
        page.context.close()
    return {"sessions": count, "p50_ttft_seen_s": statistics.median(ttfts), "max_ttft_seen_s": max(ttfts),
            "tokens_per_s_per_session_summary": statistics.median(page_rates),
            "tokens_per_s_per_session_seen": statistics.median(shown_rates),
            "aggregate_tokens_per_s_summary": sum(page_rates),
            "redraws_per_s": statistics.median(redraw_rates)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--tokens", type=int, default=64, help="new tokens per session in the engine bench (the "
                        "page writes its default reply, up to 256 tokens: rates are compared, not times)")
    args = parser.parse_args()
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    print(f"CPU {cpu_name()}; engine: {args.tokens} new tokens per session; server and browser on this machine")
    lm = shared_pool().get()
    run_sessions(lm, 1, 4, offset=100)
    engine = {count: run_sessions(lm.with_batch(lm.scheduler.max_batch), count, args.tokens, offset=50)
              for count in args.sessions}
    del lm
    gc.collect()
    from playwright.sync_api import sync_playwright

    rows = []
    with app_server() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                             args=["--no-sandbox", "--headless"])
        browser_sessions(browser, base_url, 1, offset=200)  # the server loads the model
        print(f"{'sessions':>8}{'engine tok/s per session':>26}{'page tok/s (summary)':>22}{'seen tok/s':>12}"
              f"{'redraws/s':>11}{'engine max TTFT':>17}{'seen TTFT p50 / max':>21}")
        for count in args.sessions:
            row = browser_sessions(browser, base_url, count, offset=0)
            row["engine"] = engine[count]
            rows.append(row)
            per_session = engine[count]["aggregate_tokens_per_s"] / count
            print(f"{count:>8}{per_session:>26.1f}{row['tokens_per_s_per_session_summary']:>22.1f}"
                  f"{row['tokens_per_s_per_session_seen']:>12.1f}{row['redraws_per_s']:>11.1f}"
                  f"{engine[count]['max_ttft_s']:>15.2f} s{row['p50_ttft_seen_s']:>12.2f} / {row['max_ttft_seen_s']:.2f} s")
        browser.close()
    (ROOT / "bench" / "out" / "browser.json").write_text(json.dumps({"cpu": cpu_name(), "tokens": args.tokens,
                                                                      "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
