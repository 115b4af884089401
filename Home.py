"""Magic Mirror: watch a small language model write. Entry point: `streamlit run Home.py`.

Every run starts here: the navigation menu over the page registry (mirror/ui/pages.py), the frame
every page shares (page config, heading, the model, the sidebar), then the chosen page.
"""

from mirror.ui.navigation import navigation
from mirror.ui.page import frame

page, entry = navigation()
frame(entry)
page.run()
