"""Parameter Explorer: what temperature, top-k, top-p and the penalties do to the next-token distribution."""

from mirror.ui.explorer import explorer_page
from mirror.ui.page import setup_page

lm, params = setup_page("Parameter Explorer", "🎛️")
if lm is not None:
    explorer_page(lm, params)
