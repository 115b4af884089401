"""Facts about the CPU this process runs on: for verdicts kept per machine and for benchmark reports."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def _cpuinfo_fields() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name = name.strip()
        if name in ("model name", "flags", "Features", "CPU part") and name not in fields:
            fields[name] = value.strip()
    return fields


def _macos_brand() -> str:
    try:
        return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_name() -> str:
    """The CPU's model name as the OS gives it (lscpu's "Model name"), e.g. "Intel(R) Xeon(R) Processor"."""
    name = _cpuinfo_fields().get("model name") or (_macos_brand() if sys.platform == "darwin" else "")
    return name or platform.processor() or platform.machine()


def cpu_description() -> str:
    """What identifies this CPU: model name and feature flags (Linux), brand (macOS), as one string."""
    fields = _cpuinfo_fields()
    if not fields and sys.platform == "darwin":
        fields["brand"] = _macos_brand()
    return json.dumps(fields, sort_keys=True)


def torch_threads() -> int:
    """The torch thread count for models on this machine, much as torch picks its default: MKL_NUM_THREADS or
    OMP_NUM_THREADS when set, else one per physical core (hyperthreads counted once)."""
    for name in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    cores: set[tuple[str, str]] = set()
    try:
        blocks = Path("/proc/cpuinfo").read_text(errors="replace").split("\n\n")
    except OSError:
        blocks = []
    for block in blocks:
        pairs = (line.partition(":") for line in block.splitlines())
        fields = {name.strip(): value.strip() for name, _, value in pairs}
        if "processor" in fields:
            cores.add((fields.get("physical id", ""), fields.get("core id", fields["processor"])))
    return len(cores) or os.cpu_count() or 1
