"""The store's default clock, `now()`, the one place that decides how a timestamp is written, so that
a `Store` can be given another clock (a test's fake one) through its `clock` argument."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

__all__ = ["Clock", "now"]

Clock = Callable[[], str]  # what `Store(clock=...)` takes: returns a timestamp in the form of `now()`


def now() -> str:
    """The current time in UTC as ISO 8601 text with microseconds (sortable as text), the form of
    every `created_at`, `updated_at` and `applied_at` column."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
