"""The ``endpoint`` scorer: a model served behind an OpenAI-compatible chat endpoint (e.g. vLLM).

The model is asked with the project's versioned prompts (:func:`red_aes.prompts.build_messages`) and its
answer is read with :func:`red_aes.parsing.parse_answer`, like a local VLM's reasoning decoding; an
unparseable answer is an invalid result, never a guessed number. The HTTP client is
:class:`red_aes.chat.ChatEndpoint` (standard library; works under ``HF_HUB_OFFLINE=1``). Only reasoning
decoding is offered: fast decoding needs the probabilities of every well-formed answer, which a chat
endpoint does not give. The requests of one batch run ``concurrency`` at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PIL import Image

from red_aes.chat import ChatEndpoint, to_openai_messages
from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS
from red_aes.parsing import Kind
from red_aes.prompts import PROMPT_VERSION, build_messages, get_template
from red_aes.scoring.base import BaseScorer, parsed_result
from red_aes.types import AestheticDelta, AestheticScore, Decoding


class EndpointScorer(BaseScorer):
    """Deltas and scores from a served chat model; ``model_name`` is ``endpoint:<served model>``."""

    name = "endpoint"

    def __init__(
        self,
        client: ChatEndpoint,
        *,
        prompt_version: str = PROMPT_VERSION,
        concurrency: int = 4,
        batch_size: int = 8,
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    ) -> None:
        super().__init__(batch_size=batch_size, max_input_pixels=max_input_pixels)
        if concurrency < 1:
            raise InputError(f"endpoint concurrency must be >= 1, got {concurrency}")
        get_template(prompt_version)
        self.client = client
        self.prompt_version = prompt_version
        self.concurrency = concurrency
        self.model_name = f"endpoint:{client.model}"

    @classmethod
    def from_pretrained(
        cls,
        model: str = "endpoint",
        *,
        base_url: str,
        endpoint_model: str | None = None,
        api_key_env: str | None = None,
        prompt_version: str = PROMPT_VERSION,
        max_tokens: int = 512,
        timeout: float = 120.0,
        concurrency: int = 4,
        batch_size: int = 8,
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    ) -> EndpointScorer:
        """Registry constructor: ``base_url`` is the server's API root (``http://host:8000/v1``) and
        ``endpoint_model`` the served model's name (default: the first the server lists)."""
        if model != cls.name:
            raise InputError(f"EndpointScorer serves model 'endpoint', not {model!r}")
        served = (
            endpoint_model
            or ChatEndpoint.served_models(base_url, api_key_env=api_key_env, timeout=timeout)[0]
        )
        client = ChatEndpoint(
            base_url, served, api_key_env=api_key_env, max_tokens=max_tokens, temperature=0.0, timeout=timeout
        )
        return cls(
            client,
            prompt_version=prompt_version,
            concurrency=concurrency,
            batch_size=batch_size,
            max_input_pixels=max_input_pixels,
        )

    def cache_identity(self) -> dict[str, Any]:
        """The server and the answer length join the model name in a cache key."""
        return {"url": self.client.url, "max_tokens": self.client.max_tokens}

    def _ask(self, kind: str, answer: Kind, images: list[Image.Image], instruction: str | None) -> Any:
        messages = build_messages(kind, instruction, version=self.prompt_version)
        text = self.client.chat(to_openai_messages(messages, images))
        return parsed_result(
            answer, text, model=self.model_name, prompt_version=self.prompt_version, decoding="reasoning"
        )

    def _ask_all(
        self, kind: str, answer: Kind, items: list[tuple[list[Image.Image], str | None]]
    ) -> list[Any]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda item: self._ask(kind, answer, *item), items))

    @staticmethod
    def _check_decoding(decoding: Decoding) -> None:
        if decoding != "reasoning":
            raise InputError(
                "the endpoint scorer answers in reasoning decoding only (a chat endpoint does not give "
                "the answer probabilities fast decoding needs)"
            )

    def _compare_batch(
        self,
        originals: list[Image.Image],
        edited: list[Image.Image],
        instructions: list[str | None],
        decoding: Decoding,
    ) -> list[AestheticDelta]:
        self._check_decoding(decoding)
        items = [([o, e], i) for o, e, i in zip(originals, edited, instructions, strict=True)]
        return self._ask_all("pair", "delta", items)

    def _score_batch(self, images: list[Image.Image], decoding: Decoding) -> list[AestheticScore]:
        self._check_decoding(decoding)
        return self._ask_all("single", "score", [([image], None) for image in images])
