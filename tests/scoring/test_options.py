"""The model options (red_aes.scoring.options): declared once for the commands and the demo app."""

from __future__ import annotations

import pytest

from red_aes.scoring import SCORERS
from red_aes.scoring.options import DEFAULT_MODEL, MODEL_OPTIONS, Option, model_options
from red_aes.types import QUANTIZATION_CHOICES


def test_each_option_names_its_destination_and_the_keyword_it_sets() -> None:
    option = Option("--max-image-pixels", "budget", type=int)
    assert (option.dest, option.key) == ("max_image_pixels", "max_image_pixels")
    by_flag = {o.flag: o for o in MODEL_OPTIONS}
    assert len(by_flag) == len(MODEL_OPTIONS)  # each flag declared once
    assert by_flag["--endpoint-url"].key == "base_url" and by_flag["--endpoint-url"].dest == "endpoint_url"
    assert by_flag["--quantization"].choices == QUANTIZATION_CHOICES
    assert by_flag["--model"].default == DEFAULT_MODEL and DEFAULT_MODEL in SCORERS.names()
    assert all(o.env is None or o.env.startswith("RED_AES_") for o in MODEL_OPTIONS)


def test_options_are_picked_by_destination_in_the_declared_order() -> None:
    picked = model_options("device", "quantization")
    assert [o.flag for o in picked] == ["--quantization", "--device"]
    with pytest.raises(ValueError, match=r"no model option \['precision'\]"):
        model_options("device", "precision")
