"""Projector: the teacher's big screen for the class's games (guess the word, be the sampler, draw)."""

from mirror.ui.frame import current_frame
from mirror.ui.projector import projector_page

lm, params = current_frame()
if lm is not None:
    projector_page(lm, params)
