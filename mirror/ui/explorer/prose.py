"""The explorer's explanations: what each stage does, how to read the charts, the guide's text."""

from __future__ import annotations

import pandas as pd

INTRO = ("How temperature, top-k, top-p, repetition penalty and no-repeat n-gram reshape the mirror's "
         "next-token choice, on this model and your prompt. Move the sliders in the sidebar: the charts "
         "follow without asking the model again.")

STAGE_TEACHING = {
    "raw": "What the model itself believes: the softmax of its logits. Nothing has been changed yet.",
    "repetition_penalty": "Tokens already in the text get their logit divided (if positive) or multiplied "
                          "(if negative) by the penalty, so the model is nudged away from repeating itself.",
    "no_repeat_ngram": "A token that would repeat an n-gram already in the text is removed outright: a hard "
                       "ban, not a nudge.",
    "temperature": "Logits are divided by T. Below 1 the favourites get stronger (strict); above 1 the "
                   "distribution flattens and rare tokens get a chance (creative). Order never changes.",
    "top_k": "Only the k most likely tokens stay in the race; the rest are cut. A fixed-size shortlist.",
    "top_p": "Keeps the smallest set of top tokens whose probabilities add up to p, then renormalises. "
             "Confident model: few tokens; unsure model: many. This is what the sampler draws from.",
}

READING_THE_CHARTS = ("**Reading the charts.** Blue: still in the race. Grey: removed by this stage, drawn at the "
                      "probability it had just before. ✕: removed. Dashed red line: where top-k or top-p cuts. "
                      "Tokens are in the order top-k and top-p see them (after the penalties); ␣ is a space, "
                      "⏎ a newline.")

GREEDY_NOTE = ("Temperature 0 means greedy decoding: temperature, top-k and top-p are skipped and the most "
               "likely token after the penalties is always chosen.")

TEMPERATURE_CURVE = ("The same logits, every other setting as in the sidebar, temperature from 0.1 to 2. "
                     "'whole distribution' is right after temperature; 'after top-k and top-p' is what the sampler "
                     "draws from. The dashed line is the sidebar's temperature.")
TEMPERATURE_LESSON = ("Higher temperature, flatter distribution: entropy rises and the favourite's probability "
                      "falls. Top-k and top-p hold the final entropy down, which is why they tame a high temperature.")

SETTINGS_TABLE = pd.DataFrame(
    [("Temperature", "determinism, dry text, repetition", "creativity, nonsense, mistakes", "slider 0.1–1.5, default 0.7"),
     ("Top-k", "a limited vocabulary", "risk of picking rare words", "slider 0–100, default 50"),
     ("Top-p", "focus on the most likely tokens", "variety", "slider 0.5–1.0, default 0.95"),
     ("Repetition penalty", "loops are possible", "avoids the topic, drifts to other contexts", "slider 1.0–2.0, default 1.2")],
    columns=["Parameter", "Low value", "High value", "Recommended control"],
)

TRIANGLE = """
**The trade-off triangle**: you can lean towards one corner, never all three.

1. **Coherence**: a high repetition penalty and a low temperature. Dull and sometimes repetitive, but grammatical.
2. **Creativity**: a high temperature with sampling switched on. New ideas, and a risk of hallucination.
3. **Correctness**: strict top-k filtering. Safe text with a limited vocabulary.

A *balanced* default sits between them: temperature 0.7, top-k 50, no-repeat n-gram size 2
(the **Balanced** preset, with top-p 0.95 and repetition penalty 1.2).
"""

STAGE_ORDER = ("**The order of the stages** is the one the sampler (and transformers' `generate`) uses: repetition "
               "penalty → no-repeat n-gram → temperature → top-k → top-p → draw. Every chart on this page is read "
               "from that same pipeline, so the numbers are exactly the ones the sampler uses.")

SIDE_BY_SIDE = ("The same prompt and the same seed, different settings: only the sampler differs, so every "
                "difference in the texts comes from the settings.")
SIDE_BY_SIDE_METRICS = ("Perplexity and log-probability are measured under the raw model (no sampler), given the "
                        "prompt: low perplexity = text the model finds natural; high distinct-n = varied wording.")

CANDIDATES = ("**Candidates for the next token**: the model's top ten with the sampler's probability. "
              "Borderless ones were cut by the settings: the sampler can never draw them, but you may.")
