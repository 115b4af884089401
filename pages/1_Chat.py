"""Chat: a streaming conversation with the mirror, with feedback, export and saved work."""

from mirror.ui.chat import chat_page
from mirror.ui.page import setup_page

lm, params = setup_page("Chat", "💬")
if lm is not None:
    chat_page(lm, params)
