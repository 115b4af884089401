"""Magic Mirror: watch a small language model write. Entry point: `streamlit run Home.py`."""

import streamlit as st

from mirror.sampling import SamplingParams
from mirror.ui.home import ask_the_mirror, model_card
from mirror.ui.loader import get_model

st.set_page_config(page_title="Magic Mirror", page_icon="🪞", layout="wide")
st.title("🪞 Magic Mirror")
st.write(
    "A small language model you can watch think: chat with it, see how temperature, top-k and top-p "
    "reshape its choices, and inspect why every token came out. Everything runs on this machine."
)

lm = get_model()
if lm is not None:
    model_card(lm.info)
    ask_the_mirror(lm, SamplingParams.preset("Balanced"))
