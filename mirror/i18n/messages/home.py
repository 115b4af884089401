"""Texts of the home area (keys read as `home.<key>`)."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
}
