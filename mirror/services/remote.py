"""A client for an OpenAI-compatible inference server (vLLM, llama.cpp's server; Ollama with its limits).

For more users than one machine serves, the mirror talks to an existing engine instead of loading a
model itself. What such a server can tell us is less than the local engine knows: the chosen token's
log-probability and the top alternatives under the RAW model distribution (`logprobs` /
`top_logprobs`), but not the sampler's stages. `RemoteStep` therefore leaves the post-sampler
figures as None, and the pages say so instead of showing numbers nobody computed.

Only the standard library is used (urllib, json): nothing to install, and the API key is only ever
put in the Authorization header, never in a message or a log line.
"""

from __future__ import annotations

import json
import math
import secrets as random_source
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirror.engine.detokenize import REPLACEMENT_CHAR
from mirror.engine.request import FinishReason
from mirror.engine.sampling import SamplingParams
from mirror.i18n import Language, current_language, fmt_number, t
from mirror.models import ModelInfo
from mirror.services.prompts import Message
from mirror.text import redact_url

DEFAULT_TIMEOUT_S = 30.0
TOP_LOGPROBS = 10


class BackendError(RuntimeError):
    """The remote server could not be used; the message is one line for the user (no secrets in it)."""


@dataclass(frozen=True)
class Capabilities:
    """Which decoding parameters a kind of server honours (the others are disabled in the UI)."""

    top_k: bool
    repetition_penalty: bool
    no_repeat_ngram: bool = False  # no OpenAI-compatible server offers it
    seed: bool = True
    top_logprobs: int = TOP_LOGPROBS

    def unsupported(self) -> list[str]:
        names = {"top_k": self.top_k, "repetition_penalty": self.repetition_penalty,
                 "no_repeat_ngram_size": self.no_repeat_ngram, "seed": self.seed}
        return [name for name, ok in names.items() if not ok]


KINDS: dict[str, Capabilities] = {
    "vllm": Capabilities(top_k=True, repetition_penalty=True),
    "llamacpp": Capabilities(top_k=True, repetition_penalty=True),
    "ollama": Capabilities(top_k=False, repetition_penalty=False, top_logprobs=0),
    "openai": Capabilities(top_k=False, repetition_penalty=False, top_logprobs=20),
}


@dataclass(frozen=True)
class RemoteStep:
    """One streamed piece: its text, and where the server sent them, the raw log-probabilities."""

    index: int
    text: str
    token: str
    logprob: float | None
    alternatives: tuple[tuple[str, float], ...]  # (token, raw probability), most likely first
    elapsed: float

    @property
    def raw_prob(self) -> float | None:
        return None if self.logprob is None else math.exp(self.logprob)

    @property
    def rank(self) -> int | None:
        """Rank among the returned alternatives (None when the token is not among them)."""
        tokens = [t for t, _ in self.alternatives]
        return tokens.index(self.token) + 1 if self.token in tokens else None


@dataclass
class RemoteResult:
    text: str
    tokens: int
    finish_reason: FinishReason
    seed: int | None
    seconds: float
    time_to_first_token: float | None
    error: str | None = None
    # U+FFFD the reply ended in (an unfinished character), left out of `text`; the server sends no
    # bytes, so each counts as one.
    dropped_bytes: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    @property
    def new_tokens(self) -> int:  # the name the local GenerationResult uses
        return self.tokens


def _parse_sse(lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """Server-sent events: `data: {...}` lines, ending with `data: [DONE]`.

    A stream that ends without `[DONE]` was cut off (the server went away): ConnectionError.
    """
    for raw in lines:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        yield json.loads(payload)
    raise ConnectionError("the stream ended before the server said it was done")


@dataclass
class RemoteBackend:
    url: str  # base URL ending in /v1
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    kind: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise BackendError(t("chat.remote.bad_url", url=repr(redact_url(self.url))))

    # --- HTTP --------------------------------------------------------------------------------------

    def request(self, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers=headers,
                                         method="GET" if body is None else "POST")
        where = redact_url(self.url)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            detail = ""
            try:
                detail = json.loads(error.read() or b"{}").get("error", {})
                detail = detail.get("message", "") if isinstance(detail, dict) else str(detail)
            except (ValueError, OSError):
                pass
            if error.code in (401, 403):
                raise BackendError(t("chat.remote.refused_key", where=where, code=error.code)) from None
            if detail:
                raise BackendError(t("chat.remote.http_error_detail", where=where, code=error.code,
                                     detail=detail[:200])) from None
            raise BackendError(t("chat.remote.http_error", where=where, code=error.code)) from None
        except (TimeoutError, socket.timeout):
            raise BackendError(t("chat.remote.timeout", where=where, seconds=fmt_number(self.timeout, 0))) from None
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise BackendError(t("chat.remote.unreachable", where=where, reason=reason)) from None

    def models(self) -> list[dict[str, Any]]:
        with self.request("/models") as response:
            return list(json.loads(response.read()).get("data", []))

    def connect(self) -> "RemoteBackend":
        """Check the server, pick its model (the first one unless set) and guess its kind."""
        listed = self.models()
        if not listed:
            raise BackendError(t("chat.remote.no_model", where=redact_url(self.url)))
        ids = [m.get("id", "") for m in listed]
        if self.model is None:
            self.model = ids[0]
        elif self.model not in ids:
            raise BackendError(t("chat.remote.unknown_model", model=self.model, served=", ".join(ids)))
        if self.kind is None:
            owner = str(listed[ids.index(self.model)].get("owned_by", "")).lower()
            self.kind = "vllm" if "vllm" in owner else "ollama" if "ollama" in owner else \
                "openai" if owner in ("openai", "system") else "llamacpp"
        return self

    @property
    def capabilities(self) -> Capabilities:
        return KINDS.get(self.kind or "openai", KINDS["openai"])

    def request_body(self, messages: Sequence[Message], params: SamplingParams, seed: int) -> dict[str, Any]:
        caps = self.capabilities
        body: dict[str, Any] = {
            "model": self.model, "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": params.max_new_tokens, "stream": True,
            "temperature": params.temperature, "top_p": params.top_p,
        }
        if caps.seed:
            body["seed"] = seed
        if caps.top_logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = min(TOP_LOGPROBS, caps.top_logprobs)
        if caps.top_k and params.top_k:
            body["top_k"] = params.top_k
        if caps.repetition_penalty and params.repetition_penalty != 1.0:
            # vLLM calls it repetition_penalty, llama.cpp repeat_penalty; each ignores the other's name.
            body["repetition_penalty"] = body["repeat_penalty"] = params.repetition_penalty
        return body

    def chat(self, messages: Sequence[Message], params: SamplingParams) -> "RemoteGeneration":
        return RemoteGeneration(self, messages, params)


class RemoteGeneration:
    """A streamed chat reply from the server: a `ReplyStream`, like the local `Generation`."""

    def __init__(self, backend: RemoteBackend, messages: Sequence[Message], params: SamplingParams):
        self.backend = backend
        self.params = params
        self.messages = list(messages)
        self.seed = params.seed if params.seed is not None else random_source.randbelow(2**31)
        self.prompt_ids: list[int] = []  # the server tokenizes; we do not know the ids
        self.dropped_prompt_tokens = 0
        self.finish_reason: FinishReason | None = None
        self.error: str | None = None
        self._cancel = threading.Event()
        self._text = ""
        self._held = ""  # trailing U+FFFD not shown yet: more text keeps them, the end drops them
        self._tokens = 0
        self._started: float | None = None
        self._first: float | None = None
        self._ended: float | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def stream(self, on_wait: Callable[[int], None] | None = None) -> Iterator[RemoteStep]:
        """The reply's steps as the server sends them (a server keeps its own queue: `on_wait` is never called)."""
        return iter(self)

    def replies_running(self) -> int:
        return 0  # the server does not say

    def __iter__(self) -> Iterator[RemoteStep]:
        self._started = time.perf_counter()
        body = self.backend.request_body(self.messages, self.params, self.seed)
        try:
            response = self.backend.request("/chat/completions", body)
        except BackendError as error:
            self._end(FinishReason.ERROR, str(error))
            raise
        with response:
            try:
                for chunk in _parse_sse(iter(response.readline, b"")):
                    if self._cancel.is_set():
                        self._end(FinishReason.CANCELLED)
                        return
                    yield from self._steps(chunk)
                    reason = (chunk.get("choices") or [{}])[0].get("finish_reason")
                    if reason:
                        # "stop", or a reason of the server's own (content_filter, tool_calls): it ended by itself.
                        self._end(FinishReason.LENGTH if reason == "length" else FinishReason.EOS)
                        return
            except (TimeoutError, socket.timeout):
                message = t("chat.remote.stalled", seconds=fmt_number(self.backend.timeout, 0))
            except (ConnectionError, OSError, ValueError) as error:
                message = t("chat.remote.broke", kind=type(error).__name__)
            else:  # [DONE] without a finish reason
                self._end(FinishReason.EOS)
                return
            self._end(FinishReason.ERROR, message)
            raise BackendError(message + t("chat.remote.text_kept"))

    def _steps(self, chunk: dict[str, Any]) -> Iterator[RemoteStep]:
        choice = (chunk.get("choices") or [{}])[0]
        text = (choice.get("delta") or {}).get("content") or ""
        entries = ((choice.get("logprobs") or {}).get("content") or [])
        if not entries and text:  # no log-probabilities from this server: one step per text piece
            entries = [{"token": text, "logprob": None, "top_logprobs": []}]
        for n, entry in enumerate(entries):
            now = time.perf_counter()
            if self._first is None:
                self._first = now
            self._tokens += 1
            piece = self._held + (text if n == len(entries) - 1 else "")  # the chunk's text comes with its last token
            shown = piece.rstrip(REPLACEMENT_CHAR)
            piece, self._held = shown, piece[len(shown):]
            self._text += piece
            yield RemoteStep(
                index=self._tokens - 1, text=piece, token=entry.get("token", ""),
                logprob=entry.get("logprob"),
                alternatives=tuple((a.get("token", ""), math.exp(a["logprob"])) for a in entry.get("top_logprobs") or []
                                   if a.get("logprob") is not None),
                elapsed=now - (self._started or now),
            )

    def _end(self, reason: FinishReason, error: str | None = None) -> None:
        if self.finish_reason is None:
            self.finish_reason, self.error, self._ended = reason, error, time.perf_counter()

    def result(self) -> RemoteResult:
        end = self._ended or time.perf_counter()
        start = self._started or end
        return RemoteResult(text=self._text, tokens=self._tokens, finish_reason=self.finish_reason or FinishReason.RUNNING,
                            seed=self.seed, seconds=end - start,
                            time_to_first_token=None if self._first is None else self._first - start, error=self.error,
                            dropped_bytes=len(self._held))


# --- the remote server as the app's model -----------------------------------------------------------


@dataclass
class RemoteModel:
    """What the pages get instead of a `LoadedModel` when MIRROR_BACKEND_URL is set."""

    backend: RemoteBackend
    info: ModelInfo

    @property
    def unsupported(self) -> list[str]:
        return self.backend.capabilities.unsupported()

    @property
    def note(self) -> str:
        """What the model card says about the server, in the current language (`info.note` is English: the
        connection is shared by every session, whatever language each one speaks)."""
        return remote_note(self.backend.kind, self.info.location, self.unsupported)

    def next_token_alternatives(self, prompt: str) -> list[tuple[str, float]]:
        """The server's top raw alternatives for the token after `prompt` (legacy completions API)."""
        body = {"model": self.backend.model, "prompt": prompt, "max_tokens": 1, "temperature": 0,
                "logprobs": min(TOP_LOGPROBS, self.backend.capabilities.top_logprobs or TOP_LOGPROBS)}
        with self.backend.request("/completions", body) as response:
            choice = (json.loads(response.read()).get("choices") or [{}])[0]
        top = ((choice.get("logprobs") or {}).get("top_logprobs") or [{}])[0] or {}
        return sorted(((t, math.exp(lp)) for t, lp in top.items()), key=lambda pair: -pair[1])


def _parameter_name(name: str, language: Language) -> str:
    """A parameter the server lacks, as the sidebar names it in Russian (English: its id, as it always was)."""
    if language == "en":
        return name
    return t("common.sidebar.seed" if name == "seed" else f"common.param.{name}", language=language)


def remote_note(kind: str | None, where: str, missing: Sequence[str], language: Language | None = None) -> str:
    """What a server can show and what it lacks, for the model card (default: in the current language)."""
    language = language or current_language()
    note = t("chat.remote.note", language=language, kind=kind, where=where)
    if missing:
        note += t("chat.remote.note_missing", language=language,
                  names=", ".join(_parameter_name(name, language) for name in missing))
    return note


def connect_remote(url: str, api_key: str | None = None, model: str | None = None,
                   timeout: float = DEFAULT_TIMEOUT_S) -> RemoteModel:
    """Connect to the server and describe it like a loaded model (for the model card)."""
    started = time.perf_counter()
    backend = RemoteBackend(url, api_key=api_key, model=model, timeout=timeout).connect()
    listed = {m.get("id"): m for m in backend.models()}
    context = int(listed.get(backend.model, {}).get("max_model_len") or 0)
    note = remote_note(backend.kind, redact_url(url), backend.capabilities.unsupported(), language="en")
    info = ModelInfo(name=backend.model or "?", source="remote", location=redact_url(url), device=f"remote ({backend.kind})",
                     dtype="server-side", parameters=0, context_length=context,
                     load_seconds=time.perf_counter() - started, from_cache=False, has_chat_template=True, note=note)
    return RemoteModel(backend, info)
