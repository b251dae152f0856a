"""Build config, edit plans, the instruction library, split assignment and vote aggregation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from red_aes.data.aggregate import aggregate_votes, direction_of
from red_aes.data.config import BuildConfig
from red_aes.data.instructions import LIBRARIES, phrase, strength_level
from red_aes.data.judges import InvalidVote
from red_aes.data.plans import LibraryWriter, plan_grid, plan_source, write_plans
from red_aes.data.splits import assign_split
from red_aes.types import ATTRIBUTES, Verdict

CONFIGS = Path(__file__).resolve().parent.parent / "examples" / "configs"


# -- config -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["data_laptop.yaml", "data_cluster.yaml"])
def test_example_configs_load_and_validate(name: str) -> None:
    config = BuildConfig.from_yaml(CONFIGS / name).validate()
    assert config.judges and all("name" in spec for spec in config.judges)


def test_config_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("source: x\nout: y\npairs_per_sorce: 3\n")
    with pytest.raises(ValueError, match="pairs_per_sorce"):
        BuildConfig.from_yaml(path)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"attributes": ["sparkle"]}, "sparkle"),
        ({"strengths": [0.0]}, "strengths"),
        ({"split_fractions": {"train": 0.5, "test": 0.2}}, "sum to 1"),
        ({"judges": [{"model": "x"}]}, "name"),
        ({"min_valid_votes": 2}, "min_valid_votes"),
        ({"directions": ["sideways"]}, "sideways"),
    ],
)
def test_config_rejects_bad_values(override: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BuildConfig(source="s", out="o").replace(**override).validate()


def test_fingerprint_ignores_where_and_how_fast_but_not_content() -> None:
    base = BuildConfig(source="s", out="a")
    assert (
        base.fingerprint()
        == base.replace(out="b", shard_size=3, progress=False, pretty_name="x").fingerprint()
    )
    assert base.fingerprint() != base.replace(seed=1).fingerprint()
    assert base.fingerprint() != base.replace(min_ssim=0.5).fingerprint()


def test_config_yaml_round_trip(tmp_path: Path) -> None:
    config = BuildConfig(
        source="s", out="o", judges=["measured", {"name": "endpoint", "base_url": "http://h", "model": "m"}]
    )
    config.save(tmp_path / "c.yaml")
    assert BuildConfig.from_yaml(tmp_path / "c.yaml") == config


# -- instruction library and plans ---------------------------------------------------------------------
def test_library_covers_taxonomy_with_several_phrasings_per_attribute_and_strength() -> None:
    for attribute in ATTRIBUTES:
        for direction in ("improve", "degrade"):
            for strength in (0.2, 0.5, 0.9):
                wordings = {phrase(attribute, direction, strength, random.Random(s)) for s in range(60)}
                assert len(wordings) >= 4, (attribute, direction, strength, wordings)
    assert (
        strength_level(0.4) == "slight"
        and strength_level(0.41) == "moderate"
        and strength_level(1.0) == "strong"
    )


def test_library_amount_words_follow_strength() -> None:
    _, amounts = LIBRARIES["v1"]
    slight = phrase("noise", "degrade", 0.2, random.Random(3))
    strong = phrase("noise", "degrade", 0.95, random.Random(3))
    assert any(slight.endswith(w + ".") for w in amounts["slight"])
    assert any(strong.endswith(w + ".") for w in amounts["strong"])


def test_plan_grid_respects_editor_capabilities() -> None:
    classical = frozenset({("exposure", "degrade"), ("color", "improve"), ("color", "degrade")})
    grid = plan_grid({"classical": classical, "flux": None}, ["exposure", "color"], ["improve"], [0.5])
    assert ("classical", "exposure", "improve", 0.5) not in grid
    assert ("classical", "color", "improve", 0.5) in grid
    assert ("flux", "exposure", "improve", 0.5) in grid
    with pytest.raises(ValueError, match="no edit"):
        plan_grid({"classical": classical}, ["exposure"], ["improve"], [0.5])


def test_plans_are_seeded_per_source_and_reproducible() -> None:
    from PIL import Image

    grid = plan_grid({"a": None, "b": None}, list(ATTRIBUTES), ["improve", "degrade"], [0.3, 0.6, 0.9])
    writer = LibraryWriter("v1")
    image = Image.new("RGB", (8, 8))
    first = write_plans("src1", image, plan_source("src1", grid, pairs_per_source=5, seed=7), writer, 7)
    again = write_plans("src1", image, plan_source("src1", grid, pairs_per_source=5, seed=7), writer, 7)
    assert first == again
    cells = [(p.editor, p.plan.attribute, p.plan.direction, p.plan.strength) for p in first]
    assert len(set(cells)) == 5  # distinct grid cells
    other_seed = plan_source("src1", grid, pairs_per_source=5, seed=8)
    other_source = plan_source("src2", grid, pairs_per_source=5, seed=7)
    assert other_seed != plan_source("src1", grid, pairs_per_source=5, seed=7)
    assert other_source != plan_source("src1", grid, pairs_per_source=5, seed=7)
    assert len(plan_source("s", grid[:3], pairs_per_source=5, seed=0)) == 3  # never more than the grid


# -- splits -------------------------------------------------------------------------------------------
def test_split_assignment_is_deterministic_and_follows_fractions() -> None:
    fractions = {"train": 0.7, "validation": 0.1, "test": 0.2}
    ids = [f"{i:020x}" for i in range(4000)]
    splits = [assign_split(i, fractions) for i in ids]
    assert splits == [assign_split(i, dict(fractions)) for i in ids]
    for name, share in fractions.items():
        assert abs(splits.count(name) / len(ids) - share) < 0.03
    only_train = {"train": 1.0}
    assert {assign_split(i, only_train) for i in ids[:50]} == {"train"}


# -- aggregation ---------------------------------------------------------------------------------------
def _v(delta: float, judge: str = "j") -> Verdict:
    return Verdict(judge, delta, "")


def test_aggregate_median_agreement_and_drops() -> None:
    agg = aggregate_votes(
        [_v(1.0), _v(2.0), _v(-0.5)], min_valid_votes=1, min_agreement=0.6, neutral_band=0.25
    )
    assert agg.delta == 1.0 and agg.reason is None
    assert agg.agreement == pytest.approx(2 / 3)
    split = aggregate_votes([_v(1.0), _v(-1.0)], min_valid_votes=1, min_agreement=0.5, neutral_band=0.25)
    assert split.delta == 0.0 and split.agreement == 0.0 and split.reason == "judges_disagree"
    bad = InvalidVote("j2", "no answer tag", "blah")
    few = aggregate_votes([_v(1.0), bad], min_valid_votes=2, min_agreement=0.5, neutral_band=0.25)
    assert few.reason == "too_few_valid_votes" and few.invalid == [bad] and few.delta is None
    kept = aggregate_votes([_v(0.8), bad], min_valid_votes=1, min_agreement=1.0, neutral_band=0.25)
    assert kept.delta == pytest.approx(0.8) and kept.agreement == 1.0 and kept.invalid == [bad]
    assert direction_of(0.2, 0.25) == 0 and direction_of(-0.3, 0.25) == -1 and direction_of(0.25, 0.25) == 1


def test_every_config_key_is_a_flag_overriding_the_yaml(tmp_path: Path) -> None:
    from red_aes.commands.data import config_from_args
    from red_aes.commands.red_aes_cli import build_parser

    config = tmp_path / "c.yaml"
    config.write_text("source: photos\nout: a\nseed: 1\nmax_sources: 5\njudges: [measured]\n")
    args = build_parser().parse_args(
        [
            "data",
            "build",
            "--config",
            str(config),
            "--out",
            "b",
            "--seed",
            "2",
            "--max-sources",
            "none",
            "--strengths",
            "0.5",
            "1",
            "--judges",
            "measured",
            "{name: endpoint, base_url: 'http://h:8000/v1', model: m}",
            "--split-fractions",
            "{train: 0.9, test: 0.1}",
            "--no-keep-shards",
        ]
    )
    built = config_from_args(args)
    assert (built.source, built.out, built.seed, built.max_sources) == ("photos", "b", 2, None)
    assert built.strengths == [0.5, 1.0] and built.keep_shards is False
    assert built.judges == [
        {"name": "measured"},
        {"name": "endpoint", "base_url": "http://h:8000/v1", "model": "m"},
    ]
    assert built.split_fractions == {"train": 0.9, "test": 0.1}
    untouched = config_from_args(build_parser().parse_args(["data", "build", "--config", str(config)]))
    assert (untouched.out, untouched.seed, untouched.max_sources) == ("a", 1, 5)


def test_build_help_lists_a_flag_for_every_config_key(capsys: pytest.CaptureFixture[str]) -> None:
    from red_aes.commands.red_aes_cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["data", "build", "--help"])
    text = capsys.readouterr().out
    missing = [name for name in BuildConfig.__dataclass_fields__ if "--" + name.replace("_", "-") not in text]
    assert not missing
