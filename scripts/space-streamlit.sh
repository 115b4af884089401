#!/usr/bin/env bash
# Assemble a Hugging Face Docker Space that runs the whole Streamlit dashboard, in folder $1.
#
#   bash scripts/space-streamlit.sh build/space-streamlit
#   cd build/space-streamlit && git init && git remote add origin https://huggingface.co/spaces/YOU/NAME ...
#
# The folder holds the README with the Space's front matter (sdk: docker, app_port: 8501), the
# Dockerfile with the app user at uid 1000 (Spaces run the container as uid 1000; our default is
# 10001), and the app's files the Dockerfile copies. docs/deploy-spaces.md says what to do next.
set -euo pipefail
out="${1:?usage: space-streamlit.sh OUTPUT_FOLDER}"
root="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf "$out"
mkdir -p "$out/scripts" "$out/.streamlit"
cd "$root"
cp -r Home.py requirements.txt app_pages mirror "$out/"
cp .streamlit/config.toml "$out/.streamlit/"
cp scripts/install.sh scripts/warm-cache.sh "$out/scripts/"
find "$out" -name __pycache__ -type d -prune -exec rm -rf {} +
sed 's/^ARG APP_UID=10001$/ARG APP_UID=1000/' Dockerfile > "$out/Dockerfile"
grep -q '^ARG APP_UID=1000$' "$out/Dockerfile" || { echo "Dockerfile: no 'ARG APP_UID=10001' line to set" >&2; exit 1; }
cat > "$out/README.md" <<'README'
---
title: Magic Mirror
emoji: 🪞
colorFrom: blue
colorTo: gray
sdk: docker
app_port: 8501
pinned: false
short_description: Watch a small language model write, token by token
---

# 🪞 Magic Mirror

A Streamlit dashboard around a small causal language model (SmolLM2-135M-Instruct, inside the image):
chat with it, see how temperature, top-k and top-p reshape its next-token distribution, inspect why
each token came out, look inside its layers, and play the class games.

This Space runs Magic Mirror's Docker image, assembled from its repository by
`scripts/space-streamlit.sh`. Saved work and classes are kept in SQLite under `/data`: attach a
Storage Bucket (persistent storage) to keep them across restarts, since the Space's own disk is
reset. Settings (`MIRROR_*`) go in the Space's variables and secrets.
README
echo "Space folder ready: $out"
