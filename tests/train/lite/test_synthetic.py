"""RED-Lite's synthetic capture ladders (red_aes.train.lite.synthetic): pairs by construction, splits by
photo hash, checked configs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from red_aes.editing.operations import OPERATIONS
from red_aes.errors import InputError
from red_aes.resources import example_photos
from red_aes.train.lite.synthetic import (
    AESTHETIC_EDITS,
    CROSS_PHOTO_MIN_LOSS,
    GRAIN_ON_BLUR,
    CropFamily,
    LadderConfig,
    build_family,
    family_pairs,
    validation_photos,
)


def _family(photo: str, losses: list[float], base: bool) -> CropFamily:
    """A family with a clean crop, an optional base and two ladders of two levels (fake features)."""
    role = ["clean"] + (["base"] if base else []) + ["ladder"] * 4
    ladder = [-1] + ([-1] if base else []) + [0, 0, 1, 1]
    level = [0.0] + ([0.0] if base else []) + [0.5, 1.0, 0.5, 1.0]
    n = len(role)
    assert len(losses) == n
    return CropFamily(
        photo=photo,
        split="train",
        features=np.zeros((n, 3), np.float32),
        loss=np.array(losses),
        role=role,
        ladder=np.array(ladder),
        level=np.array(level),
        scenario=[""] + (["random"] if base else []) + ["low_light"] * 2 + ["missed_focus"] * 2,
    )


def test_ladder_pairs_follow_construction_and_never_compare_two_ladders() -> None:
    a = _family("a", [0.0, 0.2, 0.4, 0.75, 0.3, 0.8], base=True)
    b = _family("b", [0.0, 0.3, 0.72, 0.4, 0.9], base=False)
    pairs = family_pairs([a, b], [0, 6], np.random.default_rng(0), cross_photo=2)
    order = set(pairs.order)
    assert all((0, i) in order for i in range(1, 6)) and all((6, i) in order for i in range(7, 11))
    assert {(1, i) for i in range(2, 6)} <= order  # the base beats every ladder image on top of it
    assert {(2, 3), (4, 5), (7, 8), (9, 10)} <= order  # a weaker level beats a stronger one
    assert not {(2, 4), (4, 2), (3, 5), (7, 9), (9, 7)} & order  # two ladders are never compared
    cross = [p for p in pairs.order if (p[0] < 6) != (p[1] < 6)]
    assert len(cross) == pairs.counts["cross_photo"] == 4
    losses = np.concatenate([a.loss, b.loss])
    assert all(p[0] in (0, 6) and losses[p[1]] >= CROSS_PHOTO_MIN_LOSS for p in cross)
    judged = {(o, e): d for o, e, d in pairs.judged}
    assert judged[(0, 3)] == pytest.approx(-4.0 * 0.75) and pairs.original_nodes == {0, 6}


def test_splits_are_by_photo_hash_and_configs_are_checked() -> None:
    digests = [f"{i * 7919 % 10007:016x}" for i in range(200)]
    held_out = validation_photos(digests, 0.25)
    assert len(held_out) == 50 and held_out == set(sorted(digests)[:50])
    assert validation_photos(digests[::-1], 0.25) == held_out  # order of the files does not matter
    assert len(validation_photos(digests[:3], 0.1)) == 1 and validation_photos(digests[:1], 0.5) == set()
    key = LadderConfig().key({"backbone": "x"})
    assert key == LadderConfig(crops_per_photo=5, cross_photo_pairs=9, validation_share=0.3).key(
        {"backbone": "x"}
    )
    assert key not in {
        LadderConfig(levels=(1.0,)).key({"backbone": "x"}),
        LadderConfig().key({"backbone": "y"}),
    }
    with pytest.raises(InputError, match="unknown degradation scenarios"):
        LadderConfig(scenarios=("fog",)).validate()
    with pytest.raises(InputError, match="levels must increase"):
        LadderConfig(levels=(1.0, 0.5)).validate()


def test_aesthetic_edits_rank_below_the_clean_crop_and_a_resave_ties_with_it() -> None:
    family = _family("a", [0.0, 0.3, 0.72, 0.4, 0.9], base=False)
    family.role += ["resave", "aesthetic", "aesthetic"]
    family.loss = np.concatenate([family.loss, [0.0, 0.0, 0.0]])
    family.ladder = np.concatenate([family.ladder, [-1, -1, -1]])
    family.level = np.concatenate([family.level, [0.0, 0.0, 0.0]])
    family.scenario += ["jpeg_resave", "saturation+", "exposure-"]
    pairs = family_pairs([family], [0], np.random.default_rng(0), cross_photo=0)
    assert pairs.ties == [(0, 5)] and pairs.aesthetic == [(0, 6), (0, 7)]
    # neither is a capture defect: no order, no judged Δ, never a cross-photo loser
    assert not {5, 6, 7} & {i for pair in pairs.order for i in pair}
    assert not {5, 6, 7} & {e for _, e, _ in pairs.judged}


def test_every_aesthetic_edit_is_an_editor_operation_moved_both_ways() -> None:
    for op, low, high in AESTHETIC_EDITS:
        spec = OPERATIONS[op]
        assert spec.low <= low < high <= spec.high and (low > 0 or high < 0), op
    signs = {(op, low > 0) for op, low, _ in AESTHETIC_EDITS}
    for op in ("exposure", "contrast", "saturation", "temperature", "tint", "rotate", "vignette"):
        assert {(op, True), (op, False)} <= signs, op
    with pytest.raises(InputError, match="camera_quality"):
        LadderConfig(camera_quality=(98, 85)).validate()
    with pytest.raises(InputError, match="aesthetic_edits"):
        LadderConfig(aesthetic_edits=-1).validate()


class _PixelStats:
    """A stand-in feature extractor (build_family only calls it): the mean of each channel and the
    variance of the luma Laplacian, so images can be told apart and fine detail read."""

    def __call__(self, image: Image.Image) -> np.ndarray:
        x = np.asarray(image, np.float32)
        detail = ndimage.laplace(x.mean(2)).var()
        return np.array([*x.mean((0, 1)), detail], np.float32)


def test_grain_on_a_soft_frame_is_its_own_ladder_and_leaves_the_other_images_unchanged() -> None:
    photo = Image.open(example_photos() / "chelsea.png").convert("RGB")
    base = {
        "levels": (0.5, 1.0),
        "chains_per_crop": 1,
        "aesthetic_edits": 1,
        "work_sides": (256, 256),
        "degraded_base_share": 1.0,  # always a base: the soft ladder must not be ordered below it
    }
    without = build_family(photo, "ab12", 0, _PixelStats(), LadderConfig(**base), "train")
    family = build_family(photo, "ab12", 0, _PixelStats(), LadderConfig(**base, grain_on_blur=1), "train")
    n = len(without.loss)
    assert np.array_equal(family.features[:n], without.features)
    for field in ("loss", "ladder", "level"):
        assert np.array_equal(getattr(family, field)[:n], getattr(without, field)), field
    assert family.role[:n] == without.role and family.scenario[:n] == without.scenario
    soft = list(range(n, len(family.loss)))
    assert [family.role[i] for i in soft] == ["soft"] * 3 and {family.scenario[i] for i in soft} == {
        GRAIN_ON_BLUR
    }
    assert [family.level[i] for i in soft] == [0.0, 0.5, 1.0] and len({family.ladder[i] for i in soft}) == 1
    assert family.ladder[soft[0]] not in set(without.ladder)  # a ladder of its own
    assert 0 < family.loss[soft[0]] < family.loss[soft[1]] < family.loss[soft[2]]
    detail = family.features[:, 3]
    assert detail[soft[0]] < detail[0] / 4  # the frame is soft...
    assert detail[soft[0]] < detail[soft[1]] < detail[soft[2]]  # ...and grain reads as detail on it
    base_row = family.role.index("base")
    pairs = family_pairs([family], [0], np.random.default_rng(0), cross_photo=0)
    order = set(pairs.order)
    assert {(0, i) for i in soft} | {(soft[0], soft[1]), (soft[0], soft[2]), (soft[1], soft[2])} <= order
    # made from the clean crop, never compared with the base or the other ladders, either way
    others = set(range(1, n)) | {base_row}
    assert not {(i, j) for i in soft for j in others} & order
    assert not {(j, i) for i in soft for j in others} & order


def test_a_cache_written_before_grain_on_blur_existed_is_still_found() -> None:
    """The key of the default ladder is the one caches were written under before the option existed
    (computed with that version of this module)."""
    features = {"backbone": "x"}
    assert LadderConfig().key(features) == "2fca5e62f427" != LadderConfig(grain_on_blur=1).key(features)
    with pytest.raises(InputError, match="grain_on_blur"):
        LadderConfig(grain_on_blur=-1).validate()
