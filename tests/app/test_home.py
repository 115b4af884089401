"""Home.py through Streamlit's AppTest with the bundled model."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

HOME = str(Path(__file__).resolve().parents[2] / "Home.py")
TIMEOUT = 180  # the first test process may have to build the weight cache


@pytest.fixture
def app(bundled):  # the bundled fixture warms the weight cache before the app loads the model
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.run()
    at.slider(key="ctl_max_new_tokens").set_value(16).run()  # short answers keep the suite fast
    assert not at.exception, at.exception
    return at


def test_home_shows_the_model_card(app):
    text = " ".join(m.value for m in app.markdown) + " ".join(s.value for s in app.subheader)
    assert "SmolLM2-135M-Instruct" in text
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Parameters"] == "135 M" and metrics["Context"] == "8,192 tokens"
    assert metrics["Device"] == "cpu" and metrics["Precision"] == "float32"
    # What was chosen for this CPU by timing, and why (mirror/models/fastlinear.py), as `mirror info` says it.
    captions = " ".join(c.value for c in app.caption).replace("\\", "")  # shown as Markdown, escaped
    assert "chosen on this machine by timing" in captions and "linear layers: auto" in captions


def test_a_native_runtime_that_crashes_is_refused_on_the_model_card(bundled, monkeypatch, tmp_path):
    """MIRROR_RUNTIME=llamacpp whose canary dies of SIGILL: the page works on torch and says why."""
    pytest.importorskip("llama_cpp")
    from mirror.models import canary
    from mirror.config import Settings
    from mirror.models.weight_cache import bundled_cache_dir

    monkeypatch.setitem(canary.PROBES, "llamacpp", "tests.fakes.fake_native:die_of_sigill")
    cache = tmp_path / "cache"
    cache.mkdir()
    real = bundled_cache_dir(Settings.from_env().cache_dir)
    (cache / real.name).symlink_to(real, target_is_directory=True)  # the built weight cache, a fresh verdict
    monkeypatch.setenv("MIRROR_CACHE_DIR", str(cache))
    monkeypatch.setenv("MIRROR_RUNTIME", "llamacpp")
    from mirror.models.pool import shared_pool

    try:
        at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
        at.run()
        assert not at.exception, at.exception
        notes = " ".join(i.value for i in at.info)
        assert "llama.cpp crashed on this CPU: illegal instruction; using torch" in notes
        assert {m.label: m.value for m in at.metric}["Precision"] == "float32"
        assert "Runtime torch" in " ".join(c.value for c in at.caption)
    finally:
        shared_pool().unload(runtime="llamacpp")  # a later llamacpp test must not get this fallback and its note


def test_ask_the_mirror_streams_an_answer(app):
    app.chat_input[0].set_value("What is a mirror?").run()
    assert not app.exception, app.exception
    messages = app.chat_message
    assert [m.name for m in messages] == ["user", "assistant"]
    answer = messages[1].markdown[0].value
    assert answer.strip() and "\ufffd" not in answer and "▌" not in answer
    assert "tokens/s" in messages[1].caption[0].value
    # The answer survives a rerun.
    app.run()
    assert app.chat_message[1].markdown[0].value == answer


def test_blank_question_gets_a_hint(app):
    app.chat_input[0].set_value("   ").run()
    assert not app.exception
    assert any("empty" in i.value for i in app.info)
    assert not app.chat_message


def test_html_in_a_question_is_shown_as_text(app):
    app.chat_input[0].set_value("<script>alert(1)</script> [x](javascript:alert(2))").run()
    shown = app.chat_message[0].markdown[0].value
    assert "\\<script\\>" in shown and "\\[x\\]\\(javascript" in shown


def test_unknown_model_offers_the_bundled_one(bundled, monkeypatch):
    monkeypatch.setenv("MIRROR_MODEL", "./no/such/model")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert "No model folder" in at.error[0].value
    at.button[0].click().run()
    assert not at.error and "SmolLM2-135M-Instruct" in " ".join(s.value for s in at.subheader)


def test_model_choice_follows_the_deployment_policy(bundled, monkeypatch):
    monkeypatch.delenv("MIRROR_ALLOW_ANY_MODEL", raising=False)
    monkeypatch.setenv("MIRROR_MODELS", "SmolLM2-135M-Instruct,gpt2")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.run()
    assert at.selectbox(key="ctl_model").options == ["SmolLM2-135M-Instruct", "gpt2"]
    assert not [t for t in at.text_input if t.key == "ctl_model"]
    monkeypatch.setenv("MIRROR_ALLOW_ANY_MODEL", "1")
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.run()
    assert at.text_input(key="ctl_model").value == "SmolLM2-135M-Instruct"


def test_secrets_file_settings_apply(bundled, monkeypatch):
    import os

    monkeypatch.delenv("MIRROR_MODELS", raising=False)
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    at.secrets["MIRROR_MODELS"] = "SmolLM2-135M-Instruct,distilgpt2"
    at.secrets["unrelated"] = "ignored"
    try:
        at.run()
        assert os.environ.get("MIRROR_MODELS") == "SmolLM2-135M-Instruct,distilgpt2"
        assert "unrelated" not in os.environ
        assert "distilgpt2" in at.selectbox(key="ctl_model").options
    finally:
        os.environ.pop("MIRROR_MODELS", None)
