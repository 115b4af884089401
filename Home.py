"""Magic Mirror: watch a small language model write. Entry point: `streamlit run Home.py`.

It routes: the navigation menu over the page registry (mirror/ui/pages.py), then the chosen page.
"""

from mirror.ui.navigation import navigation

navigation().run()
