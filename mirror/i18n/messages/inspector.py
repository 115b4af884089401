"""Texts of the inspector area (keys read as `inspector.<key>`)."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
}
