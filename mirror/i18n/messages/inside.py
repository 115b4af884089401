"""Texts of the inside area (keys read as `inside.<key>`)."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
}
