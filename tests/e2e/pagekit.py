"""Small helpers shared by the browser tests: the app's idle state and a fast failure on an exception."""

from __future__ import annotations

import pytest

# Streamlit marks the app root with the script's state ("initial", "running", "notRunning", ...).
APP_IDLE_JS = """
const appIdle = () => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && app.getAttribute("data-test-script-state") === "notRunning";
};
"""
IDLE = "() => {" + APP_IDLE_JS + " return appIdle(); }"


def assert_no_exception(page) -> None:
    """Fail at once with the app's own message when it shows an exception."""
    errors = page.locator("[data-testid='stException']")
    if errors.count():
        pytest.fail(f"the app shows an exception:\n{errors.first.inner_text()}")
