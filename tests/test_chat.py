"""The OpenAI-compatible chat client (red_aes.chat) against a local stub: retries, errors, image URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chat_stub import decode_image_url
from launch import free_port

from red_aes.chat import ChatEndpoint, EndpointError, image_data_url
from red_aes.images import load_image


def test_endpoint_errors_are_retried_then_reported(stub_factory: Any) -> None:
    stub = stub_factory([503, "<answer>+1.0</answer>", 400])
    client = ChatEndpoint(stub.base_url, "m", max_retries=1)
    assert client.chat([{"role": "user", "content": "hi"}]) == "<answer>+1.0</answer>"  # 503 retried
    with pytest.raises(EndpointError, match="HTTP 400"):
        client.chat([{"role": "user", "content": "hi"}])
    with pytest.raises(EndpointError, match="cannot reach"):
        ChatEndpoint(f"http://127.0.0.1:{free_port()}/v1", "m", max_retries=0, timeout=2).chat([])
    with pytest.raises(ValueError, match="http"):
        ChatEndpoint("localhost:8000", "m")


def test_image_data_url_round_trips_exact_pixels(photo_paths: list[Path]) -> None:
    image = load_image(photo_paths[0])
    image.thumbnail((96, 96))
    decoded = decode_image_url(image_data_url(image))
    assert np.array_equal(np.asarray(decoded), np.asarray(image))
