"""A local stub of the OpenAI chat-completions API (``POST /v1/chat/completions``, ``GET /v1/models``).

It stands in for a vLLM server or hosted API (unreachable in tests): it records each request and answers
with scripted text, so the real client code (:mod:`red_aes.chat`) does the HTTP and image encoding.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

from red_aes.images import load_image


def decode_image_url(url: str) -> Image.Image:
    """The image of a PNG data URL (what the client sends), decoded apart from the code under test."""
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    return load_image(base64.b64decode(url[len(prefix) :]))


class ChatStub:
    """Answers POST /v1/chat/completions with the next scripted reply (text, or an HTTP status)."""

    def __init__(self, replies: list[str | int], models: tuple[str, ...] = ("stub-model",)) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/v1/models":
                    self.send_response(404)
                    self.end_headers()
                    return
                payload = json.dumps({"data": [{"id": name, "object": "model"} for name in models]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    stub.requests.append(body)
                    stub.headers.append({k.lower(): v for k, v in self.headers.items()})
                    reply = stub.replies.pop(0)
                if self.path != "/v1/chat/completions":
                    reply = 404
                if isinstance(reply, int):
                    self.send_response(reply)
                    self.end_headers()
                    self.wfile.write(b'{"error": "scripted failure"}')
                    return
                payload = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": reply}}]}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ChatStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
