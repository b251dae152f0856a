"""RedAesScorer on the tiny offline Qwen2.5-VL: loading, both decoding modes, batching, adapters, 4-bit."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
import torch

from red_aes.checkpoints import METADATA_FILE, ModelLoadError, read_metadata, write_metadata
from red_aes.images import load_image
from red_aes.parsing import parse_answer
from red_aes.prompts import PROMPTS, THINK_OPEN, PromptTemplate, format_delta, format_score
from red_aes.scoring.decoding import (
    MIN_ANSWER_MASS,
    AnswerConstraint,
    TokenTable,
    answer_grid,
    expected_answer,
    token_bytes,
)
from red_aes.scoring.vlm import RedAesScorer
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN, AestheticDelta

BUDGET = 8


@pytest.fixture(scope="module")
def scorer(tiny_model_dir: Path) -> RedAesScorer:
    return RedAesScorer.from_pretrained(tiny_model_dir, max_reasoning_tokens=BUDGET, device="cpu")


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from red_aes.testing import make_tiny_adapter

    return make_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter"))


@pytest.fixture(scope="module")
def images(photo_paths: list[Path]) -> list:
    return [load_image(p) for p in photo_paths[:5]]


def _pairs(images: list) -> tuple[list, list, list[str | None]]:
    """Three pairs of differently sized photos (different prompt lengths, so padding is exercised)."""
    originals = [images[0], images[2], images[4]]
    edited = [images[1], images[3], images[0]]
    return originals, edited, ["brighten the sky", None, "add more contrast to the whole photo"]


# -- answer grid and token table -----------------------------------------------------------------
def test_answer_grid_is_every_one_decimal_value_in_range() -> None:
    deltas, scores = answer_grid("delta"), answer_grid("score")
    assert len(deltas) == 181 and len(scores) == 91
    assert list(deltas)[:2] == ["-9.0", "-8.9"] and list(deltas)[-1] == "+9.0" and deltas["+0.0"] == 0.0
    assert next(iter(scores)) == "1.0" and list(scores)[-1] == "10.0" and scores["6.4"] == pytest.approx(6.4)


def test_token_bytes_match_the_tokenizer(scorer: RedAesScorer) -> None:
    tokenizer = scorer.tokenizer
    table = token_bytes(tokenizer)
    assert table[tokenizer.convert_tokens_to_ids("<|im_end|>")] is None
    assert table[tokenizer.convert_tokens_to_ids("<|image_pad|>")] is None
    checked = 0
    for token_id, data in enumerate(table):
        if data is None:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # a token that is part of a multi-byte character
        assert tokenizer.decode([token_id]) == text
        checked += 1
    assert checked > 300


# -- the reasoning-mode constraint, driven by scripted logits --------------------------------------
def _drive(table: TokenTable, budget: int, wish: list[int], steps: int = 80) -> tuple[str, list[int], bool]:
    """Greedy decoding under the constraint where the 'model' always prefers the next wished token;
    returns the assistant text, the chosen tokens and whether the answer was forced."""
    constraint = AnswerConstraint(table, "delta", prompt_length=2, max_reasoning_tokens=budget)
    ids = torch.zeros(1, 2, dtype=torch.long)
    for step in range(steps):
        scores = torch.zeros(1, len(table.bytes))
        if step < len(wish):
            scores[0, wish[step]] = 10.0
        token = int(constraint(ids, scores).argmax())
        ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
        if token == table.eos_token_id:
            break
    chosen = ids[0, 2:].tolist()
    return THINK_OPEN + table.tokenizer.decode(chosen, skip_special_tokens=True), chosen, constraint.forced[0]


def _ids(scorer: RedAesScorer, text: str) -> list[int]:
    return scorer.tokenizer(text, add_special_tokens=False)["input_ids"]


def test_constraint_keeps_a_naturally_closed_think_and_repairs_the_answer(scorer: RedAesScorer) -> None:
    wish = [*_ids(scorer, "good light</think>oops<answer>+12.5</answer>"), scorer.eos_token_id]
    text, _, forced = _drive(scorer.table, budget=50, wish=wish)
    parsed = parse_answer(text, "delta")
    assert parsed.valid, (text, parsed.error)
    assert parsed.reasoning == "good light" and not forced
    assert "oops" not in text and "12.5" not in text
    assert text.endswith(f"<answer>{format_delta(parsed.value)}</answer>")


def test_constraint_forces_the_answer_when_the_budget_is_spent(scorer: RedAesScorer) -> None:
    wish = _ids(scorer, "the sky is brighter and the shadows are open")
    text, _, forced = _drive(scorer.table, budget=3, wish=wish)
    thought = scorer.tokenizer.decode(wish[:3])
    assert text.startswith(f"{THINK_OPEN}{thought}</think><answer>") and forced
    assert parse_answer(text, "delta").valid


def test_constraint_blocks_special_tokens_while_thinking(scorer: RedAesScorer) -> None:
    special = [scorer.eos_token_id, scorer.tokenizer.convert_tokens_to_ids("<|image_pad|>")]
    words = _ids(scorer, "ab cd")
    text, chosen, _ = _drive(scorer.table, budget=2 + len(words), wish=special + words)
    assert chosen[0] not in special and chosen[1] not in special  # refused, something else written
    assert chosen[2 : 2 + len(words)] == words  # ordinary tokens are not touched
    assert chosen[-1] == scorer.eos_token_id and chosen.count(scorer.eos_token_id) == 1
    assert parse_answer(text, "delta").valid


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


def test_fast_mode_equals_brute_force_scoring_of_every_answer(scorer: RedAesScorer, images: list) -> None:
    """The trie/tree-attention computation against one full forward pass per grid answer."""
    shared, paths, values = scorer.table.answer_paths("delta")
    prefix = b"".join(scorer.table.bytes[i] for i in shared).decode()
    inputs = scorer._inputs("pair", [[images[0], images[1]]], ["more contrast"], prefix)
    fast, mass = (t.item() for t in expected_answer(scorer.model, inputs, scorer.table, "delta"))
    length, n = inputs["input_ids"].shape[1], len(paths)
    assert len({len(p) for p in paths}) == 1  # every delta answer is the same number of tokens here
    continuation = torch.tensor(paths)
    ids = torch.cat([inputs["input_ids"].expand(n, -1), continuation], dim=1)
    full = {  # every prompt + answer as its own row, no cache, no tree mask
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "mm_token_type_ids": torch.cat(
            [inputs["mm_token_type_ids"].expand(n, -1), torch.zeros_like(continuation)], dim=1
        ),
        "pixel_values": inputs["pixel_values"].repeat(n, 1),
        "image_grid_thw": inputs["image_grid_thw"].repeat(n, 1),
    }
    with torch.inference_mode():
        logits = torch.log_softmax(scorer.model(**full).logits[:, length - 1 : -1].float(), dim=-1)
    logps = logits.gather(-1, continuation[..., None])[..., 0].sum(-1)
    brute = (torch.softmax(logps, 0) * torch.tensor(values)).sum().item()
    assert fast == pytest.approx(brute, abs=1e-4)
    assert mass == pytest.approx(torch.logsumexp(logps.double(), 0).exp().item(), rel=1e-3)


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


def test_unknown_quantization_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="quantization must be one of"):
        RedAesScorer.from_pretrained(tiny_model_dir, quantization="3bit")


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


def test_metadata_files(tmp_path: Path) -> None:
    assert read_metadata(tmp_path) == {}
    path = write_metadata(
        tmp_path, base_model="Qwen/Qwen2.5-VL-7B-Instruct", stage="grpo-pair", dataset="a/b"
    )
    assert path == tmp_path / METADATA_FILE
    fields = read_metadata(tmp_path)
    assert fields["stage"] == "grpo-pair" and fields["dataset"] == "a/b" and "red_aes_version" in fields
    with pytest.raises(ValueError, match=r"unknown red_aes\.json keys"):
        write_metadata(tmp_path, learning_rate=1e-4)
    (tmp_path / METADATA_FILE).write_text("[1, 2]")
    with pytest.raises(ValueError, match="expected a JSON object"):
        read_metadata(tmp_path)


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
