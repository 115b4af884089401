"""Token Inspector: why each token came out, coloured by rank or probability, with alternatives and forks."""

from mirror.ui.inspector import inspector_page
from mirror.ui.frame import current_frame

lm, params = current_frame()
if lm is not None:
    inspector_page(lm, params)
