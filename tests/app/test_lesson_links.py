"""Lesson links through the app: "Link to this" writes the view into the URL, opening it restores the view."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from mirror.ui import state
from tests.app.conftest import HOME, TIMEOUT


def _open(query: dict[str, str], page: str | None = None) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _sidebar_values(at: AppTest) -> dict:
    values = {name: at.slider(key=f"ctl_{name}").value for name in
              ("temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size", "max_new_tokens")}
    values["preset"] = at.selectbox(key="ctl_preset").value
    values["fix_seed"] = at.checkbox(key="ctl_fix_seed").value
    if values["fix_seed"]:
        values["seed"] = at.number_input(key="ctl_seed").value
    return values


def test_link_to_this_writes_the_view_and_a_fresh_visitor_gets_it_back(bundled):
    teacher = _open({})
    teacher.slider(key="ctl_temperature").set_value(1.3).run()
    teacher.slider(key="ctl_top_k").set_value(12).run()
    teacher.checkbox(key="ctl_fix_seed").check().run()
    teacher.number_input(key="ctl_seed").set_value(4242).run()
    teacher.button_group(key="language_switch").set_value("ru").run()
    teacher.button(key="link_to_this").click().run()
    assert not teacher.exception, teacher.exception
    query = teacher.query_params
    assert query["temperature"] == "1.3" and query["top_k"] == "12" and query["seed"] == "4242"
    assert query["lang"] == "ru" and query["model"] == "SmolLM2-135M-Instruct"
    shown = [c.value for c in teacher.sidebar.code]
    assert shown and shown[0].endswith("?" + "&".join(f"{k}={v}" for k, v in query.items()).replace("-", "-"))

    student = _open(dict(query))
    assert _sidebar_values(student) == _sidebar_values(teacher)
    assert student.title[0].value == "🪞 Волшебное зеркало"
    # The link applies once: the student's own change afterwards is kept across reruns.
    student.slider(key="ctl_temperature").set_value(0.2).run()
    student.run()
    assert student.slider(key="ctl_temperature").value == 0.2


def test_a_preset_link_names_the_preset_and_a_bad_value_is_named(bundled):
    at = _open({"temperature": "0.3", "top_k": "20", "top_p": "0.9", "repetition_penalty": "1.3",
                "no_repeat_ngram_size": "3", "max_new_tokens": "99999"})
    assert at.selectbox(key="ctl_preset").value == "Strict"
    assert not at.checkbox(key="ctl_fix_seed").value
    assert any("max_new_tokens" in w.value for w in at.warning)


def test_a_link_cannot_pick_a_model_the_deployment_does_not_offer(bundled, monkeypatch):
    monkeypatch.delenv("MIRROR_ALLOW_ANY_MODEL", raising=False)
    at = _open({"model": "some/hub-model", "temperature": "1"})
    assert any("some/hub-model" in w.value for w in at.warning)
    assert at.selectbox(key="ctl_model").value == "SmolLM2-135M-Instruct"


def test_the_projector_view_hides_the_sidebar_and_has_a_way_out(bundled):
    at = _open({"projector": "1", "temperature": "1"})
    assert at.session_state[state.PROJECTOR_VIEW]
    assert any("stSidebar" in h.proto.body for h in at.get("html"))
    at.button(key="leave_projector").click().run()
    assert not at.session_state[state.PROJECTOR_VIEW]
    assert not any("stSidebar" in h.proto.body for h in at.get("html"))
    assert "projector" not in at.query_params
    at.toggle(key="projector_toggle").set_value(True).run()
    assert at.query_params["projector"] == "1"
