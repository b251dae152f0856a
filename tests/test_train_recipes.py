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

REPO = Path(__file__).resolve().parent.parent
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


def test_recipe_stage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage: rlhf\n")
    with pytest.raises(ValueError, match=r"stage must be one of \['group', 'pair', 'sft'\], got 'rlhf'"):
        recipe_stage(str(bad))
    bad.write_text("- a list\n")
    with pytest.raises(ValueError, match="a recipe is a YAML mapping with a 'stage' key"):
        recipe_stage(str(bad))


def test_train_command_reports_bad_recipes_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage: rlhf\n")
    assert cli(["train", "run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("red-aes train: error:") and "stage must be one of" in err and "\n" not in err


def test_sft_recipe_refused_by_the_grpo_entry_point() -> None:
    from trl import GRPOConfig

    with pytest.raises(ValueError, match="recipe stage 'sft' is trained with SFTConfig"):
        parse_recipe(GRPOConfig, ["--config", str(RECIPES / "tiny" / "stage1_sft.yaml"), "--use_cpu", "true"])


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


def test_train_push_refuses_a_folder_that_is_not_a_training_output(tmp_path: Path, capsys) -> None:
    (tmp_path / "README.md").write_text("hello")
    assert cli(["train", "push", str(tmp_path), "stub-user/x", "--endpoint", "http://127.0.0.1:9"]) == 2
    assert "not a RED-Aes training output, missing ['adapter_config.json'" in capsys.readouterr().err


# -- card and hub target ---------------------------------------------------------------------------


def test_model_card_for_hub_ids_carries_metadata_and_evaluation_results(tmp_path: Path) -> None:
    from huggingface_hub import EvalResult

    from red_aes.train.outputs import build_model_card

    adapter = {
        "r": 64,
        "lora_alpha": 128,
        "target_modules": ["q_proj", "v_proj"],
        "exclude_modules": ".*visual.*",
    }
    (tmp_path / "adapter_config.json").write_text(json.dumps(adapter))
    metadata = {
        "base_model": "Qwen/Qwen2.5-VL-7B-Instruct",
        "stage": "group",
        "prompt_version": "v1",
        "dataset": "your-org/red-aes-pairs",
        "dataset_revision": "abc123",
        "red_aes_version": "0.1.0",
    }
    result = EvalResult(
        task_type="image-aesthetics-assessment",
        dataset_type="ava",
        dataset_name="AVA",
        dataset_split="test",
        metric_type="srcc",
        metric_name="SRCC",
        metric_value=0.731,
    )
    card = build_model_card(
        tmp_path,
        metadata,
        {"learning_rate": 5e-6, "group_size": 4},
        license="apache-2.0",
        usage_id="your-org/red-aes-qwen2.5-vl-7b",
        init_adapter="outputs/stage2",
        eval_results=[result],
    )
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    assert loaded.data.base_model == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert loaded.data.datasets == ["your-org/red-aes-pairs"]
    assert loaded.data.pipeline_tag == "image-text-to-text" and loaded.data.library_name == "peft"
    [parsed] = loaded.data.eval_results
    assert (parsed.dataset_name, parsed.metric_type, parsed.metric_value) == ("AVA", "srcc", 0.731)
    assert "| AVA | test | SRCC | 0.731 |" in loaded.text
    assert "Training stage | 3 of 3: group-ranking GRPO" in loaded.text
    assert "revision `abc123`" in loaded.text and "continued from\n`outputs/stage2`" in loaded.text
    assert 'RedAesScorer.from_pretrained("your-org/red-aes-qwen2.5-vl-7b")' in loaded.text
    assert "except `.*visual.*`" in loaded.text
    assert "| group_size | `4` |" in loaded.text


def test_push_to_hub_needs_a_repo_id() -> None:
    from trl import SFTConfig

    from red_aes.train.outputs import take_hub_target

    config = SFTConfig(output_dir="out", use_cpu=True, push_to_hub=True, hub_model_id=None)
    with pytest.raises(ValueError, match="push_to_hub needs hub_model_id"):
        take_hub_target(config)
    config = SFTConfig(
        output_dir="out", use_cpu=True, push_to_hub=True, hub_model_id="me/x", hub_private_repo=True
    )
    target = take_hub_target(config)
    assert (target.repo_id, target.private, config.push_to_hub) == ("me/x", True, False)


def test_pair_stage_keeps_each_prompts_samples_on_one_process() -> None:
    """The pair reward reads a prompt's sample spread. On 2 GPUs, 2 completions per process for 4
    generations pass TRL's global check (4 per generation batch) but would split each prompt's samples
    across the processes: refused before training starts."""
    from trl import GRPOConfig

    from red_aes.train.grpo import check_config

    recipe = RECIPES / "qwen2.5-vl-7b" / "stage2_grpo_pair.yaml"
    argv = ["--config", str(recipe), "--use_cpu", "true", "--num_generations", "4"]
    script, config, _ = parse_recipe(
        GRPOConfig, [*argv, "--per_device_train_batch_size", "4", "--steps_per_generation", "1"]
    )
    check_config(script, config)
    config.per_device_train_batch_size = 2  # what each of two processes holds
    with pytest.raises(ValueError, match="a prompt's samples stay on one process"):
        check_config(script, config)
