"""Lesson links through the app: "Link to this" writes the view into the URL, opening it restores the view."""

from __future__ import annotations

from urllib.parse import urlencode

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
    # A link that names the model: it stays on the Russian page too (a Russian visitor who has not picked a
    # model gets Gemma where it is installed).
    teacher = _open({"model": "SmolLM2-135M-Instruct"})
    teacher.slider(key="ctl_temperature").set_value(1.3).run()
    teacher.slider(key="ctl_top_k").set_value(12).run()
    teacher.checkbox(key="ctl_fix_seed").check().run()
    teacher.number_input(key="ctl_seed").set_value(4242).run()
    teacher.button_group(key="language_switch").set_value("ru").run()
    teacher.button(key="link_to_this").click().run()
    assert not teacher.exception, teacher.exception
    query = {k: v for k, v in dict(teacher.query_params).items() if k != "me"}
    assert query["temperature"] == "1.3" and query["top_k"] == "12" and query["seed"] == "4242"
    assert query["lang"] == "ru" and query["model"] == "SmolLM2-135M-Instruct"
    shown = [c.value for c in teacher.sidebar.code]
    # The link shown is the view alone: never the teacher's identity token (`me`), which the address bar has.
    assert shown and shown[0] == "?" + urlencode(query) and "me=" not in shown[0]

    student = _open(query)
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


def _main_texts(at: AppTest) -> list[str]:
    """Everything the page's main area shows (not the sidebar, which holds the link itself)."""
    from tests.app.language_kit import shown_texts

    # raw_value: how the value reached the widget (typed, or set from session state), not what it shows
    return [text for field, text in shown_texts(at, at.main) if field != "raw_value"]


def _link_of(at: AppTest) -> dict[str, str]:
    at.button(key="link_to_this").click().run()
    assert not at.exception, at.exception
    return {k: v for k, v in dict(at.query_params).items() if k != "me"}


def _fresh(query: dict[str, str], page: str) -> AppTest:
    """A new visitor who opens the link straight on its page."""
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_an_explorer_link_reopens_the_same_prompt_tab_and_text(bundled):
    from mirror.ui.explorer.kept import KEPT
    from mirror.ui.explorer.page import TABS

    teacher = _open({}, "app_pages/2_Parameter_Explorer.py")
    teacher.text_area(key=KEPT.widget_key("prompt")).set_value("The old lighthouse keeper").run()
    teacher.number_input(key=KEPT.widget_key("seed")).set_value(7).run()
    teacher.slider(key=KEPT.widget_key("tokens")).set_value(6).run()
    teacher.session_state[state.EXPLORER_TAB] = TABS[1]  # the temperature tab: texts written with the seed
    teacher.run()
    link = _link_of(teacher)
    assert link["prompt"] == "The old lighthouse keeper" and link["page_seed"] == "7" and link["tab"] == "temperature"
    student = _fresh(link, "app_pages/2_Parameter_Explorer.py")
    assert student.session_state[state.EXPLORER_TAB] == TABS[1]
    assert _main_texts(student) == _main_texts(teacher)


def test_an_inspector_link_reopens_the_text_and_the_chosen_token(bundled):
    teacher = _open({"lang": "ru"}, "app_pages/3_Token_Inspector.py")
    teacher.text_area(key=state.INSPECTOR_TEXT).set_value("Зеркало на стене отражает свет.").run()
    next(b for b in teacher.button if b.proto.type == "primary").click().run()
    teacher.selectbox(key=state.INSPECTOR_SELECTED).set_value(3).run()
    link = _link_of(teacher)
    assert link["text"] == "Зеркало на стене отражает свет." and link["token"] == "3" and link["lang"] == "ru"
    student = _fresh(link, "app_pages/3_Token_Inspector.py")
    assert student.selectbox(key=state.INSPECTOR_SELECTED).value == 3
    assert _main_texts(student) == _main_texts(teacher)


def test_an_inspector_link_to_a_chat_reply_scores_it_as_it_was_written(bundled):
    # A reply is scored after the prompt it answered, with the sampler's own probabilities beside the model's;
    # the link carries both, so the class sees the teacher's figures, not those of the text on its own.
    teacher = _open({}, "app_pages/1_Chat.py")
    teacher.slider(key="ctl_max_new_tokens").set_value(10).run()
    teacher.checkbox(key="ctl_fix_seed").check().run()
    teacher.number_input(key="ctl_seed").set_value(5).run()
    teacher.chat_input(key=state.CHAT_BOX).set_value("Name a colour.").run()
    turn = teacher.session_state[state.CONVERSATION].turns[1]
    teacher.button(key=f"inspect_{turn.id}").click().run()
    teacher.switch_page("app_pages/3_Token_Inspector.py").run()  # AppTest's own page follows the switch
    teacher.selectbox(key=state.INSPECTOR_SELECTED).set_value(2).run()
    current = teacher.session_state[state.INSPECTOR_CURRENT]
    assert current["origin"] == "chat" and current["context"] and current["sampler_probs"]
    link = _link_of(teacher)
    assert link["written"].startswith("chat~5~")
    student = _fresh(link, "app_pages/3_Token_Inspector.py")
    again = student.session_state[state.INSPECTOR_CURRENT]
    for name in ("text", "ids", "context", "sampler_probs", "origin", "seed"):
        assert again[name] == current[name], name
    assert any("sampler" in m.label for m in student.metric)
    assert _main_texts(student) == _main_texts(teacher)


def test_an_inspector_link_made_with_another_vocabulary_scores_the_text_on_its_own(bundled):
    link = {"text": "A mirror", "written": f"chat~5~{len(bundled.tokenizer) + 7}.12~1.2~0.5_0.25"}
    student = _fresh(link, "app_pages/3_Token_Inspector.py")
    current = student.session_state[state.INSPECTOR_CURRENT]
    assert current["origin"] == "paste" and current["context"] == [] and current["ids"] == bundled.encode("A mirror")
    assert any("vocabulary" in w.value for w in student.warning)
    broken = _fresh({"text": "A mirror", "written": "chat~5~1.2~~0.5_0.5_0.5"}, "app_pages/3_Token_Inspector.py")
    assert broken.session_state[state.INSPECTOR_CURRENT]["origin"] == "paste"  # refused, and named:
    assert any("written" in w.value for w in broken.warning)


def test_an_inside_link_reopens_the_text_position_and_tab(bundled):
    from mirror.ui.inside.page import TABS

    teacher = _open({}, "app_pages/7_Inside_the_Mirror.py")
    teacher.text_area(key=state.INSIDE_TEXT).set_value("A mirror shows the room").run()
    next(b for b in teacher.button if b.proto.type == "primary").click().run()
    teacher.session_state["inside_tab"] = TABS[1]
    teacher.run()
    teacher.select_slider(key=state.INSIDE_POSITION).set_value(2).run()
    link = _link_of(teacher)
    assert link["text"] == "A mirror shows the room" and link["position"] == "2" and link["tab"] == "lens"
    student = _fresh(link, "app_pages/7_Inside_the_Mirror.py")
    assert student.select_slider(key=state.INSIDE_POSITION).value == 2
    assert _main_texts(student) == _main_texts(teacher)


def test_a_chat_link_asks_every_question_again_and_a_fixed_seed_writes_the_same_replies(bundled):
    teacher = _open({}, "app_pages/1_Chat.py")
    teacher.slider(key="ctl_max_new_tokens").set_value(12).run()
    teacher.checkbox(key="ctl_fix_seed").check().run()
    teacher.number_input(key="ctl_seed").set_value(11).run()
    questions = ["Tell me about mirrors", "And about glass?", "Thank you!"]
    for question in questions:
        teacher.chat_input(key=state.CHAT_BOX).set_value(question).run()
    link = _link_of(teacher)
    assert [link["ask"], link["ask2"], link["ask3"]] == questions and link["seed"] == "11" and "ask4" not in link
    student = _fresh(link, "app_pages/1_Chat.py")
    # Each question is asked once the reply before it is written, so the whole conversation comes back.
    conversations = [[(m.name, m.markdown[0].value) for m in at.chat_message] for at in (teacher, student)]
    assert [name for name, _ in conversations[1]] == ["user", "assistant"] * 3
    assert conversations[0] == conversations[1]
    assert not student.session_state[state.LINK_QUESTIONS]

    # Opened again in the same session, the link asks nothing more; the visitor's conversation stays.
    student.run()
    assert len(student.chat_message) == 6


def test_a_chat_link_never_asks_into_a_conversation_the_visitor_has(bundled):
    link = {"ask": "First?", "ask2": "Second?", "max_new_tokens": "4"}
    at = _open({}, "app_pages/1_Chat.py")
    at.slider(key="ctl_max_new_tokens").set_value(4).run()
    at.chat_input(key=state.CHAT_BOX).set_value("My own question").run()
    for key, value in link.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    assert [m.markdown[0].value for m in at.chat_message if m.name == "user"] == ["My own question"]


def test_a_link_too_long_for_web_servers_leaves_out_the_last_questions_and_says_so(bundled):
    at = _open({}, "app_pages/1_Chat.py")
    at.slider(key="ctl_max_new_tokens").set_value(2).run()
    for number in range(1, 5):
        at.chat_input(key=state.CHAT_BOX).set_value(f"{number}: " + "Зеркало " * 60).run()  # 2.6 KB each in a link
    link = _link_of(at)
    assert [key for key in link if key.startswith("ask")] == ["ask", "ask2"]
    assert any("вопрос 3, вопрос 4" in c.value or "question 3, question 4" in c.value for c in at.sidebar.caption)
