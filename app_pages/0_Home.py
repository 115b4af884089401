"""Home: what the mirror is, the model card, and one question to try it."""

from mirror.ui.home import home_page

home_page()
