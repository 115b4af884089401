"""Class: join the teacher's class and guess the mirror's next word."""

from mirror.ui.classroom import class_page

class_page()
