"""Class: join the teacher's class and play its rounds (guess, vote, draw)."""

from mirror.ui.classroom import class_page

class_page()
