"""A tiny fake OpenAI-compatible server on 127.0.0.1 for client tests: scripted, misbehaving on request."""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """Streams `tokens` as a chat completion. `mode`: ok | slow_start | die_midway | unauthorized."""

    def __init__(self, tokens: list[str], owned_by: str = "llamacpp", mode: str = "ok", api_key: str | None = None):
        self.tokens, self.owned_by, self.mode, self.api_key = tokens, owned_by, mode, api_key
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _authorised(self) -> bool:
                fake.headers.append(dict(self.headers))
                if fake.api_key and self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps({"error": {"message": "bad key"}}).encode())
                    return False
                return True

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                body = json.dumps({"data": [{"id": "fake-model", "owned_by": fake.owned_by}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                fake.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                if not self._authorised():
                    return
                if fake.mode == "slow_start":
                    time.sleep(3)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, token in enumerate(fake.tokens):
                    if fake.mode == "die_midway" and i == 2:
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    top = [{"token": token, "logprob": math.log(0.6)}, {"token": "zzz", "logprob": math.log(0.1)}]
                    chunk = {"choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None,
                                          "logprobs": {"content": [{"token": token, "logprob": math.log(0.6),
                                                                    "top_logprobs": top}]}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda *args: None  # a client that hangs up mid-stream is expected here
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
