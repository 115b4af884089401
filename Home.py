"""Magic Mirror: watch a small language model write. Entry point: `streamlit run Home.py`."""

import streamlit as st

from mirror.ui.home import ask_the_mirror, model_card
from mirror.ui.page import setup_page

lm, params = setup_page("Magic Mirror", "🪞")
st.write(
    "A small language model you can watch think: chat with it, see how temperature, top-k and top-p "
    "reshape its choices, and inspect why every token came out. Everything runs on this machine."
)
st.page_link("pages/1_Chat.py", label="Chat with the mirror", icon="💬")
if lm is not None:
    model_card(lm.info)
    ask_the_mirror(lm, params)
