"""RedAesScorer (red_aes.scoring.vlm) on the tiny offline Qwen2.5-VL: loading, both decoding modes,
batching, adapters, 4-bit, saving; and what real-scale checkpoints show, reproduced on tiny ones: padded
vocabularies, honest validity (answer mass, forced answers) and fast mode's logits memory."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PIL import Image

from red_aes.checkpoints import ModelLoadError, read_metadata, write_metadata
from red_aes.errors import InputError
from red_aes.images import load_image
from red_aes.parsing import parse_answer
from red_aes.prompts import PROMPTS, THINK_OPEN, PromptTemplate, format_delta, format_score
from red_aes.scoring.decoding import (
    MIN_ANSWER_MASS,
    expected_answer,
)
from red_aes.scoring.vlm import RedAesScorer
from red_aes.testing import make_tiny_model
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN, AestheticDelta
from tests.scoring.conftest import BUDGET


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from red_aes.testing import make_tiny_adapter

    return make_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter"))


def _pairs(images: list) -> tuple[list, list, list[str | None]]:
    """Three pairs of differently sized photos (different prompt lengths, so padding is exercised)."""
    originals = [images[0], images[2], images[4]]
    edited = [images[1], images[3], images[0]]
    return originals, edited, ["brighten the sky", None, "add more contrast to the whole photo"]


# -- scorer results ------------------------------------------------------------------------------
def test_compare_reasoning_gives_a_parsed_in_range_delta(
    scorer: RedAesScorer, photo_paths: list[Path]
) -> None:
    delta = scorer.compare(photo_paths[0], photo_paths[1], "make it warmer")
    assert isinstance(delta, AestheticDelta)
    assert delta.valid and delta.error is None
    assert DELTA_MIN <= delta.delta <= DELTA_MAX
    assert delta.raw_text.startswith(THINK_OPEN)
    assert delta.raw_text.endswith(f"</think><answer>{format_delta(delta.delta)}</answer>")
    assert parse_answer(delta.raw_text, "delta").value == delta.delta
    assert (delta.decoding, delta.prompt_version, delta.model) == ("reasoning", "v1", str(scorer.model_name))
    assert len(scorer.tokenizer(delta.raw_text)["input_ids"]) >= BUDGET
    assert delta.forced and delta.answer_mass is None  # the untrained model never closes </think> itself


def test_score_reasoning_in_range(scorer: RedAesScorer, photo_paths: list[Path]) -> None:
    for result in scorer.score(photo_paths[:2]):
        assert result.valid and SCORE_MIN <= result.score <= SCORE_MAX
        assert result.raw_text.endswith(f"<answer>{format_score(result.score)}</answer>")


def _fast(scorer: RedAesScorer, kind: str, images: list[list], instructions: list[str | None]):
    """Fast mode's (expected values, answer masses) for items, computed as the scorer computes them."""
    answer = "delta" if kind == "pair" else "score"
    inputs = scorer._inputs(kind, images, instructions, scorer.fast_prefix(answer))
    return expected_answer(scorer.model, inputs, scorer.table, answer)


def test_fast_mode_delta_is_an_expected_value(scorer: RedAesScorer, images: list) -> None:
    values, masses = _fast(scorer, "pair", [[images[0], images[1]]], [None])
    assert DELTA_MIN < values.item() < DELTA_MAX
    assert round(values.item(), 1) != values.item()  # a probability-weighted mean, not a grid value
    assert masses.dtype == torch.float64 and 0.0 < masses.item() < 1.0
    scores, _ = _fast(scorer, "single", [[images[0]], [images[1]]], [None, None])
    assert all(SCORE_MIN < v < SCORE_MAX for v in scores.tolist())


def test_fast_mode_mass_threshold(scorer: RedAesScorer) -> None:
    """At or above MIN_ANSWER_MASS the expected value is the result; below it there is no number."""
    kept = scorer._fast_result("delta", 1.234, MIN_ANSWER_MASS)
    assert kept.valid and kept.delta == 1.234 and kept.answer_mass == MIN_ANSWER_MASS and kept.error is None
    dropped = scorer._fast_result("score", 6.5, 0.49)
    assert not dropped.valid and dropped.score is None and "4.90e-01" in dropped.error


def test_batch_equals_single_in_reasoning_mode(scorer: RedAesScorer, images: list) -> None:
    originals, edited, instructions = _pairs(images)
    batch = scorer.compare(originals, edited, instructions)
    single = [scorer.compare(o, e, i) for o, e, i in zip(originals, edited, instructions, strict=True)]
    assert [b.raw_text for b in batch] == [s.raw_text for s in single]
    assert [b.delta for b in batch] == [s.delta for s in single]
    assert len({b.raw_text for b in batch}) > 1  # the pairs really differ, so equality means something


def test_batch_equals_single_in_fast_mode(scorer: RedAesScorer, images: list) -> None:
    originals, edited, instructions = _pairs(images)
    pairs = [[o, e] for o, e in zip(originals, edited, strict=True)]
    batch_values, batch_masses = _fast(scorer, "pair", pairs, instructions)
    single = [_fast(scorer, "pair", [p], [i]) for p, i in zip(pairs, instructions, strict=True)]
    assert batch_values.tolist() == pytest.approx([v.item() for v, _ in single], abs=1e-4)
    assert batch_masses.tolist() == pytest.approx([m.item() for _, m in single], rel=1e-3)
    assert len({round(v, 3) for v in batch_values.tolist()}) > 1
    scores, _ = _fast(scorer, "single", [[i] for i in images], [None] * len(images))
    assert scores.tolist() == pytest.approx(
        [_fast(scorer, "single", [[i]], [None])[0].item() for i in images], abs=1e-4
    )
    # through the public API: the same (invalid, below-threshold) results with the same masses
    results = scorer.compare(originals, edited, instructions, decoding="fast", batch_size=3)
    assert [r.answer_mass for r in results] == pytest.approx(batch_masses.tolist(), rel=1e-3)


def test_unparseable_output_is_an_explicit_invalid_result(scorer: RedAesScorer) -> None:
    result = scorer._text_result("delta", "<think>the model rambled and never answered", forced=False)
    assert not result.valid and result.delta is None
    assert "unclosed <think>" in result.error
    assert result.raw_text == "<think>the model rambled and never answered"


def test_reasoning_budget_override(scorer: RedAesScorer, photo_paths: list[Path]) -> None:
    short = scorer.compare(photo_paths[0], photo_paths[1], max_reasoning_tokens=0)
    assert short.valid and short.reasoning is None and short.forced
    assert short.raw_text.startswith("<think></think><answer>")
    assert scorer.max_reasoning_tokens == BUDGET


def test_stream_compare_grows_and_ends_with_the_compare_result(
    scorer: RedAesScorer, photo_paths: list[Path]
) -> None:
    events = list(scorer.stream_compare(photo_paths[0], photo_paths[1], "make it warmer"))
    partial = [text for text, delta in events if delta is None]
    final_text, final = events[-1]
    assert len(partial) >= 2 and all(delta is None for _, delta in events[:-1])
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(partial))
    expected = scorer.compare(photo_paths[0], photo_paths[1], "make it warmer")
    assert final == expected
    assert final_text == expected.reasoning


# -- loading -------------------------------------------------------------------------------------
def test_adapter_changes_the_output_and_loads_alone(
    scorer: RedAesScorer, tiny_model_dir: Path, adapter_dir: Path, photo_paths: list[Path]
) -> None:
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    assert Path(config["base_model_name_or_path"]) == tiny_model_dir.resolve()
    with_adapter = RedAesScorer.from_pretrained(
        tiny_model_dir, adapter=adapter_dir, max_reasoning_tokens=BUDGET
    )
    alone = RedAesScorer.from_pretrained(adapter_dir, max_reasoning_tokens=BUDGET)
    assert alone.model_name == str(adapter_dir)
    base = scorer.compare(photo_paths[0], photo_paths[1])
    adapted = with_adapter.compare(photo_paths[0], photo_paths[1])
    assert adapted.valid and adapted.raw_text != base.raw_text
    assert alone.compare(photo_paths[0], photo_paths[1]).raw_text == adapted.raw_text
    fast = [
        s.compare(photo_paths[0], photo_paths[1], decoding="fast").answer_mass for s in (scorer, with_adapter)
    ]
    assert fast[0] != pytest.approx(fast[1], rel=1e-2)


def test_adapter_directory_with_another_adapter_is_refused(adapter_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="is an adapter directory"):
        RedAesScorer.from_pretrained(adapter_dir, adapter=adapter_dir)


def test_adapter_without_safetensors_is_refused(
    tiny_model_dir: Path, adapter_dir: Path, tmp_path: Path
) -> None:
    pickled = tmp_path / "pickled"
    shutil.copytree(adapter_dir, pickled)
    (pickled / "adapter_model.safetensors").rename(pickled / "adapter_model.bin")
    with pytest.raises(ModelLoadError, match="only safetensors adapters"):
        RedAesScorer.from_pretrained(tiny_model_dir, adapter=pickled)


@pytest.mark.slow
def test_4bit_loads_bitsandbytes_layers_on_cpu_and_answers(
    tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    from bitsandbytes.nn import Linear4bit

    quantized = RedAesScorer.from_pretrained(tiny_model_dir, quantization="4bit", device="cpu")
    assert sum(isinstance(m, Linear4bit) for m in quantized.model.modules()) > 0
    assert quantized.model.get_memory_footprint() > 0
    delta = quantized.compare(photo_paths[0], photo_paths[1], decoding="fast")
    assert delta.answer_mass is not None and 0.0 < delta.answer_mass < 1.0
    assert quantized.quantization == "4bit" and quantized.cache_identity()["quantization"] == "4bit"


def test_unknown_quantization_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(InputError, match="quantization must be one of"):
        RedAesScorer.from_pretrained(tiny_model_dir, quantization="3bit")


def test_the_loader_takes_auto_and_reports_the_quantization_of_its_weights(tiny_model_dir: Path) -> None:
    """``quantization="auto"`` (the commands' and the app's word) loads full precision on the CPU; the
    scorer reads how its weights are quantized from the model itself, for the cache identity."""
    from transformers import BitsAndBytesConfig

    from red_aes.scoring.vlm import quantization_of

    scorer = RedAesScorer.from_pretrained(tiny_model_dir, quantization="auto", device="cpu")
    assert scorer.quantization is None and scorer.cache_identity()["quantization"] is None
    assert (
        RedAesScorer.from_pretrained(tiny_model_dir, quantization="none", device="cpu").quantization is None
    )

    class Model:
        def __init__(self, config: object) -> None:
            self.config = type("Config", (), {"quantization_config": config})()

    assert quantization_of(Model(BitsAndBytesConfig(load_in_4bit=True))) == "4bit"
    assert quantization_of(Model({"load_in_8bit": True, "quant_method": "bitsandbytes"})) == "8bit"
    assert quantization_of(Model({"quant_method": "gptq"})) == "gptq"
    assert quantization_of(Model(None)) is None


def test_metadata_prompt_version_is_honoured(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photo_paths: list[Path]
) -> None:
    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(tiny_model_dir, checkpoint)
    v1 = PROMPTS["v1"]
    monkeypatch.setitem(
        PROMPTS,
        "v-test",
        PromptTemplate("v-test", v1.system, "Compare the two photos.", v1.pair_instruction, v1.single),
    )
    write_metadata(checkpoint, prompt_version="v-test", stage="sft")
    loaded = RedAesScorer.from_pretrained(checkpoint, max_reasoning_tokens=2)
    assert loaded.prompt_version == "v-test"
    delta = loaded.compare(photo_paths[0], photo_paths[1])
    assert delta.prompt_version == "v-test"
    prompt = loaded.tokenizer.decode(
        loaded._inputs("pair", [[load_image(photo_paths[0])] * 2], [None], "")["input_ids"][0]
    )
    assert "Compare the two photos." in prompt and v1.pair not in prompt
    assert RedAesScorer.from_pretrained(checkpoint, prompt_version="v1").prompt_version == "v1"

    write_metadata(checkpoint, prompt_version="v0")
    with pytest.raises(ModelLoadError, match="unknown prompt version 'v0'"):
        RedAesScorer.from_pretrained(checkpoint)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("./no/such/dir", "directory not found"),
        ("nobody-here/no-such-model-xyz", "cannot load model 'nobody-here/no-such-model-xyz'"),
    ],
)
def test_unknown_model_is_a_clear_error(name: str, message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        RedAesScorer.from_pretrained(name)


def test_directory_that_is_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelLoadError, match="not a model checkpoint"):
        RedAesScorer.from_pretrained(tmp_path)


# -- saving --------------------------------------------------------------------------------------
def test_save_pretrained_round_trips(
    tiny_model_dir: Path, adapter_dir: Path, tmp_path: Path, photo_paths: list[Path]
) -> None:
    adapted = RedAesScorer.from_pretrained(adapter_dir, max_reasoning_tokens=BUDGET)
    before = adapted.compare(photo_paths[0], photo_paths[1])
    before_fast = adapted.compare(photo_paths[0], photo_paths[1], decoding="fast").answer_mass

    adapter_only = adapted.save_pretrained(tmp_path / "adapter-copy", merge=False)
    assert (adapter_only / "adapter_model.safetensors").is_file()
    assert not (adapter_only / "config.json").exists()
    reloaded_adapter = RedAesScorer.from_pretrained(adapter_only, max_reasoning_tokens=BUDGET)
    assert reloaded_adapter.compare(photo_paths[0], photo_paths[1]).raw_text == before.raw_text

    merged_dir = adapted.save_pretrained(tmp_path / "merged")
    config = json.loads((merged_dir / "config.json").read_text())
    assert config["custom_pipelines"]["red-aes"]["impl"] == "red_aes_pipeline.RedAesPipeline"
    assert (merged_dir / "red_aes_pipeline.py").is_file() and (merged_dir / "model.safetensors").is_file()
    assert read_metadata(merged_dir)["prompt_version"] == "v1"
    assert read_metadata(merged_dir)["base_model"] == str(tiny_model_dir.resolve())
    merged = RedAesScorer.from_pretrained(merged_dir, max_reasoning_tokens=BUDGET)
    assert merged.compare(photo_paths[0], photo_paths[1]).raw_text == before.raw_text
    assert merged.compare(photo_paths[0], photo_paths[1], decoding="fast").answer_mass == pytest.approx(
        before_fast, rel=1e-3
    )


def test_abandoned_stream_releases_the_model(scorer: RedAesScorer, photo_paths: list[Path]) -> None:
    """Closing the stream early (a browser tab closed) ends generation and releases the model lock."""
    stream = scorer.stream_compare(photo_paths[0], photo_paths[1], max_reasoning_tokens=200)
    next(stream)
    stream.close()
    assert not scorer._model_lock.locked()
    assert scorer.compare(photo_paths[0], photo_paths[1], decoding="fast").answer_mass is not None


def test_threads_sharing_a_scorer_get_the_single_thread_results(scorer: RedAesScorer, images: list) -> None:
    """The demo's queue workers share one scorer: concurrent calls must not mix per-call model state."""
    from concurrent.futures import ThreadPoolExecutor

    originals, edited, instructions = _pairs(images)
    expected = [
        scorer.compare(o, e, i).delta for o, e, i in zip(originals, edited, instructions, strict=True)
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [
            pool.submit(scorer.compare, o, e, i)
            for o, e, i in zip(originals, edited, instructions, strict=True)
        ]
        assert [f.result().delta for f in futures] == expected


@pytest.fixture(scope="module")
def padded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-padded"), padded_vocab=True)


def test_padded_vocabulary_never_picks_a_padded_id_in_reasoning_mode(
    padded_dir: Path, noise_image: Callable[[int, int, int], Image.Image]
) -> None:
    scorer = RedAesScorer.from_pretrained(padded_dir, device="cpu", max_reasoning_tokens=6)
    rows = scorer.model.get_output_embeddings().weight.shape[0]
    assert rows > len(scorer.tokenizer)
    pairs = [
        [noise_image(80, 60, 6), noise_image(80, 60, 7)],
        [noise_image(60, 80, 8), noise_image(64, 64, 9)],
    ]
    inputs = scorer._inputs("pair", pairs, [None, "brighten"], "<think>")
    with torch.inference_mode():
        logits = scorer.model(**inputs).logits[:, -1]
    assert (logits.argmax(-1) >= len(scorer.tokenizer)).all()  # unconstrained, a padded id would win
    deltas = scorer.compare([p[0] for p in pairs], [p[1] for p in pairs], [None, "brighten"])
    assert all(d.valid and d.forced for d in deltas)  # it never closes </think> itself: forced
    assert all(d.raw_text.endswith("</answer>") for d in deltas)


def test_fast_mode_of_an_untrained_model_is_invalid_and_gives_the_mass(
    tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    scorer = RedAesScorer.from_pretrained(tiny_model_dir, device="cpu")
    deltas = scorer.compare(photo_paths[:2], photo_paths[1:3], decoding="fast")
    score = scorer.score(photo_paths[0], decoding="fast")
    for result, value in [(d, d.delta) for d in deltas] + [(score, score.score)]:
        assert not result.valid and value is None
        assert 0.0 < result.answer_mass < MIN_ANSWER_MASS
        assert f"{result.answer_mass:.2e}" in result.error and "MIN_ANSWER_MASS" in result.error
        assert not result.forced


def test_a_two_token_reasoning_budget_forces_the_answer(
    tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    scorer = RedAesScorer.from_pretrained(tiny_model_dir, device="cpu", max_reasoning_tokens=64)
    forced = scorer.compare(photo_paths[:2], photo_paths[1:3], max_reasoning_tokens=2)
    assert all(d.forced and d.valid and d.answer_mass is None for d in forced)
    assert json.loads(json.dumps(forced[0].to_dict()))["forced"] is True


def test_fast_mode_computes_logits_only_where_it_needs_them(
    tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    scorer = RedAesScorer.from_pretrained(tiny_model_dir, device="cpu")
    shapes: list[tuple[int, ...]] = []
    hook = scorer.model.get_output_embeddings().register_forward_hook(
        lambda module, args, output: shapes.append(tuple(output.shape))
    )
    try:
        scorer.compare(photo_paths[:3], photo_paths[1:4], decoding="fast")
    finally:
        hook.remove()
    nodes = len(scorer.table.answer_trie("delta").tokens)
    vocab = scorer.model.get_output_embeddings().weight.shape[0]
    assert shapes == [(3, 1, vocab), (3, nodes, vocab)]  # last prompt position, then the answer trie
