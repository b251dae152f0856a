"""The measured scorer (red_aes.scoring.measured) on the bundled real photos: plausible scores, clear
degradations rank lower, deltas agree with score differences and their reasoning cites the measured
change; a batch answers as each pair alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.editing import ClassicalEditor, Operation
from red_aes.images import load_image
from red_aes.scale import squash_score
from red_aes.scoring import load_scorer
from red_aes.scoring.measured import MeasuredConfig, MeasuredScorer
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN, AestheticDelta

#: Clear degradations: heavy blur, strong noise, severe under- and over-exposure, heavy JPEG.
DEGRADATIONS = {
    "heavy blur": Operation("blur", 4.0),
    "strong noise": Operation("grain", 30.0),
    "underexposed": Operation("exposure", -3.0),
    "overexposed": Operation("exposure", 3.0),
    "heavy jpeg": Operation("jpeg", 1.0),
}
#: The attribute whose term must carry most of each degradation's delta.
DOMINANT = {
    "heavy blur": "sharpness",
    "strong noise": "noise",
    "underexposed": "exposure",
    "overexposed": "exposure",
    "heavy jpeg": "noise",
}


@pytest.fixture(scope="module")
def scorer() -> MeasuredScorer:
    loaded = load_scorer("measured")
    assert isinstance(loaded, MeasuredScorer)
    return loaded


@pytest.fixture(scope="module")
def photos(photo_paths) -> dict[str, object]:
    return {path.name: load_image(path) for path in photo_paths}


@pytest.fixture(scope="module")
def degraded(photos) -> dict[tuple[str, str], object]:
    editor = ClassicalEditor()
    return {
        (name, kind): editor.apply(photo, [op]).image
        for name, photo in photos.items()
        for kind, op in DEGRADATIONS.items()
    }


def test_original_photos_get_plausible_scores(scorer, photos) -> None:
    scores = scorer.score(list(photos.values()), decoding="fast")
    for name, s in zip(photos, scores, strict=True):
        assert s.valid and SCORE_MIN <= s.score <= SCORE_MAX
        assert 4.5 <= s.score <= 7.5, f"{name} scored {s.score}"
        assert s.reasoning is None  # fast mode
        assert set(s.attributes) == {
            "exposure",
            "contrast",
            "color",
            "white_balance",
            "sharpness",
            "noise",
            "composition",
        }


def test_clear_degradations_score_lower_on_every_photo(scorer, photos, degraded) -> None:
    originals = dict(zip(photos, scorer.score(list(photos.values()), decoding="fast"), strict=True))
    keys = list(degraded)
    scores = dict(zip(keys, scorer.score([degraded[k] for k in keys], decoding="fast"), strict=True))
    for (name, kind), s in scores.items():
        assert s.score <= originals[name].score - 0.5, f"{kind} {name}: {originals[name].score} -> {s.score}"
        dominant = DOMINANT[kind]
        change = {a: s.attributes[a] - originals[name].attributes[a] for a in s.attributes}
        assert min(change, key=change.get) == dominant, f"{kind} {name}: {change}"


@pytest.mark.parametrize("kind", sorted(DEGRADATIONS))
def test_delta_is_negative_and_equals_the_score_difference(kind: str, scorer, photos, degraded) -> None:
    name = "flower.jpg"
    delta = scorer.compare(photos[name], degraded[(name, kind)], f"degrade: {kind}")
    assert isinstance(delta, AestheticDelta) and delta.valid
    assert DELTA_MIN <= delta.delta < 0
    before, after = scorer.score([photos[name], degraded[(name, kind)]], decoding="fast")
    assert delta.delta == pytest.approx(after.score - before.score, abs=1e-9)
    assert sum(delta.attributes.values()) == pytest.approx(delta.delta, abs=0.02)
    assert delta.reasoning and "Measured changes:" in delta.reasoning


def test_reasoning_cites_the_measured_change(scorer, photos, degraded) -> None:
    name = "china.jpg"
    texts = {kind: scorer.compare(photos[name], degraded[(name, kind)]).reasoning for kind in DEGRADATIONS}
    assert "softer" in texts["heavy blur"]
    assert "noise in flat areas rose from" in texts["strong noise"]
    assert "exposure fell by" in texts["underexposed"]
    assert "highlights now clip" in texts["overexposed"]
    assert "JPEG blocking appeared" in texts["heavy jpeg"]


def test_improvement_and_identity(scorer, photos) -> None:
    photo = photos["astronaut.png"]
    same = scorer.compare(photo, photo, decoding="fast")
    assert same.delta == 0.0 and same.reasoning is None
    blurred = ClassicalEditor().apply(photo, [Operation("blur", 3.0)]).image
    restored = scorer.compare(blurred, photo)  # the reverse of a degradation is an improvement
    assert 0 < restored.delta <= DELTA_MAX


def test_scores_are_deterministic_and_batch_independent(scorer, photos) -> None:
    images = list(photos.values())[:3]
    batched = scorer.score(images, batch_size=3)
    single = [scorer.score(image) for image in images]
    assert [s.score for s in batched] == [s.score for s in single]
    assert [s.reasoning for s in batched] == [s.reasoning for s in single]


def test_from_pretrained_options() -> None:
    custom = MeasuredScorer.from_pretrained("measured", base=4.0, batch_size=2)
    assert custom.config.base == 4.0 and custom.batch_size == 2
    assert custom.config.noise_weight == MeasuredConfig().noise_weight
    with pytest.raises(ValueError, match="not 'other'"):
        MeasuredScorer.from_pretrained("other")
    with pytest.raises(ValueError, match="unknown options for the measured scorer: adapter"):
        MeasuredScorer.from_pretrained("measured", adapter="x")
    assert MeasuredScorer().higher_is_better and MeasuredScorer().score_range == (SCORE_MIN, SCORE_MAX)


def test_decoding_is_checked(scorer, photos) -> None:
    with pytest.raises(ValueError, match="decoding must be one of"):
        scorer.score(photos["china.jpg"], decoding="slow")  # type: ignore[arg-type]
    fast = scorer.score(photos["china.jpg"], decoding="fast")
    assert fast.decoding == "fast" and fast.to_dict()["decoding"] == "fast"


def test_strong_degradation_of_an_already_poor_photo_still_scores_lower(scorer, photos) -> None:
    """No floor collapse: every photo darkened by 3 EV and blurred has a raw score below 1, so a clip to
    [1, 10] gave it and its 2-EV-darker copy exactly 1.0 each and a delta of 0."""
    editor = ClassicalEditor()
    for name, photo in photos.items():
        poor = editor.apply(photo, [Operation("exposure", -3.0), Operation("blur", 8.0)]).image
        worse = editor.apply(poor, [Operation("exposure", -2.0)]).image
        before, after = scorer.score([poor, worse], decoding="fast")
        assert scorer.config.base + sum(before.attributes.values()) < SCORE_MIN  # below the old clip
        assert SCORE_MIN < after.score < before.score < 2.0, (name, before.score, after.score)
        delta = scorer.compare(poor, worse, decoding="fast")
        assert delta.delta < 0 and delta.delta == pytest.approx(after.score - before.score, abs=1e-9)
        assert sum(delta.attributes.values()) == pytest.approx(delta.delta, abs=1e-3)


def test_score_is_the_squash_of_the_raw_sum(scorer, photos) -> None:
    image = photos["china.jpg"]
    result = scorer.score(image)
    raw = scorer.config.base + sum(result.attributes.values())
    assert result.score == pytest.approx(squash_score(raw, scorer.config.squash_width), abs=1e-3)


def test_the_measured_scorer_answers_a_batch_as_it_answers_each_pair(photo_paths: list[Path]) -> None:
    """The default batch method changes no number: a batch equals the pairs asked one by one."""
    scorer = MeasuredScorer()
    originals, edited = photo_paths[:3], photo_paths[1:4]
    batch = scorer.compare(originals, edited, decoding="reasoning")
    alone = [scorer.compare(o, e, decoding="reasoning") for o, e in zip(originals, edited, strict=True)]
    assert [d.to_dict() for d in batch] == [d.to_dict() for d in alone]
    assert [s.to_dict() for s in scorer.score(originals)] == [scorer.score(o).to_dict() for o in originals]
