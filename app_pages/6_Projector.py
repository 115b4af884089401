"""Projector: the teacher's live "Guess the next word" round, for the big screen."""

from mirror.ui.classroom import projector_page
from mirror.ui.frame import current_frame

lm, params = current_frame()
if lm is not None:
    projector_page(lm, params)
