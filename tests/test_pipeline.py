"""``pipeline("red-aes")``: registration, the base class's batching, checkpoints, adapters and the
trust_remote_code path of saved checkpoints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import red_aes
import red_aes.pipeline  # registers the "red-aes" task
from red_aes.lite.features import PreparedImage
from red_aes.scoring.vlm import RedAesScorer

BUDGET = 6


@pytest.fixture(scope="module")
def pipe(tiny_model_dir: Path):  # -> RedAesPipeline
    from transformers import pipeline

    return pipeline("red-aes", model=str(tiny_model_dir), device="cpu")


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from red_aes.testing import make_tiny_adapter

    return make_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter"), seed=1)


def _pair(photo_paths: list[Path], instruction: str | None = "warmer") -> dict:
    return {"original": photo_paths[0], "edited": photo_paths[1], "instruction": instruction}


def test_task_is_registered_by_importing_red_aes_pipeline() -> None:
    from transformers.pipelines import PIPELINE_REGISTRY

    assert "red-aes" in PIPELINE_REGISTRY.get_supported_tasks()
    assert PIPELINE_REGISTRY.supported_tasks["red-aes"]["impl"] is red_aes.RedAesPipeline


def test_import_red_aes_has_no_import_time_magic() -> None:
    """``import red_aes`` adds no import hook and wraps no loader; the task appears with red_aes.pipeline."""
    code = (
        "import sys\n"
        "hooks = list(sys.meta_path)\n"
        "import red_aes\n"
        "assert sys.meta_path == hooks, sys.meta_path\n"
        "assert 'transformers' not in sys.modules\n"
        "from transformers.pipelines import PIPELINE_REGISTRY\n"
        "assert 'red-aes' not in PIPELINE_REGISTRY.get_supported_tasks()\n"
        "import red_aes.pipeline\n"
        "assert 'red-aes' in PIPELINE_REGISTRY.get_supported_tasks()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_pipeline_uses_the_base_class_call() -> None:
    from transformers import Pipeline

    assert red_aes.RedAesPipeline.__call__ is Pipeline.__call__
    for step in ("_sanitize_parameters", "preprocess", "_forward", "postprocess"):
        assert step in vars(red_aes.RedAesPipeline), step


def test_pair_and_image_results_match_the_scorer(pipe, tiny_model_dir: Path, photo_paths: list[Path]) -> None:
    scorer = RedAesScorer.from_pretrained(tiny_model_dir, max_reasoning_tokens=BUDGET)
    pair = pipe(_pair(photo_paths), max_reasoning_tokens=BUDGET)
    expected = scorer.compare(photo_paths[0], photo_paths[1], "warmer")
    assert pair == expected.to_dict()
    assert set(pair) >= {"delta", "reasoning", "valid", "error", "raw_text", "decoding", "prompt_version"}
    image = pipe(photo_paths[2], max_reasoning_tokens=BUDGET)
    assert image == scorer.score(photo_paths[2]).to_dict()
    assert image["valid"] and 1.0 <= image["score"] <= 10.0


def test_lists_batch_and_keep_order(pipe, photo_paths: list[Path]) -> None:
    inputs = [_pair(photo_paths), photo_paths[2], _pair(photo_paths, None), photo_paths[3]]
    batch = pipe(inputs, decoding="fast")
    single = [pipe(x, decoding="fast") for x in inputs]
    assert [("delta" in r, "score" in r) for r in batch] == [(True, False), (False, True)] * 2
    for got, want in zip(batch, single, strict=True):
        # the untrained model's fast answers are invalid; their answer masses still identify the item
        assert got["answer_mass"] == pytest.approx(want["answer_mass"], rel=1e-3)
        assert got["decoding"] == "fast" and got["reasoning"] is None and not got["valid"]
    assert len({round(r["answer_mass"], 20) for r in batch}) == len(batch)
    # batch_size > 1: the base class collates mixed pairs and images into one _forward call
    batched = pipe(inputs, decoding="fast", batch_size=3)
    assert [("delta" in r, "score" in r) for r in batched] == [(True, False), (False, True)] * 2
    for got, want in zip(batched, single, strict=True):
        assert got["answer_mass"] == pytest.approx(want["answer_mass"], rel=1e-3)
    assert list(pipe((x for x in inputs[:2]), decoding="fast")) == batch[:2]  # a generator streams


def test_pipeline_uses_the_scorer_budget(tiny_model_dir: Path, pipe) -> None:
    from transformers import pipeline

    assert pipe.scorer.max_image_pixels == RedAesScorer.from_pretrained(tiny_model_dir).max_image_pixels
    wide = pipeline("red-aes", model=str(tiny_model_dir), device="cpu", max_image_pixels=20 * 784)
    assert wide.scorer.max_image_pixels == 20 * 784
    assert wide.scorer.metadata["max_image_pixels_source"] == "argument"


def test_bad_pair_input_is_a_clear_error(pipe, photo_paths: list[Path]) -> None:
    with pytest.raises(ValueError, match=r"missing \['edited'\]"):
        pipe({"original": photo_paths[0]})
    with pytest.raises(ValueError, match="unknown keys"):
        pipe({"original": photo_paths[0], "edited": photo_paths[1], "prompt": "x"})


def test_adapter_directory(adapter_dir: Path, photo_paths: list[Path]) -> None:
    from transformers import pipeline

    adapted = pipeline("red-aes", model=str(adapter_dir), device="cpu")
    expected = RedAesScorer.from_pretrained(adapter_dir, max_reasoning_tokens=BUDGET)
    got = adapted(_pair(photo_paths), max_reasoning_tokens=BUDGET)
    assert got["raw_text"] == expected.compare(photo_paths[0], photo_paths[1], "warmer").raw_text


def test_saved_checkpoint_loads_with_trust_remote_code(
    adapter_dir: Path, tmp_path: Path, photo_paths: list[Path]
) -> None:
    from transformers import pipeline

    scorer = RedAesScorer.from_pretrained(adapter_dir, max_reasoning_tokens=BUDGET)
    saved = scorer.save_pretrained(tmp_path / "merged")
    remote = pipeline(model=str(saved), trust_remote_code=True, device="cpu")
    assert type(remote).__name__ == "RedAesPipeline"
    assert type(remote).__module__.endswith("red_aes_pipeline")  # the copy shipped with the checkpoint
    got = remote(_pair(photo_paths), max_reasoning_tokens=BUDGET)
    assert got["raw_text"] == scorer.compare(photo_paths[0], photo_paths[1], "warmer").raw_text
    with pytest.raises(ValueError, match="trust_remote_code=True"):
        pipeline(model=str(saved), device="cpu")


# -- every scorer backend: RED-Lite (the default), registered names, folders, Hub repos, loaded scorers ------

#: A fresh interpreter with the Hub reachable in principle (offline mode off) but every network call
#: recorded and refused: what the base install does for pipeline("red-aes") on a laptop.
NO_NETWORK = (
    "import socket, sys\n"
    "attempts = []\n"
    "def refuse(*args, **kwargs):\n"
    "    attempts.append(args[1:2] or args[:1])\n"
    "    raise OSError('network refused by the test')\n"
    "socket.socket.connect = refuse\n"
    "socket.getaddrinfo = refuse\n"
)


def test_the_default_is_red_lite_on_cpu_offline_without_the_extras(
    photo_paths: list[Path], tmp_path: Path
) -> None:
    """``pipeline("red-aes")`` (this module's and transformers' own) runs the shipped RED-Lite; registered
    names and a RED-Lite folder are built with no Hub call; gradio, trl, diffusers and bitsandbytes are
    never imported."""
    import shutil

    from launch import run_python

    from red_aes.lite.model import DEFAULT_WEIGHTS

    folder = shutil.copytree(DEFAULT_WEIGHTS, tmp_path / "my-red-lite")
    pair = {"original": str(photo_paths[0]), "edited": str(photo_paths[1])}
    code = NO_NETWORK + (
        "from transformers import pipeline as transformers_pipeline\n"
        "from red_aes import load_scorer\n"
        "from red_aes.pipeline import pipeline\n"
        f"pair = {pair!r}\n"
        "expected = load_scorer('red-lite').compare(pair['original'], pair['edited']).to_dict()\n"
        "pipe = pipeline('red-aes')\n"
        "assert pipe(pair) == expected, pipe(pair)\n"
        "assert transformers_pipeline('red-aes')(pair) == expected\n"
        "assert pipe.device.type == 'cpu' and pipe.scorer.name == 'red-lite'\n"
        f"folder = pipeline('red-aes', model={str(folder)!r}).scorer\n"
        "assert folder.name == 'red-lite' and folder.model.head.state_dict().keys()\n"
        "same = pipe.scorer.model.head.state_dict()\n"
        "assert all((value == same[key]).all() for key, value in folder.model.head.state_dict().items())\n"
        "for name in ('red-lite', 'measured', 'stat-sharpness'):\n"
        "    assert pipeline('red-aes', model=name).scorer.name == name\n"
        "assert attempts == [], attempts\n"
        "loaded = [m for m in ('gradio', 'trl', 'diffusers', 'bitsandbytes') if m in sys.modules]\n"
        "assert loaded == [], loaded\n"
    )
    done = run_python(code, env={"HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"})
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def lite_pipe():  # -> RedAesPipeline
    from red_aes.pipeline import pipeline

    return pipeline("red-aes", model="red-lite")


def test_eight_pairs_go_through_the_base_class_batching(
    lite_pipe, photo_paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = photo_paths[:2]
    pairs = [
        {"original": a, "edited": b, "instruction": None},
        {"original": b, "edited": a, "instruction": None},
    ] * 4
    batches: list[int] = []
    compare_prepared = lite_pipe.scorer.compare_prepared

    def recording(originals, *args, **kwargs):  # the scorer behind the pipeline, called as _forward calls it
        batches.append(len(originals))
        assert all(isinstance(image, PreparedImage) for image in originals)  # prepared in preprocess
        return compare_prepared(originals, *args, **kwargs)

    monkeypatch.setattr(lite_pipe.scorer, "compare_prepared", recording)
    got = lite_pipe(pairs, batch_size=4)
    assert batches == [4, 4]  # two model batches of four, collated by the base class
    forward, backward = (lite_pipe.scorer.compare(p["original"], p["edited"]).to_dict() for p in pairs[:2])
    assert got == [forward, backward] * 4
    assert forward["delta"] == pytest.approx(-backward["delta"], abs=0.011)  # the same two scores


def test_preprocess_prepares_the_images_and_only_forward_runs_the_model(lite_pipe, photos_dir: Path) -> None:
    from red_aes.pipeline import pipeline

    a, b = photos_dir / "china.jpg", photos_dir / "chelsea.png"  # 640 x 427 and 451 x 300
    fresh = pipeline("red-aes", model="red-lite")
    item = fresh.preprocess({"original": a, "edited": b})
    single = fresh.preprocess(a)
    assert fresh.scorer.model._extractor is None  # preprocess neither loaded nor ran the backbone
    assert isinstance(item["original"], PreparedImage) and isinstance(single["image"], PreparedImage)
    long_side = fresh.scorer.model.feature_config.long_side
    assert item["original"].pixels.shape[-2:] == (round(427 * long_side / 640), long_side)  # working size
    assert max(item["edited"].pixels.shape[-2:]) == long_side
    got = fresh.postprocess(fresh._forward(item))
    assert got == lite_pipe({"original": a, "edited": b}) == lite_pipe.scorer.compare(a, b).to_dict()
    assert fresh.postprocess(fresh._forward(single)) == lite_pipe.scorer.score(a).to_dict()


def test_a_batch_may_mix_pairs_and_single_images(photo_paths: list[Path]) -> None:
    from red_aes.pipeline import pipeline

    pipe = pipeline("red-aes", model="measured")
    pair = _pair(photo_paths)
    mixed = pipe([pair, photo_paths[2], pair], batch_size=3, decoding="fast")
    assert [("delta" in r, "score" in r) for r in mixed] == [(True, False), (False, True), (True, False)]
    assert mixed[1] == pipe.scorer.score(photo_paths[2], decoding="fast").to_dict()
    assert mixed[0] == mixed[2] == pipe.scorer.compare(*photo_paths[:2], "warmer", decoding="fast").to_dict()


def test_registered_backends_match_their_scorers(small_photos: Path) -> None:
    from transformers import pipeline as transformers_pipeline

    from red_aes import load_scorer
    from red_aes.pipeline import pipeline

    before, after = sorted(small_photos.iterdir())[:2]
    measured = load_scorer("measured")
    expected = measured.compare(before, after, "warmer").to_dict()
    assert pipeline("red-aes", model="measured")(_pair([before, after])) == expected
    # a loaded scorer goes through transformers' own pipeline() as a model object
    assert transformers_pipeline("red-aes", model=measured)(_pair([before, after])) == expected


def test_scorer_backends_refuse_what_they_do_not_have(lite_pipe, photo_paths: list[Path]) -> None:
    from red_aes.pipeline import pipeline

    with pytest.raises(ValueError, match="the red-lite scorer runs on the CPU"):
        pipeline("red-aes", model="red-lite", device="cuda:0")
    with pytest.raises(ValueError, match="max_image_pixels: options of a VLM checkpoint"):
        pipeline("red-aes", model="measured", max_image_pixels=784)
    with pytest.raises(ValueError, match="unknown options for the measured scorer: adapter"):
        pipeline("red-aes", model="measured", model_kwargs={"adapter": "x"})
    with pytest.raises(
        ValueError, match="max_reasoning_tokens: an option of VLM scorers, not of the red-lite scorer"
    ):
        lite_pipe(photo_paths[0], max_reasoning_tokens=8)  # RED-Lite has no reasoning budget


def test_what_names_a_scorer_backend(tiny_model_dir: Path, tmp_path: Path) -> None:
    from red_aes.lite.model import DEFAULT_WEIGHTS
    from red_aes.pipeline import registered_backend, scorer_backend

    assert registered_backend(None) == ("red-lite", None)
    assert registered_backend("measured") == ("measured", None)
    assert registered_backend(DEFAULT_WEIGHTS) == ("red-lite", str(DEFAULT_WEIGHTS))
    assert registered_backend(str(tiny_model_dir)) is None  # a VLM checkpoint
    assert registered_backend("someone/red-lite") is None  # only the Hub can tell
    assert scorer_backend("someone/red-lite") is None  # offline: no red_aes.json found, so not RED-Lite
    assert scorer_backend(str(tmp_path / "missing")) is None


def test_a_red_lite_hub_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photo_paths: list[Path]
) -> None:
    import shutil

    from hub_stub import HubStub

    from red_aes import load_scorer
    from red_aes.hub import push_folder
    from red_aes.lite.model import DEFAULT_WEIGHTS
    from red_aes.pipeline import pipeline

    folder = shutil.copytree(DEFAULT_WEIGHTS, tmp_path / "red-lite")
    with HubStub() as hub, hub.online(monkeypatch):
        hub.as_default_endpoint(monkeypatch, tmp_path / "cache")
        push_folder(folder, "stub-user/red-lite", endpoint=hub.endpoint)
        pipe = pipeline("red-aes", model="stub-user/red-lite")
    expected = load_scorer("red-lite").compare(photo_paths[0], photo_paths[1]).to_dict()
    assert pipe.scorer.name == "red-lite" and pipe(_pair(photo_paths, None)) == expected


def test_a_loaded_vlm_scorer_is_served_as_it_was_loaded(
    tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    from transformers import pipeline as transformers_pipeline

    scorer = RedAesScorer.from_pretrained(tiny_model_dir, max_reasoning_tokens=BUDGET)
    pipe = transformers_pipeline("red-aes", model=scorer)
    assert pipe.scorer is scorer and pipe.device == scorer.model.device
    got = pipe(_pair(photo_paths), max_reasoning_tokens=BUDGET)
    assert got == scorer.compare(photo_paths[0], photo_paths[1], "warmer").to_dict()
