"""The Teacher page's "Rounds" tab: a class's record of its games (mirror.services.class_record), its CSV
and its clearing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mirror.i18n import t
from mirror.services.class_record import COLUMNS, class_record, clear_record, rows_csv
from mirror.services.store import StoreError
from mirror.ui.class_views import game_title
from mirror.ui.store import get_store
from mirror.ui.tables import show_table

CONFIRM = "teacher_confirm_rounds"
SHOWN = ("round", "game", "prompt", "student", "answer", "answer_probability", "model_choice", "class_choice",
         "round_score")


def rounds_tab(class_code: str | None, allowed: bool) -> None:
    """The record of `class_code` (none: ask for a class); `allowed` is the caller's teacher check."""
    if not class_code:
        st.info(t("classroom.record.pick_class"))
        return
    store = get_store()
    if store is None or not allowed:
        return
    notice = st.session_state.pop("teacher_rounds_notice", None)
    if notice:
        st.success(t("classroom.record.cleared", code=class_code, count=notice))
    try:
        rows = class_record(store, class_code)
    except StoreError as error:
        st.error(str(error))
        return
    st.download_button(t("classroom.record.csv"), rows_csv(rows), file_name=f"class-{class_code}-rounds.csv",
                       mime="text/csv")
    table = pd.DataFrame(rows, columns=list(COLUMNS))[list(SHOWN)]
    table["game"] = table["game"].map(game_title)
    label = {name: t(f"classroom.record.column.{name}") for name in SHOWN}
    number = st.column_config.NumberColumn(format="%.4f")
    show_table(table.rename(columns=label), hide_index=True,
               column_config={label["answer_probability"]: number, label["round_score"]: number})
    st.checkbox(t("classroom.record.confirm", code=class_code), key=CONFIRM)
    if st.button(t("classroom.record.clear")):
        if not st.session_state.get(CONFIRM):
            st.warning(t("classroom.teacher.tick_first"))
            return
        try:
            st.session_state["teacher_rounds_notice"] = clear_record(store, class_code)
        except StoreError as error:
            st.error(t("classroom.teacher.not_deleted", error=error))
            return
        st.rerun()
