"""What the pages do, without Streamlit: prompts, conversations, scoring, the explorer and the inspector,
remote servers and the store. Layer: above `mirror.models` and `mirror.engine`, below `mirror.ui`.
"""
