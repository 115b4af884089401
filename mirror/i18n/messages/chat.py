"""Texts of the chat area (keys read as `chat.<key>`)."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
}
