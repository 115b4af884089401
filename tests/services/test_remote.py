"""The OpenAI-compatible client against a fake local server: streaming, parameters, and every failure mode."""

import socket

import pytest

from mirror.services.prompts import Message
from mirror.services.remote import BackendError, RemoteBackend
from mirror.text import redact_url as redact
from mirror.engine.sampling import SamplingParams
from tests.fakes.fake_openai import FakeOpenAI

MESSAGES = [Message("system", "Be brief."), Message("user", "Hi")]
PARAMS = SamplingParams.preset("Balanced", seed=3, max_new_tokens=20)


def test_streams_text_with_raw_logprobs_and_alternatives():
    with FakeOpenAI(["Hel", "lo", " there", "!"]) as server:
        backend = RemoteBackend(server.url).connect()
        assert (backend.model, backend.kind) == ("fake-model", "llamacpp")
        run = backend.chat(MESSAGES, PARAMS)
        steps = list(run)
        result = run.result()
    assert "".join(s.text for s in steps) == result.text == "Hello there!"
    assert result.finish_reason == "eos" and result.tokens == 4 and result.seed == 3
    assert steps[0].raw_prob == pytest.approx(0.6) and steps[0].rank == 1
    assert steps[0].alternatives[1] == ("zzz", pytest.approx(0.1))
    body = server.requests[0]
    assert body["messages"][0] == {"role": "system", "content": "Be brief."} and body["stream"] is True
    assert body["logprobs"] is True and body["top_logprobs"] == 10 and body["seed"] == 3
    assert body["top_k"] == 50 and body["repeat_penalty"] == 1.2 and "no_repeat_ngram_size" not in body


def test_parameters_a_server_lacks_are_not_sent():
    with FakeOpenAI(["ok"], owned_by="openai") as server:
        backend = RemoteBackend(server.url).connect()
        assert set(backend.capabilities.unsupported()) == {"top_k", "repetition_penalty", "no_repeat_ngram_size"}
        list(backend.chat(MESSAGES, PARAMS))
    assert "top_k" not in server.requests[0] and "repetition_penalty" not in server.requests[0]


def test_unreachable_url_says_so():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendError, match="Cannot reach the inference server"):
        RemoteBackend(f"http://127.0.0.1:{port}/v1", timeout=2).connect()
    with pytest.raises(BackendError, match="must start with http"):
        RemoteBackend("ftp://example/v1")


def test_timeout_says_so():
    with FakeOpenAI(["a"], mode="slow_start") as server:
        backend = RemoteBackend(server.url, timeout=1).connect()
        run = backend.chat(MESSAGES, PARAMS)
        with pytest.raises(BackendError, match="did not answer within 1 s"):
            list(run)
        assert run.result().finish_reason == "error"


def test_server_dying_mid_stream_keeps_the_text_so_far():
    with FakeOpenAI(["one", " two", " three", " four"], mode="die_midway") as server:
        run = RemoteBackend(server.url, timeout=5).connect().chat(MESSAGES, PARAMS)
        seen = []
        with pytest.raises(BackendError, match="kept"):
            for step in run:
                seen.append(step.text)
    assert "".join(seen) == run.result().text == "one two"
    assert run.result().finish_reason == "error"


def test_api_key_is_sent_but_never_shown():
    with FakeOpenAI(["ok"], api_key="sk-secret-123") as server:
        RemoteBackend(server.url, api_key="sk-secret-123").connect()
        assert server.headers[-1]["Authorization"] == "Bearer sk-secret-123"
        with pytest.raises(BackendError) as error:
            RemoteBackend(server.url, api_key="wrong").connect()
        assert "refused the API key" in str(error.value) and "wrong" not in str(error.value)
        assert "sk-secret" not in repr(RemoteBackend(server.url, api_key="sk-secret-123"))


def test_cancel_stops_the_stream():
    with FakeOpenAI([f"t{i} " for i in range(50)]) as server:
        run = RemoteBackend(server.url).connect().chat(MESSAGES, PARAMS)
        for step in run:
            if step.index == 2:
                run.cancel()
        assert run.result().finish_reason == "cancelled" and run.result().tokens == 3


@pytest.mark.parametrize("tokens, text, dropped", [
    (["日本", "\ufffd"], "日本", 1),  # a server that was cut inside a character sends U+FFFD for its bytes
    (["🪞 ", "\ufffd", "\ufffd"], "🪞 ", 2),
    (["ok", "\ufffd", " fine"], "ok\ufffd fine", 0),  # one in the middle is not the end of the reply: it stays
])
def test_a_reply_ending_in_a_broken_character_drops_it(tokens, text, dropped):
    with FakeOpenAI(tokens) as server:
        run = RemoteBackend(server.url).connect().chat(MESSAGES, PARAMS)
        steps = list(run)
    result = run.result()
    assert "".join(s.text for s in steps) == result.text == text
    assert result.dropped_bytes == dropped and result.tokens == len(tokens)


def test_redact_drops_credentials():
    assert redact("http://user:pw@host:8000/v1?key=x") == "http://host:8000/v1"
