"""Parameter Explorer: what temperature, top-k, top-p and the penalties do to the next-token distribution."""

from mirror.ui.explorer import explorer_page
from mirror.ui.frame import current_frame

lm, params = current_frame()
if lm is not None:
    explorer_page(lm, params)
