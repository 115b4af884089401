"""Running one piece of work on many threads released at the same moment, for the concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(n)` for n in range(count), each on its own thread, all started together by a barrier;
    the exceptions they raised (a test asserts there are none)."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:  # noqa: BLE001 - returned to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
