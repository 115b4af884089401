"""Fake native runtimes for the canary tests: probes that die the ways a miscompiled library does.

Each is run by `python -m mirror.models.canary tests.fakes.fake_native:NAME` in a child process.
"""

from __future__ import annotations

import os
import signal
import sys
import time


def die_of_sigill(*_: str) -> None:
    """What a library with AMX instructions does on a CPU whose OS does not enable AMX."""
    os.kill(os.getpid(), signal.SIGILL)
    time.sleep(10)


def hang(*_: str) -> None:
    time.sleep(600)


def fail(*_: str) -> None:
    print("loading the library failed: undefined symbol ggml_fake", file=sys.stderr)
    sys.exit(3)


def work(*_: str) -> None:
    """A runtime that works: its canary exits 0."""
