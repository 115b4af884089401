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
# Chat messages: Streamlit labels each message's content "Chat message from <name>".
CHAT_JS = """
const content = (m) => {
  const c = m.querySelector("[data-testid='stChatMessageContent']");
  return c ? c.innerText : "";
};
const isUser = (m) => {
  const c = m.querySelector("[data-testid='stChatMessageContent']");
  const label = ((c && c.getAttribute("aria-label")) || "").toLowerCase();
  return label.endsWith(" user") || label.endsWith(" human");
};
// An exception ends the wait at once; the test then fails with its text.
const crashed = () => !!document.querySelector("[data-testid='stException']");
const answersTo = (question) => {
  const msgs = Array.from(document.querySelectorAll("[data-testid='stChatMessage']"));
  const q = msgs.findIndex((m) => isUser(m) && content(m).includes(question));
  return q < 0 ? [] : msgs.slice(q + 1).filter((m) => !isUser(m));
};
"""


def assert_no_exception(page) -> None:
    """Fail at once with the app's own message when it shows an exception."""
    errors = page.locator("[data-testid='stException']")
    if errors.count():
        pytest.fail(f"the app shows an exception:\n{errors.first.inner_text()}")
