"""Inside the Mirror: the page's Streamlit views (tokens, logit lens, attention)."""
