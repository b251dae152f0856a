"""The edit-ladder benchmark: construction, input checks, and the measured scorer on the bundled photos."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from red_aes.editing.classical import ATTRIBUTE_EDITS
from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark, open_image
from red_aes.evaluation.cache import PredictionCache
from red_aes.evaluation.edit_ladder import build_edit_ladder, ladder_names
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.runner import evaluate
from red_aes.images import load_image
from red_aes.scoring.measured import MeasuredScorer


def test_ladder_groups_have_the_known_order(photo_paths: list[Path]) -> None:
    items = build_edit_ladder(
        photo_paths[:2], ladders=("exposure", "sharpness", "jpeg"), strengths=(0.5, 1.0)
    )
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    # exposure and jpeg: degrade only; sharpness also has a generic improvement in the editor's table
    assert ATTRIBUTE_EDITS["sharpness"].improve is not None and ATTRIBUTE_EDITS["exposure"].improve is None
    assert len(groups) == 2 * 4
    degrade = groups[f"{photo_paths[0].name}/sharpness/degrade"]
    assert [(it.label, it.subset) for it in degrade] == [
        (0.0, "sharpness"),
        (-0.5, "sharpness"),
        (-1.0, "sharpness"),
    ]
    improve = groups[f"{photo_paths[0].name}/sharpness/improve"]
    assert [it.label for it in improve] == [0.0, 0.5, 1.0] and improve[0].subset == "sharpness (improve)"
    original = np.asarray(open_image(degrade[0].image))
    assert np.array_equal(original, np.asarray(load_image(photo_paths[0])))
    half, full = (np.asarray(open_image(it.image), dtype=float) for it in degrade[1:])
    # stronger blur moves further from the original
    assert np.abs(full - original).mean() > np.abs(half - original).mean() > 0


def test_the_default_root_is_the_packaged_photos(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No root: the bundled photos wherever the package finds them (an installed wheel carries a copy)."""
    from red_aes import resources

    bench = load_benchmark("edit-ladder", LoadRequest(attributes=("exposure",), strengths=(1.0,)))
    assert bench.source == str(resources.example_photos())
    copy = tmp_path / "examples" / "photos"
    copy.mkdir(parents=True)
    (copy / "one.png").write_bytes((resources.example_photos() / "chelsea.png").read_bytes())
    monkeypatch.setattr(resources, "ROOT", tmp_path)  # as an installed package reads its packaged copy
    bench = load_benchmark("edit-ladder", LoadRequest(attributes=("exposure",), strengths=(1.0,)))
    assert bench.source == str(copy) and {item.group.split("/")[0] for item in bench.items} == {"one.png"}


def test_ladder_input_errors(photos_dir: Path, tmp_path: Path) -> None:
    assert set(ATTRIBUTE_EDITS) < set(ladder_names()) and "jpeg" in ladder_names()
    with pytest.raises(ValueError, match=r"has no \['tilt'\]; available: exposure"):
        load_benchmark("edit-ladder", LoadRequest(attributes=("tilt",)))
    with pytest.raises(ValueError, match="increasing, distinct and in"):
        load_benchmark("edit-ladder", LoadRequest(strengths=(0.5, 0.25)))
    with pytest.raises(FileNotFoundError, match="no photos"):
        load_benchmark("edit-ladder", LoadRequest(root=tmp_path))
    with pytest.raises(ValueError, match="does not use: labels"):
        load_benchmark("edit-ladder", LoadRequest(root=photos_dir, labels=tmp_path / "x.csv"))


@pytest.mark.slow
def test_measured_scorer_climbs_the_ladder(photos_dir: Path, tmp_path: Path) -> None:
    """The offline sanity check: the measured scorer orders blur, noise, exposure and JPEG degradations
    of three of the bundled photos, a portrait, a landscape JPEG and a still life (3 photos x 6 groups x
    5 images, full size; ``red-aes eval`` runs all of them)."""
    root = tmp_path / "photos"
    root.mkdir()
    for name in ("astronaut.png", "china.jpg", "coffee.png"):
        shutil.copy(photos_dir / name, root / name)
    request = LoadRequest(root=root, attributes=("sharpness", "noise", "exposure", "jpeg"))
    bench = load_benchmark("edit-ladder", request)
    n_photos = len({it.group.split("/")[0] for it in bench.items})
    with PredictionCache(tmp_path / "cache.sqlite") as cache:  # each original is scored once, not 6 times
        result = evaluate(
            MeasuredScorer(),
            bench,
            model_id="measured",
            decoding="fast",
            cache=cache,
            batch_size=16,
            boot=BootstrapConfig(n_resamples=200, seed=0),
            progress=False,
        )
    assert result.computed == len(bench) - 5 * n_photos
    assert result.n_invalid == 0
    report = result.report
    assert report.counts["groups"] == n_photos * (4 + 2)  # 4 degrade ladders, 2 with an improvement
    for attribute in ("sharpness", "noise", "exposure", "jpeg"):
        degrade = report.breakdown[attribute]
        assert degrade.metrics["srcc"].value > 0.8, attribute
        assert degrade.metrics["pairwise_accuracy"].value > 0.85, attribute
    # the strongest degradation always scores below the original
    for group in {it.group for it in bench.items if it.group.endswith("/degrade")}:
        members = {p.label: p.value for p in result.predictions if p.group == group}
        assert members[-1.0] < members[0.0], group
    overall = report.metrics["pairwise_accuracy"]
    assert overall.ci95 is not None and overall.ci95[0] <= overall.value <= overall.ci95[1]


def test_ladder_originals_are_the_working_copy_the_editor_edits(tmp_path: Path) -> None:
    """A photo larger than the editor's working resolution: original and edits have the same size."""
    import numpy as np
    from PIL import Image

    from red_aes.editing.classical import ClassicalEditor
    from red_aes.evaluation.edit_ladder import build_edit_ladder

    path = tmp_path / "wide.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (300, 2600, 3), dtype=np.uint8)).save(path)
    editor = ClassicalEditor(long_side=1024)
    items = build_edit_ladder([path], ladders=("sharpness",), strengths=(1.0,), editor=editor)
    sizes = {item.image().size for item in items}
    assert sizes == {(1024, 118)}
