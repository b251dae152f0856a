"""Reward functions of the GRPO stages: hand-computed cases, properties and degenerate inputs.

Expected values are computed here from the documented formulas with scipy's normal CDF (an
implementation independent of the one under test).
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from red_aes.train.rewards import (
    DIRECTION_TAU,
    MAGNITUDE_SCALE,
    completion_text,
    fidelity,
    format_reward,
    group_rank_reward,
    pair_consistency_reward,
)


def delta_answer(value: float) -> str:
    return f"<think>brighter and cleaner</think><answer>{value:+.1f}</answer>"


def score_answer(value: float) -> str:
    return f"<answer>{value:.1f}</answer>"


def conversational(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


class Recorder:
    """Collects what a reward function reports through TRL's ``log_metric`` hook."""

    def __init__(self) -> None:
        self.metrics: dict[str, list[float]] = {}

    def __call__(self, name: str, value: float) -> None:
        self.metrics.setdefault(name, []).append(value)


# -- completion handling ---------------------------------------------------------------------------


def test_completion_text_accepts_plain_conversational_and_block_content() -> None:
    assert completion_text("<answer>5.0</answer>") == "<answer>5.0</answer>"
    assert completion_text(conversational("<answer>5.0</answer>")) == "<answer>5.0</answer>"
    parts = [{"type": "text", "text": "<answer>"}, {"type": "text", "text": "5.0</answer>"}]
    blocks = [{"role": "assistant", "content": parts}]
    assert completion_text(blocks) == "<answer>5.0</answer>"
    with pytest.raises(TypeError, match="completion must be"):
        completion_text(42)  # type: ignore[arg-type]


def test_fidelity_bounds_and_errors() -> None:
    assert fidelity(0.3, 0.3) == pytest.approx(1.0)
    assert fidelity(1.0, 0.0) == 0.0
    assert fidelity(0.5, 1.0) == pytest.approx(math.sqrt(0.5))
    with pytest.raises(ValueError, match=r"q=1.2 is not a probability"):
        fidelity(0.5, 1.2)


# -- format_reward ---------------------------------------------------------------------------------


def test_format_reward_checks_each_completion_against_its_kind_and_logs_failures() -> None:
    completions = [
        conversational(delta_answer(1.5)),
        conversational("the edit is better, +1.5"),
        conversational(score_answer(6.4)),
        conversational("<answer>12.0</answer>"),  # a score out of [1, 10]
    ]
    log = Recorder()
    rewards = format_reward(completions, answer_kind=["delta", "delta", "score", "score"], log_metric=log)
    assert rewards == [1.0, 0.0, 1.0, 0.0]
    assert log.metrics == {"rewards/format_reward/unparseable_frac": [0.5]}


def test_format_reward_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match=r"answer_kind values \['rating'\]"):
        format_reward(["<answer>5</answer>"], answer_kind=["rating"])


# -- pair_consistency_reward -----------------------------------------------------------------------


def test_pair_consistency_hand_computed_two_samples() -> None:
    # Judged delta +1, samples +1 and -1: sigma_g = 1, common scale sqrt(tau^2 + 1).
    rewards = pair_consistency_reward(
        [delta_answer(1.0), delta_answer(-1.0)], pair_id=["p", "p"], delta=[1.0, 1.0]
    )
    scale = math.sqrt(DIRECTION_TAU**2 + 1.0)
    p = norm.cdf(1.0 / scale)
    q = norm.cdf(-1.0 / scale)
    wrong = 0.5 * (math.sqrt(p * q) + math.sqrt((1 - p) * (1 - q))) + 0.5 * math.exp(-2.0 / MAGNITUDE_SCALE)
    assert rewards[0] == pytest.approx(1.0)
    assert rewards[1] == pytest.approx(wrong)


def test_pair_consistency_zero_variance_uses_tau_alone() -> None:
    # All samples agree (sigma_g = 0): the target is exactly Phi(delta / tau).
    rewards = pair_consistency_reward([delta_answer(0.5)] * 3, pair_id=["p"] * 3, delta=[2.0] * 3)
    p, q = norm.cdf(2.0 / DIRECTION_TAU), norm.cdf(0.5 / DIRECTION_TAU)
    direction = math.sqrt(p * q) + math.sqrt((1 - p) * (1 - q))
    expected = 0.5 * direction + 0.5 * math.exp(-1.5 / MAGNITUDE_SCALE)
    assert rewards == pytest.approx([expected] * 3)


def test_pair_consistency_right_direction_beats_wrong_direction() -> None:
    for judged in (2.0, 0.4, -0.7, -3.0):
        sign = math.copysign(1.0, judged)
        right, wrong = sign * 1.0, -sign * 1.0
        rewards = pair_consistency_reward(
            [delta_answer(right), delta_answer(wrong)], pair_id=["p", "p"], delta=[judged, judged]
        )
        assert rewards[0] > rewards[1], judged


def test_pair_consistency_exact_delta_is_best() -> None:
    samples = [-2.0, -0.5, 0.0, 0.8, 1.5, 2.3, 4.0]
    rewards = pair_consistency_reward(
        [delta_answer(v) for v in samples], pair_id=["p"] * len(samples), delta=[1.5] * len(samples)
    )
    assert rewards[samples.index(1.5)] == pytest.approx(1.0)
    assert max(rewards) == rewards[samples.index(1.5)]
    assert all(r < 1.0 for i, r in enumerate(rewards) if samples[i] != 1.5)


def test_pair_consistency_unparseable_gets_zero_and_is_excluded_from_the_spread() -> None:
    log = Recorder()
    with_bad = pair_consistency_reward(
        [delta_answer(1.0), "no answer", delta_answer(1.0)],
        pair_id=["p"] * 3,
        delta=[1.0] * 3,
        log_metric=log,
    )
    assert with_bad == [pytest.approx(1.0), 0.0, pytest.approx(1.0)]
    assert log.metrics["rewards/pair_consistency_reward/unparseable_frac"] == [pytest.approx(1 / 3)]


def test_pair_consistency_groups_by_pair_id() -> None:
    # Pair "b" with a large spread must not change the scale used for pair "a".
    alone = pair_consistency_reward([delta_answer(0.5)] * 2, pair_id=["a"] * 2, delta=[2.0] * 2)
    mixed = pair_consistency_reward(
        [delta_answer(0.5), delta_answer(0.5), delta_answer(-8.0), delta_answer(8.0)],
        pair_id=["a", "a", "b", "b"],
        delta=[2.0, 2.0, -1.0, -1.0],
    )
    assert mixed[:2] == pytest.approx(alone)


def test_pair_consistency_rejects_inconsistent_columns() -> None:
    with pytest.raises(ValueError, match="'delta' has 1 values for 2 completions"):
        pair_consistency_reward([delta_answer(1.0)] * 2, pair_id=["p", "p"], delta=[1.0])
    with pytest.raises(ValueError, match="pair 'p' has two judged deltas"):
        pair_consistency_reward([delta_answer(1.0)] * 2, pair_id=["p", "p"], delta=[1.0, 2.0])


# -- group_rank_reward -----------------------------------------------------------------------------


def group_batch(scores: dict[str, list[float]], relative: dict[str, float], group: str = "g") -> dict:
    """Completions and reward columns for one group: member -> sampled scores."""
    columns: dict[str, list] = {"completions": [], "group_id": [], "image_id": [], "relative_score": []}
    for member, values in scores.items():
        for value in values:
            columns["completions"].append(conversational(score_answer(value)))
            columns["group_id"].append(group)
            columns["image_id"].append(member)
            columns["relative_score"].append(relative[member])
    return columns


def merge(*batches: dict) -> dict:
    return {key: [v for batch in batches for v in batch[key]] for key in batches[0]}


def test_group_rank_hand_computed_with_spread() -> None:
    # original (relative 0): scores 5, 7 (mu 6, sd 1); edit (relative +1): scores 6, 8 (mu 7, sd 1).
    batch = group_batch({"orig": [5.0, 7.0], "edit": [6.0, 8.0]}, {"orig": 0.0, "edit": 1.0})
    rewards = group_rank_reward(**batch)
    denominator = math.sqrt(1.0 + 1.0 + 1e-6)
    # original samples: target 0 against the edit (mu 7)
    orig = [math.sqrt(1 - norm.cdf((s - 7.0) / denominator)) for s in (5.0, 7.0)]
    # edit samples: target 1 against the original (mu 6)
    edit = [math.sqrt(norm.cdf((s - 6.0) / denominator)) for s in (6.0, 8.0)]
    assert rewards == pytest.approx(orig + edit)


def test_group_rank_order_consistent_group_beats_inverted_group() -> None:
    relative = {"orig": 0.0, "up": 1.5, "down": -1.0}
    consistent = group_batch({"orig": [5.0, 5.5], "up": [6.5, 7.0], "down": [4.0, 4.5]}, relative)
    inverted = group_batch({"orig": [5.0, 5.5], "up": [4.0, 4.5], "down": [6.5, 7.0]}, relative)
    good, bad = group_rank_reward(**consistent), group_rank_reward(**inverted)
    assert sum(good) > sum(bad)
    # every edit sample individually is rewarded more when the order is right
    assert all(g > b for g, b in zip(good[2:], bad[2:], strict=True))


def test_group_rank_other_groups_never_leak_in() -> None:
    relative = {"orig": 0.0, "edit": 2.0}
    group_a = group_batch({"orig": [5.0, 6.0], "edit": [6.5, 7.5]}, relative, group="a")
    calm_b = group_batch({"orig": [5.0, 5.0], "edit": [6.0, 6.0]}, relative, group="b")
    wild_b = group_batch({"orig": [10.0, 1.0], "edit": [1.0, 1.0]}, {"orig": 0.0, "edit": -5.0}, group="b")
    alone = group_rank_reward(**group_a)
    assert group_rank_reward(**merge(group_a, calm_b))[:4] == pytest.approx(alone)
    assert group_rank_reward(**merge(wild_b, group_a))[4:] == pytest.approx(alone)


def test_group_rank_zero_variance_is_a_step_and_ties_want_one_half() -> None:
    relative = {"orig": 0.0, "edit": 1.0, "same": 0.0}
    right = group_rank_reward(**group_batch({"orig": [5.0] * 2, "edit": [6.0] * 2}, relative))
    assert right == pytest.approx([1.0] * 4)  # p_hat is exactly 0 or 1 and agrees with the order
    wrong = group_rank_reward(**group_batch({"orig": [6.0] * 2, "edit": [5.0] * 2}, relative))
    assert wrong == pytest.approx([0.0] * 4, abs=1e-12)
    # a judged tie (relative 0 vs 0) is best predicted by equal scores: p_hat = 1/2 matches target 1/2
    tie_equal = group_rank_reward(**group_batch({"orig": [5.0] * 2, "same": [5.0] * 2}, relative))
    tie_apart = group_rank_reward(**group_batch({"orig": [5.0] * 2, "same": [7.0] * 2}, relative))
    assert tie_equal == pytest.approx([1.0] * 4)
    assert tie_apart == pytest.approx([math.sqrt(0.5)] * 4)


def test_group_rank_single_sample_per_member() -> None:
    # num_generations = 1 is degenerate (sd 0 for everyone) but well defined
    rewards = group_rank_reward(**group_batch({"orig": [5.0], "edit": [5.0]}, {"orig": 0.0, "edit": 1.0}))
    assert rewards == pytest.approx([math.sqrt(0.5)] * 2)


def test_group_rank_unparseable_samples_and_members_without_comparison() -> None:
    batch = group_batch({"orig": [5.0, 6.0], "edit": [7.0, 7.0]}, {"orig": 0.0, "edit": 1.0})
    batch["completions"][2] = conversational("seven")  # one edit sample fails
    batch["completions"][3] = conversational("<answer>7 points</answer>")  # the other too
    log = Recorder()
    rewards = group_rank_reward(**batch, log_metric=log)
    assert rewards == [None, None, 0.0, 0.0]
    assert log.metrics["rewards/group_rank_reward/unparseable_frac"] == [0.5]
    assert log.metrics["rewards/group_rank_reward/no_comparison_frac"] == [0.5]


def test_group_rank_rejects_broken_groups_and_inconsistent_labels() -> None:
    lonely = group_batch({"orig": [5.0, 6.0]}, {"orig": 0.0})
    with pytest.raises(ValueError, match=r"groups \['g'\] have a single member"):
        group_rank_reward(**lonely)
    batch = group_batch({"orig": [5.0], "edit": [6.0, 6.0]}, {"orig": 0.0, "edit": 1.0})
    batch["relative_score"][2] = 2.0
    with pytest.raises(ValueError, match="member 'edit' of group 'g' has two relative scores"):
        group_rank_reward(**batch)


# -- hyperparameters -------------------------------------------------------------------------------


def test_hyperparameters_out_of_range_are_refused_by_name() -> None:
    from red_aes.train.rewards import HYPERPARAMETERS, check_hyperparameters

    with pytest.raises(ValueError, match=r"tau must be > 0, got 0.0; magnitude_scale must be > 0, got -1.0"):
        pair_consistency_reward(
            [delta_answer(1.0)], pair_id=["p"], delta=[1.0], tau=0.0, magnitude_scale=-1.0
        )
    with pytest.raises(ValueError, match=r"direction_weight must be >= 0, got -0\.5"):
        pair_consistency_reward([delta_answer(1.0)], pair_id=["p"], delta=[1.0], direction_weight=-0.5)
    with pytest.raises(ValueError, match="epsilon must be > 0, got 0"):
        group_rank_reward(
            [score_answer(5.0)] * 2, group_id=["g"] * 2, image_id=["a", "b"], relative_score=[0, 1], epsilon=0
        )
    with pytest.raises(ValueError, match="unknown reward hyperparameter 'temperature'"):
        check_hyperparameters(temperature=1.0)
    check_hyperparameters(**{name: 1.0 for name in HYPERPARAMETERS})  # in range: no error


def test_the_weights_set_the_mix_of_direction_and_magnitude() -> None:
    """w_D = 1, w_M = 0 leaves the direction term alone: a sample with the right sign but the wrong size
    keeps a high reward; w_D = 0, w_M = 1 leaves the magnitude term alone."""
    completions, columns = [delta_answer(3.0)], {"pair_id": ["p"], "delta": [0.5]}
    (direction,) = pair_consistency_reward(completions, **columns, direction_weight=1.0, magnitude_weight=0.0)
    (magnitude,) = pair_consistency_reward(completions, **columns, direction_weight=0.0, magnitude_weight=1.0)
    p, q = norm.cdf(0.5 / DIRECTION_TAU), norm.cdf(3.0 / DIRECTION_TAU)
    assert direction == pytest.approx(math.sqrt(p * q) + math.sqrt((1 - p) * (1 - q)))
    assert magnitude == pytest.approx(math.exp(-2.5 / MAGNITUDE_SCALE))
