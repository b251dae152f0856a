"""Training recipes and entry points: every recipe parses with TRL, and the tiny recipes run
stage 1 -> 2 -> 3 on CPU through ``red-aes train``; each stage's output loads in RedAesScorer and in
``pipeline("red-aes")`` and changes the model's answers; outputs are pushed to a local Hub stub.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
from pathlib import Path

import huggingface_hub.constants
import pytest
import yaml
from hub_stub import HubStub
from huggingface_hub import ModelCard
from safetensors.torch import load_file

from red_aes.commands.red_aes_cli import main as cli
from red_aes.testing import TINY_MAX_PIXELS
from red_aes.train.config import STAGES, parse_recipe, recipe_stage
from tests.conftest import REPO

RECIPES = REPO / "training_recipes"
#: VLM stage recipes (accelerate/ holds launcher configs, red-lite/ the RED-Lite recipes of its own CLI)
ALL_RECIPES = sorted(p for p in RECIPES.glob("*/*.yaml") if p.parent.name not in {"accelerate", "red-lite"})
TINY_STAGES = (
    ("stage1", "stage1_sft.yaml"),
    ("stage2", "stage2_grpo_pair.yaml"),
    ("stage3", "stage3_grpo_group.yaml"),
)
PUSHED_REPO = "stub-user/red-aes-tiny"


# -- recipes parse ---------------------------------------------------------------------------------


@pytest.mark.parametrize("recipe", ALL_RECIPES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recipe_keys_are_trl_and_red_aes_fields(recipe: Path) -> None:
    """TrlParser rejects any key that is not a field of the TRL config, ModelConfig or RedAesArguments."""
    from trl import GRPOConfig, SFTConfig

    stage = recipe_stage(str(recipe))
    config_class = SFTConfig if STAGES[stage][1] == "SFTConfig" else GRPOConfig
    script, config, model = parse_recipe(config_class, ["--config", str(recipe), "--use_cpu", "true"])
    assert script.stage == stage
    assert script.prompt_version == "v1"
    if stage == "sft":
        assert model.use_peft and script.init_adapter is None
    else:
        # GRPO stages continue the previous stage's adapter; their reward names resolve
        from red_aes.train.grpo import check_config, resolve_reward_funcs

        assert not model.use_peft and script.init_adapter
        assert len(resolve_reward_funcs(script.reward_funcs)) == len(config.reward_weights)
        check_config(script, config)


def test_a_recipe_may_name_rewards_by_their_registered_names() -> None:
    """``reward_funcs: [format, pair_consistency]`` is the same as the shipped recipe's dotted paths."""
    from trl import GRPOConfig

    from red_aes.train.grpo import resolve_reward_funcs

    recipe = ["--config", str(RECIPES / "tiny" / "stage2_grpo_pair.yaml"), "--use_cpu", "true"]
    shipped, _, _ = parse_recipe(GRPOConfig, recipe)
    named, _, _ = parse_recipe(GRPOConfig, [*recipe, "--reward_funcs", "format", "pair_consistency"])
    assert named.reward_funcs == ["format", "pair_consistency"] != shipped.reward_funcs
    assert resolve_reward_funcs(named.reward_funcs) == resolve_reward_funcs(shipped.reward_funcs)


def test_accelerate_configs_name_their_backend() -> None:
    expected = {"ddp": "MULTI_GPU", "zero2": "DEEPSPEED", "zero3": "DEEPSPEED", "fsdp": "FSDP"}
    for name, backend in expected.items():
        config = yaml.safe_load((RECIPES / "accelerate" / f"{name}.yaml").read_text())
        assert config["distributed_type"] == backend
        assert config["mixed_precision"] == "bf16"
    assert (
        yaml.safe_load((RECIPES / "accelerate" / "zero3.yaml").read_text())["deepspeed_config"]["zero_stage"]
        == 3
    )


# -- the tiny chain, end to end --------------------------------------------------------------------


def _logged_metrics(text: str) -> list[dict[str, float]]:
    """The metric dicts the Trainer printed, one per logging step (it prints the numbers as strings)."""
    return [
        {key: float(value) for key, value in ast.literal_eval(found).items()}
        for found in re.findall(r"\{'loss'.*?\}", text)
    ]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, tiny_red_dir: Path) -> dict:
    """Run the three tiny recipes through `red-aes train`; stage 3 pushes to a local Hub stub."""
    out = tmp_path_factory.mktemp("chain")
    dirs: dict[str, Path] = {}
    logs: dict[str, list[dict]] = {}
    previous = None
    with HubStub() as hub, pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_TOKEN", "stub")
        # the push at the end of training uses the default endpoint, as a user's HF_ENDPOINT would set it
        patch.setattr(huggingface_hub.constants, "ENDPOINT", hub.endpoint)
        with hub.online(patch):
            for name, recipe in TINY_STAGES:
                overrides = [
                    "--model_name_or_path",
                    str(tiny_model_dir),
                    "--dataset_name",
                    str(tiny_red_dir),
                    "--output_dir",
                    str(out / name),
                ]
                if previous is not None:
                    overrides += ["--init_adapter", str(previous)]
                if name == "stage3":
                    overrides += ["--push_to_hub", "true", "--hub_model_id", PUSHED_REPO]
                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    argv = ["train", "run", "--config", str(RECIPES / "tiny" / recipe), "--", *overrides]
                    assert cli(argv) == 0
                dirs[name] = previous = out / name
                logs[name] = _logged_metrics(printed.getvalue())
        pushed = hub.files(PUSHED_REPO)
    return {"dirs": dirs, "logs": logs, "pushed": pushed}


STAGE_NAMES = {"stage1": "sft", "stage2": "pair", "stage3": "group"}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STAGE_NAMES))
def test_each_stage_writes_adapter_processor_metadata_and_card(
    chain: dict,
    name: str,
    tiny_model_dir: Path,
    tiny_red_dir: Path,
) -> None:
    folder = chain["dirs"][name]
    files = {p.name for p in folder.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "red_aes.json", "README.md"} <= files
    assert {"processor_config.json", "tokenizer.json", "chat_template.jinja"} <= files
    assert not {"training_args.bin", "ref"} & files
    metadata = json.loads((folder / "red_aes.json").read_text())
    assert metadata == {
        "base_model": str(tiny_model_dir),
        "stage": STAGE_NAMES[name],
        "prompt_version": "v1",
        "dataset": str(tiny_red_dir),
        "dataset_revision": None,
        "red_aes_version": metadata["red_aes_version"],
        "max_image_pixels": TINY_MAX_PIXELS,  # the budget of the saved processor, which the scorer uses
    }
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "peft"
    assert card.data.pipeline_tag == "image-text-to-text"
    assert card.data.license == "apache-2.0"
    assert {"red-aes", "image-aesthetics"} <= set(card.data.tags)
    stage_number = STAGES[STAGE_NAMES[name]][0]
    assert f"Training stage | {stage_number} of 3" in card.text
    assert "Δ = s(edited) − s(original)" in card.text and "[1, 10]" in card.text


@pytest.mark.slow
def test_grpo_stages_compute_their_rewards_and_stage2_updates_the_adapter(chain: dict) -> None:
    stage2 = [log for log in chain["logs"]["stage2"] if "rewards/pair_consistency_reward/mean" in log]
    stage3 = [log for log in chain["logs"]["stage3"] if "rewards/group_rank_reward/mean" in log]
    assert len(stage2) == 2 and len(stage3) == 2  # max_steps: 2, logging_steps: 1
    assert all("rewards/pair_consistency_reward/unparseable_frac" in log for log in stage2)
    # after the tiny SFT some stage-2 samples parse and some do not: the rewards vary, so GRPO learns
    assert any(log["reward_std"] > 0 for log in stage2)
    before = load_file(chain["dirs"]["stage1"] / "adapter_model.safetensors")
    after = load_file(chain["dirs"]["stage2"] / "adapter_model.safetensors")
    assert before.keys() == after.keys()
    assert any(not before[k].equal(after[k]) for k in before)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STAGE_NAMES))
def test_each_stage_loads_in_scorer_and_pipeline_and_changes_the_answers(
    chain: dict, name: str, tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    from transformers import pipeline

    import red_aes.pipeline  # noqa: F401  (registers the "red-aes" task)
    from red_aes.scoring.vlm import RedAesScorer

    original, edited = photo_paths[0], photo_paths[1]
    base = RedAesScorer.from_pretrained(str(tiny_model_dir))
    tuned = RedAesScorer.from_pretrained(str(chain["dirs"][name]))
    assert tuned.metadata["stage"] == STAGE_NAMES[name]
    assert tuned.max_image_pixels == TINY_MAX_PIXELS
    assert tuned.metadata["max_image_pixels_source"] == "red_aes.json"
    base_delta = base.compare(original, edited, "brighten the photo", decoding="fast")
    tuned_delta = tuned.compare(original, edited, "brighten the photo", decoding="fast")
    # SFT (with its answer-only targets) taught the answer form fast mode reads
    assert tuned_delta.answer_mass > 10 * base_delta.answer_mass
    assert tuned.score(original, decoding="fast").answer_mass != pytest.approx(
        base.score(original, decoding="fast").answer_mass, rel=1e-2
    )

    pipe = pipeline("red-aes", model=str(chain["dirs"][name]))
    out = pipe({"original": original, "edited": edited, "instruction": "brighten the photo"}, decoding="fast")
    assert out["answer_mass"] == pytest.approx(tuned_delta.answer_mass, rel=1e-3)
    assert out["delta"] == (pytest.approx(tuned_delta.delta, abs=1e-4) if tuned_delta.valid else None)


@pytest.mark.slow
def test_push_to_hub_uploaded_the_stage3_folder(chain: dict) -> None:
    folder, pushed = chain["dirs"]["stage3"], chain["pushed"]
    local = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert pushed == local
    assert ModelCard(pushed["README.md"].decode()).data.library_name == "peft"


@pytest.mark.slow
def test_train_push_command(
    chain: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    folder = chain["dirs"]["stage1"]
    with HubStub() as hub, hub.online(monkeypatch):
        monkeypatch.setenv("HF_TOKEN", "stub")
        argv = ["train", "push", str(folder), "stub-user/stage1", "--endpoint", hub.endpoint, "--private"]
        assert cli(argv) == 0
        assert hub.repo("stub-user/stage1").private
        assert set(hub.files("stub-user/stage1")) == {p.name for p in folder.iterdir() if p.is_file()}
    assert "stub-user/stage1" in capsys.readouterr().out
