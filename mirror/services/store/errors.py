"""`StoreError`, the one exception every storage failure raises, kept apart so that each module of the
store can raise it without importing the others."""

from __future__ import annotations

__all__ = ["StoreError"]


class StoreError(RuntimeError):
    """A storage failure, with a one-line message fit for the UI. The caller's input is untouched."""
