"""Inside the Mirror: what happens inside the model for one token sequence (tokens, lens, attention, ablation)."""
