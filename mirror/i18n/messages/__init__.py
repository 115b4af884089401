"""The catalog's areas: one module per part of the app, each with `MESSAGES: dict[str, Text]`."""
