"""The ``endpoint`` scorer (red_aes.scoring.endpoint) against a local stub of the OpenAI chat API."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_stub import ChatStub, decode_image_url
from PIL import Image

from red_aes.errors import InputError
from red_aes.scoring import load_scorer
from red_aes.scoring.endpoint import EndpointScorer


def test_endpoint_scorer_asks_the_served_model_and_reads_its_answers(photo_paths: list[Path]) -> None:
    replies = ["<think>Darker, shadows lost.</think><answer>-1.5</answer>", "no number here"]
    with ChatStub(replies, models=("served-7b",)) as stub:
        scorer = load_scorer("endpoint", base_url=stub.base_url, concurrency=1)
        assert isinstance(scorer, EndpointScorer) and scorer.client.model == "served-7b"  # as listed
        good, bad = scorer.compare([photo_paths[0]] * 2, [photo_paths[1]] * 2, "darken it")
        assert (good.delta, good.valid, good.reasoning) == (-1.5, True, "Darker, shadows lost.")
        assert (good.model, good.decoding) == ("endpoint:served-7b", "reasoning")
        assert bad.delta is None and not bad.valid and bad.raw_text == "no number here"  # never guessed
        request = stub.requests[0]
        assert request["model"] == "served-7b" and request["temperature"] == 0.0
        original = decode_image_url(request["messages"][1]["content"][0]["image_url"]["url"])
        assert original.size == Image.open(photo_paths[0]).size
        with pytest.raises(InputError, match="reasoning decoding only"):
            scorer.score(photo_paths[0], decoding="fast")
