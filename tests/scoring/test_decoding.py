"""The answer constraint and fast mode's maths (red_aes.scoring.decoding) on the tiny offline VLM's
tokenizer: the answer grid, token bytes, the reasoning-mode constraint driven by scripted logits, and
the trie computation against brute force."""

from __future__ import annotations

import pytest
import torch

from red_aes.parsing import parse_answer
from red_aes.prompts import THINK_OPEN, format_delta
from red_aes.scoring.decoding import (
    AnswerConstraint,
    TokenTable,
    answer_grid,
    expected_answer,
    token_bytes,
)
from red_aes.scoring.vlm import RedAesScorer


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
