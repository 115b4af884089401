"""The Parameter Explorer: the sampler's stages on the real next-token distribution, settings side by side,
a grid run, and "be the sampler"."""

from mirror.ui.explorer.page import TABS, explorer_page

__all__ = ["TABS", "explorer_page"]
