"""Parameter Explorer: what temperature, top-k, top-p and the penalties do to the next-token distribution."""

from mirror.ui.explorer import explorer_page
from mirror.ui.page import frame
from mirror.ui.pages import EXPLORER

lm, params = frame(EXPLORER)
if lm is not None:
    explorer_page(lm, params)
