"""Reward functions for the two GRPO stages, with TRL's reward signature ``(completions, **kwargs)``.

TRL's ``GRPOTrainer`` calls each reward function once per local generation batch with
``prompts``, ``completions`` (plain strings, or ``[{"role": "assistant", "content": ...}]`` lists for
conversational prompts), ``completion_ids``, every dataset column as a keyword list aligned with the
completions (each prompt repeated ``num_generations`` times), ``trainer_state``, ``log_extra`` and
``log_metric``. A recipe names them in ``reward_funcs`` by their registered names (``format``,
``pair_consistency``, ``group_rank``) or by dotted import path, e.g.
``red_aes.train.rewards.pair_consistency_reward``, as TRL's own GRPO script takes them (see
:data:`red_aes.train.grpo.REWARDS`).

Only relative supervision is used: the judged delta ``Δ = s(edited) − s(original)`` of a pair (stage 2)
and, for stage 3, the judged *relative* score of each member of a source group (original = 0, an edit =
its Δ). No absolute label appears anywhere.

Notation: ``Φ`` is the standard normal CDF and the *fidelity* between a target probability ``p`` and a
predicted probability ``q`` is ``F(p, q) = sqrt(p q) + sqrt((1 − p)(1 − q))`` (1 when ``q = p``, 0 when
they are opposite certainties), the measure used by VisualQuality-R1 and earlier fidelity-loss IQA work.

``format_reward``
    1 if the completion parses with :func:`red_aes.parsing.parse_answer` (kind from the ``answer_kind``
    column: ``"delta"`` or ``"score"``), else 0.

``pair_consistency_reward`` (stage 2), for sample ``k`` of a pair with sampled delta ``δ_k`` and judged
``Δ``; ``σ_g`` is the population standard deviation of the parseable sampled deltas of the same pair
(``pair_id``) in the batch, ``0`` when they all agree or only one parses::

    ς     = sqrt(τ² + σ_g²)                     common Thurstone scale (τ: judge noise, default 1.0)
    p     = Φ(Δ / ς)                            soft target: probability that the edit is better
    p̂_k   = Φ(δ_k / ς)                          the sample's probability that the edit is better
    D_k   = F(p, p̂_k)                           direction term, in [0, 1], 1 iff δ_k = Δ
    M_k   = exp(−|δ_k − Δ| / s)                 magnitude term (s = 1.0 score point)
    r_k   = w_D D_k + w_M M_k                   w_D = w_M = 0.5, so r_k ∈ [0, 1] and r_k = 1 iff δ_k = Δ

    ``p̂`` is per sample (not the group's ``Φ(mean/σ)``): a value shared by all samples of a prompt would
    cancel in GRPO's group-relative advantage. The group still enters through ``σ_g``: a spread-out
    group flattens both probabilities, so the direction term is lenient when the policy is unsure and
    the magnitude term dominates. Zero variance (identical samples, one parseable sample) needs no
    special case because ``ς ≥ τ > 0``; with ``σ_g = 0`` the target is exactly ``Φ(Δ/τ)``.

``group_rank_reward`` (stage 3), single-image score samples. Rows carry ``group_id`` (a source photo's
group: its original and some of its edits), ``image_id`` (the member) and ``relative_score`` (0 for the
original, Δ for an edit). For sample ``k`` of member ``i`` with score ``s_ik``; ``μ_j, σ_j`` are the mean
and population standard deviation of the parseable scores of member ``j`` in the batch::

    p̂_ikj = Φ((s_ik − μ_j) / sqrt(σ_i² + σ_j² + ε))        ε = 1e-6, a numerical guard only
    t_ij  = 1 if r_i > r_j, 0 if r_i < r_j, 1/2 if r_i = r_j (judged order; ties are explicit)
    r_ik  = mean over the other members j of the same group of F(t_ij, p̂_ikj)

    Only members of the same ``group_id`` are compared; other groups in the batch never enter. With zero
    variance on both sides ``p̂`` becomes a step (0, 1/2 or 1). A member whose samples all fail to parse
    is left out of the others' comparisons; a parseable sample with no parseable member to compare with
    gets ``None`` (TRL then ignores this function for that sample) and is counted under ``no_comparison``.
    A group that has a single member in the batch is a data-ordering error and raises.

Unparseable completions get reward 0 in every function and their fraction in the batch is logged
through TRL's ``log_metric`` hook as ``rewards/<function>/unparseable_frac``.

The hyperparameters (τ, ``s``, ``w_D``, ``w_M``, ε) are keyword arguments with the defaults below; a GRPO
recipe sets them as ``reward_tau``, ``reward_magnitude_scale``, ``reward_direction_weight``,
``reward_magnitude_weight`` and ``reward_epsilon`` (:class:`red_aes.train.config.RedAesArguments`), and
the stage binds each to the reward functions that take it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from red_aes.errors import InputError
from red_aes.parsing import RANGES, parse_answer

#: Judge noise τ of the soft direction target Φ(Δ/τ), in score points.
DIRECTION_TAU = 1.0
#: Scale s of the magnitude term exp(−|δ − Δ| / s), in score points.
MAGNITUDE_SCALE = 1.0
#: Weights of the direction and magnitude terms of :func:`pair_consistency_reward` (they sum to 1).
DIRECTION_WEIGHT = 0.5
MAGNITUDE_WEIGHT = 0.5
#: Variance guard ε of :func:`group_rank_reward` (VisualQuality-R1 style); small enough to be numerical only.
RANK_EPSILON = 1e-6

#: The reward functions' hyperparameters, by keyword; a recipe sets each as ``reward_<name>``.
HYPERPARAMETERS: tuple[str, ...] = (
    "tau",
    "magnitude_scale",
    "direction_weight",
    "magnitude_weight",
    "epsilon",
)
#: The hyperparameters that must be positive (scales); the others (weights) must not be negative.
POSITIVE_HYPERPARAMETERS: tuple[str, ...] = ("tau", "magnitude_scale", "epsilon")

LogMetric = Callable[[str, float], None]


def check_hyperparameters(**values: float | None) -> None:
    """Refuse reward hyperparameters (:data:`HYPERPARAMETERS`, None: not given) out of their range: the
    scales τ, ``magnitude_scale`` and ε must be > 0, the weights >= 0; one InputError names each bad one."""
    bad = []
    for name, value in values.items():
        if name not in HYPERPARAMETERS:
            raise InputError(f"unknown reward hyperparameter {name!r}; known: {', '.join(HYPERPARAMETERS)}")
        positive = name in POSITIVE_HYPERPARAMETERS
        if value is not None and not (value > 0 if positive else value >= 0):
            bad.append(f"{name} must be {'> 0' if positive else '>= 0'}, got {value}")
    if bad:
        raise InputError("reward hyperparameters: " + "; ".join(bad))


def normal_cdf(x: float) -> float:
    """Φ(x), the standard normal cumulative distribution function (``±inf`` give 0 and 1)."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def fidelity(p: float, q: float) -> float:
    """Fidelity ``sqrt(p q) + sqrt((1 − p)(1 − q))`` between two Bernoulli probabilities, in [0, 1]."""
    for name, value in (("p", p), ("q", q)):
        if not 0.0 <= value <= 1.0:
            raise InputError(f"fidelity: {name}={value} is not a probability in [0, 1]")
    return math.sqrt(p * q) + math.sqrt((1.0 - p) * (1.0 - q))


def completion_text(completion: str | list[dict[str, Any]]) -> str:
    """The generated text of one completion, whether TRL passes it plain or conversational."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(part.get("text") or "" for part in content if part.get("type") == "text")
    raise TypeError(
        "completion must be a string or a list of chat messages ending with the assistant turn, "
        f"got {type(completion).__name__}: {completion!r:.80}"
    )


def parse_values(completions: Sequence[Any], kinds: Sequence[str]) -> list[float | None]:
    """Parse each completion as its kind (``"delta"`` or ``"score"``); ``None`` where it does not parse."""
    if len(kinds) != len(completions):
        raise InputError(f"got {len(kinds)} answer kinds for {len(completions)} completions")
    return [parse_answer(completion_text(c), kind).value for c, kind in zip(completions, kinds, strict=True)]


def _check_column(name: str, values: Sequence[Any], n: int) -> None:
    if len(values) != n:
        raise InputError(f"reward column {name!r} has {len(values)} values for {n} completions")


def _log_unparseable(log_metric: LogMetric | None, function: str, values: Sequence[float | None]) -> None:
    """Report the fraction of unparseable completions of this batch through TRL's ``log_metric`` hook."""
    if log_metric is not None and values:
        log_metric(f"rewards/{function}/unparseable_frac", sum(v is None for v in values) / len(values))


def _pstdev(values: Sequence[float]) -> float:
    """Population standard deviation; 0 for a single value (the zero-variance case is explicit here)."""
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def format_reward(
    completions: Sequence[Any], answer_kind: Sequence[str], log_metric: LogMetric | None = None, **kwargs: Any
) -> list[float]:
    """1.0 when a completion follows the answer format of its ``answer_kind`` column, else 0.0."""
    unknown = sorted({k for k in answer_kind if k not in RANGES})
    if unknown:
        raise InputError(f"format_reward: answer_kind values {unknown} are not in {sorted(RANGES)}")
    values = parse_values(completions, answer_kind)
    _log_unparseable(log_metric, "format_reward", values)
    return [0.0 if v is None else 1.0 for v in values]


def pair_consistency_reward(
    completions: Sequence[Any],
    pair_id: Sequence[str],
    delta: Sequence[float],
    log_metric: LogMetric | None = None,
    *,
    tau: float = DIRECTION_TAU,
    magnitude_scale: float = MAGNITUDE_SCALE,
    direction_weight: float = DIRECTION_WEIGHT,
    magnitude_weight: float = MAGNITUDE_WEIGHT,
    **kwargs: Any,
) -> list[float]:
    """Stage-2 reward: direction fidelity plus magnitude agreement of each sampled Δ with the judged Δ.

    See the module docstring for the formula. ``pair_id`` groups the samples of one prompt and ``delta``
    is the judged Δ (dataset columns). Unparseable samples get 0.
    """
    n = len(completions)
    _check_column("pair_id", pair_id, n)
    _check_column("delta", delta, n)
    check_hyperparameters(
        tau=tau,
        magnitude_scale=magnitude_scale,
        direction_weight=direction_weight,
        magnitude_weight=magnitude_weight,
    )
    values = parse_values(completions, ["delta"] * n)
    _log_unparseable(log_metric, "pair_consistency_reward", values)

    samples: dict[str, list[float]] = defaultdict(list)
    judged: dict[str, float] = {}
    for key, target, value in zip(pair_id, delta, values, strict=True):
        if judged.setdefault(key, float(target)) != float(target):
            raise InputError(f"pair_consistency_reward: pair {key!r} has two judged deltas in one batch")
        if value is not None:
            samples[key].append(value)

    rewards = []
    for key, value in zip(pair_id, values, strict=True):
        if value is None:
            rewards.append(0.0)
            continue
        scale = math.sqrt(tau**2 + _pstdev(samples[key]) ** 2)
        target = judged[key]
        direction = fidelity(normal_cdf(target / scale), normal_cdf(value / scale))
        magnitude = math.exp(-abs(value - target) / magnitude_scale)
        rewards.append(direction_weight * direction + magnitude_weight * magnitude)
    return rewards


def order_target(r_i: float, r_j: float) -> float:
    """Judged probability that member i is better than member j: 1, 0, or 1/2 for a tie."""
    if r_i > r_j:
        return 1.0
    if r_i < r_j:
        return 0.0
    return 0.5


def group_rank_reward(
    completions: Sequence[Any],
    group_id: Sequence[str],
    image_id: Sequence[str],
    relative_score: Sequence[float],
    log_metric: LogMetric | None = None,
    *,
    epsilon: float = RANK_EPSILON,
    **kwargs: Any,
) -> list[float | None]:
    """Stage-3 reward: mean fidelity of each score sample's order against the other members of its group.

    See the module docstring for the formula. Returns 0 for unparseable samples and ``None`` for a
    parseable sample whose group has no parseable other member in the batch.
    """
    n = len(completions)
    for name, column in (("group_id", group_id), ("image_id", image_id), ("relative_score", relative_score)):
        _check_column(name, column, n)
    check_hyperparameters(epsilon=epsilon)
    values = parse_values(completions, ["score"] * n)
    _log_unparseable(log_metric, "group_rank_reward", values)

    members: dict[str, dict[str, float]] = defaultdict(dict)  # group -> member -> judged relative score
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    for group, member, relative, value in zip(group_id, image_id, relative_score, values, strict=True):
        known = members[group].setdefault(member, float(relative))
        if known != float(relative):
            raise InputError(
                f"group_rank_reward: member {member!r} of group {group!r} has two relative scores "
                f"({known}, {relative})"
            )
        if value is not None:
            samples[(group, member)].append(value)
    lonely = sorted(group for group, found in members.items() if len(found) < 2)
    if lonely:
        raise InputError(
            f"group_rank_reward: groups {lonely[:5]} have a single member in this batch; stage-3 data must "
            "keep each group in one local batch (build it with red_aes.train.data.group_prompts and "
            "shuffle_dataset: false)"
        )
    stats = {key: (sum(v) / len(v), _pstdev(v)) for key, v in samples.items()}

    rewards: list[float | None] = []
    no_comparison = 0
    for group, member, value in zip(group_id, image_id, values, strict=True):
        if value is None:
            rewards.append(0.0)
            continue
        _, sigma_i = stats[(group, member)]
        r_i = members[group][member]
        terms = []
        for other, r_j in members[group].items():
            if other == member or (group, other) not in stats:
                continue
            mu_j, sigma_j = stats[(group, other)]
            p_hat = normal_cdf((value - mu_j) / math.sqrt(sigma_i**2 + sigma_j**2 + epsilon))
            terms.append(fidelity(order_target(r_i, r_j), p_hat))
        if terms:
            rewards.append(sum(terms) / len(terms))
        else:
            rewards.append(None)
            no_comparison += 1
    if log_metric is not None and n:
        log_metric("rewards/group_rank_reward/no_comparison_frac", no_comparison / n)
    return rewards
