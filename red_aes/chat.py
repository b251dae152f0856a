"""A minimal client for OpenAI-compatible chat-completions endpoints (a vLLM server, a hosted API).

It speaks ``POST {base_url}/chat/completions`` with the standard library only. ``huggingface_hub``'s
``InferenceClient`` was the other option, but it refuses every request when ``HF_HUB_OFFLINE=1``, which
clusters often set while their judge runs on a local vLLM server; this client never talks to the Hub.
Images travel as base64 PNG data URLs. The API key is read from the environment variable the config
names, never from the config itself.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from PIL import Image

from red_aes.errors import InputError, RedAesError

#: HTTP statuses worth a retry (rate limits and transient server errors).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class EndpointError(RedAesError, RuntimeError):
    """The endpoint could not be reached or answered with an error; the message names URL and reason."""


def image_data_url(image: Image.Image) -> str:
    """``image`` as a ``data:image/png;base64,...`` URL (PNG, so the judge sees the exact pixels)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def to_openai_messages(messages: list[dict[str, Any]], images: list[Image.Image]) -> list[dict[str, Any]]:
    """Fill the ``{"type": "image"}`` placeholders of :func:`red_aes.prompts.build_messages` with
    ``images`` in order, as ``image_url`` parts; text-only contents become plain strings."""
    remaining = list(images)
    converted = []
    for message in messages:
        parts = []
        for part in message["content"]:
            if part["type"] == "image":
                if not remaining:
                    raise InputError("the messages have more image placeholders than images given")
                parts.append({"type": "image_url", "image_url": {"url": image_data_url(remaining.pop(0))}})
            else:
                parts.append(part)
        if all(p["type"] == "text" for p in parts):
            converted.append({"role": message["role"], "content": "\n".join(p["text"] for p in parts)})
        else:
            converted.append({"role": message["role"], "content": parts})
    if remaining:
        raise InputError(f"{len(remaining)} image(s) left over: the messages have fewer placeholders")
    return converted


class ChatEndpoint:
    """``chat(messages) -> str`` against ``{base_url}/chat/completions``."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        timeout: float = 120.0,
        max_retries: int = 2,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"endpoint base_url must start with http:// or https://, got {base_url!r}")
        if not model:
            raise InputError("endpoint model name is empty")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key: str | None = None
        if api_key_env:
            self.api_key = os.environ.get(api_key_env)
            if not self.api_key:
                raise InputError(f"environment variable {api_key_env} (the endpoint's API key) is not set")
        self.max_tokens, self.temperature = max_tokens, temperature
        self.timeout, self.max_retries = timeout, max_retries

    @staticmethod
    def served_models(base_url: str, *, api_key_env: str | None = None, timeout: float = 30.0) -> list[str]:
        """The model names ``GET {base_url}/models`` lists (a vLLM server lists the one it serves)."""
        url = base_url.rstrip("/") + "/models"
        key = os.environ.get(api_key_env) if api_key_env else None
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=timeout
            ) as response:
                listing = json.loads(response.read())
            names = [str(entry["id"]) for entry in listing["data"]]
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            raise EndpointError(f"{url}: cannot list the served models ({err}); name one") from err
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise EndpointError(f"{url}: not a model list ({err}); name the served model") from err
        if not names:
            raise EndpointError(f"{url}: the server lists no model")
        return names

    def chat(
        self, messages: list[dict[str, Any]], *, temperature: float | None = None, seed: int | None = None
    ) -> str:
        """The text of the first choice of a chat completion; EndpointError on any failure."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature if temperature is None else temperature,
        }
        if seed is not None:
            payload["seed"] = seed
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = json.dumps(payload).encode()
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    answer = json.loads(response.read())
                break
            except urllib.error.HTTPError as err:
                detail = err.read()[:300].decode("utf-8", "replace")
                if err.code in RETRY_STATUSES and attempt < self.max_retries:
                    time.sleep(2.0**attempt)
                    continue
                raise EndpointError(f"{self.url}: HTTP {err.code}: {detail}") from err
            except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as err:
                if attempt < self.max_retries:
                    time.sleep(2.0**attempt)
                    continue
                raise EndpointError(f"{self.url}: cannot reach the endpoint ({err})") from err
            except json.JSONDecodeError as err:
                raise EndpointError(f"{self.url}: the answer is not JSON ({err})") from err
        return _first_text(answer, self.url)


def _first_text(answer: Any, url: str) -> str:
    """``choices[0].message.content`` as text (string or list of text parts)."""
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as err:
        raise EndpointError(
            f"{url}: the answer has no choices[0].message.content: {str(answer)[:300]}"
        ) from err
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str):
        raise EndpointError(f"{url}: message content is {type(content).__name__}, not text")
    return content
