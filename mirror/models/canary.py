"""A native runtime is tried in a child process before the server trusts it.

A library compiled for the wrong CPU (llama.cpp built with `-march=native` on a machine whose OS does
not enable AMX, say) dies of SIGILL on its first multi-token decode. A signal cannot be caught in
Python: in the app's process it would take the whole server down, every session with it. So before
the app loads a native runtime, a short canary runs in a child: load the model, one multi-token
decode (the prompt), one single-token decode, and one batched decode of two sequences. If the child
dies of a signal, exits with an error or hangs, the runtime is refused with one line saying why and
the caller falls back to the default runtime.

The verdict is kept in the cache folder under a key of the runtime, this machine (CPU model, flags,
architecture, OS), the Python and the native library (its version and the size and modification time
of its shared objects), so the check costs once per machine and library build (a few seconds).

    python -m mirror.models.canary PROBE [ARG ...]    # the child: runs PROBE ("module:function"), exits 0 if fine
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mirror.config import BUNDLED_GGUF
from mirror.i18n import Phrase, phrase
from mirror.models.gguf_f16 import f16_gguf
from mirror.models.llamacpp import LlamaCppCausalLM
from mirror.models.machine import cpu_description
from mirror.models.resolve import bundled_folder

ROOT = Path(__file__).resolve().parents[2]  # the repository: mirror/models/canary.py
TIMEOUT_S = 180.0  # a first run of the F16 probe also writes the F16 GGUF (a few seconds on these CPUs)
VERDICT_FORMAT = 1

# What each native runtime's canary runs in the child, and the distribution whose build it tests.
PROBES: dict[str, str] = {
    "llamacpp": "mirror.models.canary:probe_llamacpp",
    "llamacpp-f16": "mirror.models.canary:probe_llamacpp_f16",
}
LIBRARIES: dict[str, str] = {"llamacpp": "llama_cpp_python", "llamacpp-f16": "llama_cpp_python"}
SIGNAL_WORDS = {
    "SIGILL": "illegal instruction", "SIGSEGV": "segmentation fault", "SIGBUS": "bus error",
    "SIGABRT": "aborted", "SIGFPE": "floating-point exception", "SIGKILL": "killed",
}


@dataclass(frozen=True)
class Verdict:
    """Whether a native runtime may be used on this machine, and if not, why (one line)."""

    runtime: str
    ok: bool
    reason: str  # "" when ok; e.g. "illegal instruction", "hung (no answer in 180 s)", "exit 1: ..."
    seconds: float  # how long the child ran
    key: str
    cached: bool = False  # read from the cache folder instead of run now

    def message(self, fallback: str) -> Phrase:
        """The line the app shows when the runtime is refused (the reason stays as the child reported it)."""
        library = "llama.cpp" if self.runtime.startswith("llamacpp") else self.runtime
        key = "models.runtime.hung" if self.reason.startswith("hung") else "models.runtime.crashed"
        return phrase(key, library=library, reason=self.reason, fallback=fallback)


def library_fingerprint(distribution: str) -> str:
    """The library's version, and size and mtime of each shared object it ships: a rebuild is a new build."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
    parts = [dist.version]
    for file in sorted(dist.files or [], key=str):
        if file.suffix in (".so", ".dylib", ".dll") or ".so." in file.name:
            try:
                st = Path(dist.locate_file(file)).stat()
            except OSError:
                continue
            parts.append(f"{file}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def verdict_key(runtime: str, probe: str) -> str:
    facts = [runtime, probe, cpu_description(), platform.machine(), platform.system(), platform.release(),
             sys.version, library_fingerprint(LIBRARIES.get(runtime, runtime)), str(VERDICT_FORMAT)]
    return hashlib.sha256("\n".join(facts).encode()).hexdigest()[:20]


def describe_failure(returncode: int, stderr: str) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return SIGNAL_WORDS.get(name, name)
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return f"exit {returncode}: {lines[-1][:200]}" if lines else f"exit {returncode}"


def run_probe(probe: str, args: list[str] | None = None, timeout: float = TIMEOUT_S) -> tuple[bool, str, float]:
    """Run `probe` ("module:function") in a child Python; (ok, reason, seconds). Never raises for the
    child's sake: a crash, an error exit and a hang all come back as a reason."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "mirror.models.canary", probe, *(args or [])], cwd=ROOT, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"hung (no answer in {timeout:.0f} s)", time.perf_counter() - started
    except OSError as error:
        return False, f"could not start a child process: {error}", time.perf_counter() - started
    seconds = time.perf_counter() - started
    if done.returncode == 0:
        return True, "", seconds
    return False, describe_failure(done.returncode, done.stderr), seconds


def check_runtime(runtime: str, cache_root: Path | None, args: list[str] | None = None,
                  timeout: float = TIMEOUT_S) -> Verdict:
    """The verdict for a native runtime on this machine: from the cache folder, or by running its canary."""
    probe = PROBES[runtime]
    key = verdict_key(runtime, probe)
    path = cache_root / "canary" / f"{runtime}-{key}.json" if cache_root is not None else None
    if path is not None:
        try:
            data = json.loads(path.read_text())
            return Verdict(**{**data, "cached": True})
        except (OSError, ValueError, TypeError):
            pass
    ok, reason, seconds = run_probe(probe, [*(args or []), *([str(cache_root)] if cache_root else [])], timeout)
    verdict = Verdict(runtime, ok, reason, round(seconds, 2), key)
    if path is not None and not reason.startswith("could not start"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({k: v for k, v in asdict(verdict).items() if k != "cached"}))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache: the canary runs again next start, which costs only time
    return verdict


# --- the probes, run in the child ------------------------------------------------------------------


def _exercise_llamacpp(gguf: str) -> None:
    """Load, one multi-token decode, one single-token decode, one batched decode of two sequences."""
    import numpy as np
    import torch

    model = LlamaCppCausalLM(gguf, n_ctx=256, n_seq=2)
    prompt = torch.tensor([[1, 504, 3458, 282, 253, 1345, 30, 378, 314]])
    first = model(prompt, logits_to_keep=1)
    token = int(first.logits[0, -1].argmax())
    second = model(torch.tensor([[token]]), past_key_values=first.past_key_values, logits_to_keep=1)
    other = model(prompt[:, :4], logits_to_keep=1)
    both = model.decode_batch([second.past_key_values, other.past_key_values], [token, token])
    for logits in (first.logits, second.logits, both):
        if not np.isfinite(logits.numpy()).all():
            raise RuntimeError("llama.cpp returned logits that are not finite numbers")


def probe_llamacpp(cache_root: str | None = None) -> None:
    _exercise_llamacpp(str(bundled_folder() / BUNDLED_GGUF))


def probe_llamacpp_f16(cache_root: str | None = None) -> None:
    """The F16 file is written by llama.cpp's own quantizer, native code too: built here, in the child."""
    gguf, _ = f16_gguf(bundled_folder() / BUNDLED_GGUF, Path(cache_root) if cache_root else None)
    _exercise_llamacpp(str(gguf))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or ":" not in argv[0]:
        print("usage: python -m mirror.models.canary module:function [arg ...]", file=sys.stderr)
        return 2
    module, _, function = argv[0].partition(":")
    getattr(importlib.import_module(module), function)(*argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
