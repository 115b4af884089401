#!/usr/bin/env bash
# Builds the bundled model's weight cache ahead of time, so that the first page view loads the model
# from the cache (a few seconds) instead of unpacking its GGUF (about 20 s). The Dockerfile runs it
# at image build time; it works the same on any machine where scripts/install.sh has run.
#
#   scripts/warm-cache.sh [PYTHON]    (default: .venv/bin/python if there, else python)
#
# The cache goes to $MIRROR_CACHE_DIR (default ~/.cache/magic-mirror). The script loads the bundled
# model twice: the first load writes the cache (or finds it), the second must come from it, so a
# cache that cannot be written or read back fails the build here rather than slowing every start.
# It never falls back to the Hub: with the bundled package missing it fails, saying so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ $# -ge 1 ]; then
  py="$1"
elif [ -x .venv/bin/python ]; then
  py=.venv/bin/python
else
  py=python
fi

# Offline, and no Hub fallback: the bundled model or nothing.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MIRROR_FALLBACK_MODEL= TQDM_DISABLE=1
unset MIRROR_MODEL MIRROR_BACKEND_URL

info() { "$py" -m mirror info --model bundled --device cpu --json; }

first="$(info)"
second="$(info)"
"$py" - "$first" "$second" <<'EOF'
import json
import sys

first, second = (json.loads(arg) for arg in sys.argv[1:3])
if second["source"] != "bundled":
    sys.exit(f"warm-cache: expected the bundled model, got {second['source']}: {second['location']}")
if not second["from_cache"]:
    sys.exit("warm-cache: the second load did not come from the weight cache "
             "(is MIRROR_CACHE_DIR writable?)")
state = "found" if first["from_cache"] else "built"
print(f"warm-cache: {state} the weight cache of {second['name']}; a load from it took "
      f"{second['load_seconds']:.1f} s")
EOF
