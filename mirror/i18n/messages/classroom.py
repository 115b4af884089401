"""Texts of the classroom area (keys read as `classroom.<key>`)."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
}
