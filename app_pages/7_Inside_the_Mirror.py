"""Inside the Mirror: the tokens, what each layer would predict, where each head looks, and what each word did."""

from mirror.ui.inside.page import inside_page
from mirror.ui.frame import current_frame

lm, params = current_frame()
if lm is not None:
    inside_page(lm, params)
