"""The VLM's visual-token budget (red_aes.scoring.budget): a 12 MP pair costs what a 1 MP pair costs,
the budget's source (argument, red_aes.json, processor, default), and an adapter's own processor."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from red_aes.checkpoints import read_metadata, write_metadata
from red_aes.scoring.budget import (
    DEFAULT_IMAGE_TOKENS,
    DEFAULT_MAX_IMAGE_PIXELS,
    image_pixel_limits,
    set_image_pixel_limits,
)
from red_aes.scoring.vlm import RedAesScorer
from red_aes.testing import QWEN_MAX_PIXELS, QWEN_MIN_PIXELS, TINY_MAX_PIXELS, make_tiny_model


@pytest.fixture(scope="module")
def qwen_limits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny checkpoint with the released Qwen2.5-VL processor's resize bounds (up to 12.8 MP)."""
    return make_tiny_model(
        tmp_path_factory.mktemp("tiny-qwen-limits"), min_pixels=QWEN_MIN_PIXELS, max_pixels=QWEN_MAX_PIXELS
    )


def _visual_tokens(scorer: RedAesScorer, pair: list[Image.Image]) -> int:
    """Image placeholder tokens in the prompt the scorer builds for ``pair`` (one per visual token)."""
    inputs = scorer._inputs("pair", [pair], [None], scorer.fast_prefix("delta"))
    pad = scorer.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    return int((inputs["input_ids"] == pad).sum())


# -- visual-token budget -------------------------------------------------------------------------
def test_default_budget_makes_a_12mp_pair_cost_what_a_1mp_pair_costs(
    qwen_limits_dir: Path, noise_image: Callable[[int, int, int], Image.Image]
) -> None:
    scorer = RedAesScorer.from_pretrained(qwen_limits_dir, device="cpu")
    assert scorer.max_image_pixels == DEFAULT_MAX_IMAGE_PIXELS == DEFAULT_IMAGE_TOKENS * 28 * 28
    assert scorer.metadata["max_image_pixels_source"] == "default"
    big = [noise_image(4000, 3000, seed) for seed in (0, 1)]  # 12 MP each, 4:3
    small = [image.resize((1152, 864)) for image in big]  # 1 MP each, 4:3
    tokens_big, tokens_small = _visual_tokens(scorer, big), _visual_tokens(scorer, small)
    assert tokens_big == tokens_small
    assert 0.9 * 2 * DEFAULT_IMAGE_TOKENS < tokens_big <= 2 * DEFAULT_IMAGE_TOKENS
    # the processor's own limit (the released Qwen one) would have cost far more
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(qwen_limits_dir)
    unbudgeted = RedAesScorer(scorer.model, processor, max_image_pixels=QWEN_MAX_PIXELS)
    assert _visual_tokens(unbudgeted, big) > 20 * tokens_big
    assert unbudgeted.metadata["max_image_pixels_source"] == "argument"


def test_scoring_a_12mp_pair_runs_under_the_budget(
    qwen_limits_dir: Path, noise_image: Callable[[int, int, int], Image.Image]
) -> None:
    scorer = RedAesScorer.from_pretrained(qwen_limits_dir, device="cpu", max_reasoning_tokens=2)
    delta = scorer.compare(noise_image(4000, 3000, 2), noise_image(4000, 3000, 3), decoding="fast")
    assert delta.answer_mass is not None and 0.0 <= delta.answer_mass <= 1.0


def test_qwens_max_pixels_is_the_resize_budget_never_an_input_limit(
    qwen_limits_dir: Path, noise_image: Callable[[int, int, int], Image.Image]
) -> None:
    """``RedAesScorer.from_pretrained(..., max_pixels=401408)``, as a Qwen user writes it, resizes each image
    to at most 401,408 pixels: a 12 MP photo is scored, not refused as over 0.4 MP."""
    scorer = RedAesScorer.from_pretrained(
        qwen_limits_dir, device="cpu", max_reasoning_tokens=2, max_pixels=401_408
    )
    assert scorer.max_image_pixels == image_pixel_limits(scorer.processor)[1] == 401_408
    assert scorer.metadata["max_image_pixels_source"] == "argument"
    big = noise_image(4000, 3000, 4)  # 12 MP, 30 times the budget
    assert scorer.score(big, decoding="fast").answer_mass is not None  # scored, not refused
    assert _visual_tokens(scorer, [big, big]) <= 2 * 401_408 // (28 * 28)
    same = RedAesScorer.from_pretrained(
        qwen_limits_dir, device="cpu", max_pixels=12544, max_image_pixels=12544
    )
    assert same.max_image_pixels == 12544
    with pytest.raises(ValueError, match="both set the resize budget"):
        RedAesScorer.from_pretrained(qwen_limits_dir, device="cpu", max_pixels=12544, max_image_pixels=6272)
    # the input limit has its own name, and refuses
    limited = RedAesScorer.from_pretrained(qwen_limits_dir, device="cpu", max_input_pixels=1_000_000)
    with pytest.raises(ValueError, match="exceeds the budget of 1,000,000 pixels"):
        limited.score(big, decoding="fast")


def test_explicit_budget_wins_over_the_recorded_one_and_is_recorded(
    tiny_model_dir: Path, tmp_path: Path, noise_image: Callable[[int, int, int], Image.Image]
) -> None:
    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(tiny_model_dir, checkpoint)
    write_metadata(checkpoint, max_image_pixels=20 * 784, stage="sft")
    recorded = RedAesScorer.from_pretrained(checkpoint, device="cpu")
    assert recorded.max_image_pixels == 20 * 784
    assert recorded.metadata["max_image_pixels_source"] == "red_aes.json"
    explicit = RedAesScorer.from_pretrained(checkpoint, device="cpu", max_image_pixels=6 * 784)
    assert explicit.max_image_pixels == 6 * 784
    assert explicit.metadata["max_image_pixels"] == 6 * 784
    assert explicit.metadata["max_image_pixels_source"] == "argument"
    assert explicit.cache_identity()["max_image_pixels"] == 6 * 784
    assert recorded.cache_identity() != explicit.cache_identity()
    image = noise_image(640, 480, 4)
    assert _visual_tokens(explicit, [image, image]) < _visual_tokens(recorded, [image, image])
    # the budget travels with a saved checkpoint
    saved = explicit.save_pretrained(tmp_path / "saved")
    assert read_metadata(saved)["max_image_pixels"] == 6 * 784
    assert RedAesScorer.from_pretrained(saved, device="cpu").max_image_pixels == 6 * 784


def test_a_tighter_processor_limit_is_kept_by_default(tiny_model_dir: Path) -> None:
    scorer = RedAesScorer.from_pretrained(tiny_model_dir, device="cpu")
    assert scorer.max_image_pixels == TINY_MAX_PIXELS < DEFAULT_MAX_IMAGE_PIXELS
    assert scorer.metadata["max_image_pixels_source"] == "processor"


def test_set_image_pixel_limits_keeps_the_lower_bound_below_the_upper(tiny_model_dir: Path) -> None:
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    set_image_pixel_limits(processor, 1000)
    assert image_pixel_limits(processor) == (1000, 1000)
    with pytest.raises(ValueError, match="must be positive"):
        set_image_pixel_limits(processor, 0)


def _adapter_with_processor(tiny_model_dir: Path, path: Path, max_pixels: int) -> Path:
    """A tiny adapter saved with its own processor (resize budget ``max_pixels``), as training saves it."""
    from transformers import AutoProcessor

    from red_aes.testing import make_tiny_adapter

    adapter = make_tiny_adapter(tiny_model_dir, path)
    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    set_image_pixel_limits(processor, max_pixels)
    processor.save_pretrained(adapter)
    return adapter


def test_adapter_processor_is_used_from_a_folder_and_from_the_hub(
    tiny_model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    noise_image: Callable[[int, int, int], Image.Image],
) -> None:
    import huggingface_hub.constants
    import huggingface_hub.hf_api
    from hub_stub import HubStub
    from huggingface_hub import HfApi

    budget = 5 * 784  # differs from the base checkpoint's processor (8 tokens)
    adapter = _adapter_with_processor(tiny_model_dir, tmp_path / "adapter", budget)
    local = RedAesScorer.from_pretrained(tiny_model_dir, adapter=adapter, device="cpu")
    assert image_pixel_limits(local.processor)[1] == budget

    bare = tmp_path / "bare"  # the same adapter without processor files
    bare.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(adapter / name, bare / name)

    with HubStub() as hub, hub.online(monkeypatch):
        # the loaders (transformers, PEFT) use the default endpoint, as a user's HF_ENDPOINT would set it
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", hub.endpoint)
        monkeypatch.setattr(huggingface_hub.hf_api.api, "endpoint", hub.endpoint)
        monkeypatch.setattr(
            huggingface_hub.constants,
            "HUGGINGFACE_CO_URL_TEMPLATE",
            hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}",
        )
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
        monkeypatch.setenv("HF_TOKEN", "stub")
        api = HfApi(endpoint=hub.endpoint)
        for repo, folder in (("stub-user/adapter", adapter), ("stub-user/bare", bare)):
            api.create_repo(repo)
            api.upload_folder(repo_id=repo, folder_path=folder)
        assert "processor_config.json" in hub.files("stub-user/adapter")
        remote = RedAesScorer.from_pretrained(tiny_model_dir, adapter="stub-user/adapter", device="cpu")
        fallback = RedAesScorer.from_pretrained(tiny_model_dir, adapter="stub-user/bare", device="cpu")
    assert image_pixel_limits(remote.processor)[1] == budget
    assert image_pixel_limits(fallback.processor)[1] == TINY_MAX_PIXELS  # the base model's processor
    image = noise_image(640, 480, 5)
    assert _visual_tokens(remote, [image, image]) == _visual_tokens(local, [image, image])
