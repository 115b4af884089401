"""Chat: a streaming conversation with the mirror, with feedback, export and saved work."""

from mirror.ui.chat import chat_page
from mirror.ui.frame import current_frame

lm, params = current_frame()
if lm is not None:
    chat_page(lm, params)
