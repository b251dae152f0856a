"""The scorer base class (red_aes.scoring.base): per-item backends are batched by the base class."""

from __future__ import annotations

import pytest
from PIL import Image

from red_aes.scoring.base import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore


class _OneAtATime(BaseScorer):
    """A backend that only knows how to answer one item: the base class batches it."""

    name = "one-at-a-time"

    def _compare_one(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, decoding: str
    ) -> AestheticDelta:
        delta = float(edited.getpixel((0, 0))[0] - original.getpixel((0, 0))[0]) / 100
        return self.computed_delta(delta, instruction, decoding)

    def _score_one(self, image: Image.Image, decoding: str) -> AestheticScore:
        return self.computed_score(1 + image.getpixel((0, 0))[0] / 100, None, decoding)


def test_a_per_item_backend_gets_batches_with_the_instruction_of_each_pair() -> None:
    grey = [Image.new("RGB", (8, 8), (v, v, v)) for v in (100, 150, 200)]
    scorer = _OneAtATime(batch_size=2)
    deltas = scorer.compare(grey[:2], grey[1:], ["first", "second"], decoding="fast")
    assert [(d.delta, d.reasoning) for d in deltas] == [(0.5, "first"), (0.5, "second")]
    assert [s.score for s in scorer.score(grey)] == [2.0, 2.5, 3.0]
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_reasoning_tokens'"):
        scorer.score(grey[0], max_reasoning_tokens=4)  # a backend refuses options it does not have


def test_a_backend_without_either_method_says_so() -> None:
    class Empty(BaseScorer):
        pass

    with pytest.raises(NotImplementedError, match="Empty implements neither _compare_batch nor _compare_one"):
        Empty().compare(Image.new("RGB", (4, 4)), Image.new("RGB", (4, 4)))
    with pytest.raises(NotImplementedError, match="Empty implements neither _score_batch nor _score_one"):
        Empty().score(Image.new("RGB", (4, 4)))
