"""The explorer's explanations: they live in the catalog (`explorer.*`); here the guide's table is built from it."""

from __future__ import annotations

import pandas as pd

from mirror.i18n import t
from mirror.ui.controls import param_label

GUIDE_PARAMS = ("temperature", "top_k", "top_p", "repetition_penalty")


def settings_table() -> pd.DataFrame:
    """What each setting does at a low and a high value, in the current language."""
    return pd.DataFrame(
        [(param_label(name), t(f"explorer.guide.{name}.low"), t(f"explorer.guide.{name}.high"),
          t(f"explorer.guide.{name}.control")) for name in GUIDE_PARAMS],
        columns=[t("explorer.guide.col.parameter"), t("explorer.guide.col.low"), t("explorer.guide.col.high"),
                 t("explorer.guide.col.control")],
    )
