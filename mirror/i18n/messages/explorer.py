"""Texts of the explorer area (keys read as `explorer.<key>`)."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
}
