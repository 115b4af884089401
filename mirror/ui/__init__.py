"""The only part of mirror that imports streamlit: the cached loader, session state and widgets."""
