"""Chat: a streaming conversation with the mirror, with feedback, export and saved work."""

from mirror.ui.chat import chat_page
from mirror.ui.page import frame
from mirror.ui.pages import CHAT

lm, params = frame(CHAT)
if lm is not None:
    chat_page(lm, params)
