"""The judges (red_aes.data.judges): the endpoint judge against a chat stub, the VLM judge on the tiny
offline checkpoint, and the ladder judge that votes by construction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chat_stub import decode_image_url
from PIL import Image

from red_aes.data.judges import EndpointJudge, InvalidVote, LadderJudge, PairToJudge, load_judge
from red_aes.prompts import get_template
from red_aes.scoring import load_scorer
from red_aes.types import Verdict


def test_endpoint_judge_sends_pair_prompt_and_parses_votes(
    stub_factory: Any, darkened_pair: PairToJudge
) -> None:
    replies = [
        "<think>It got much darker and lost shadow detail.</think><answer>-1.8</answer>",
        "It looks worse, -2",
    ]
    stub = stub_factory(replies)
    judge = load_judge(
        {"name": "endpoint", "base_url": stub.base_url, "model": "judge-72b", "concurrency": 1}
    )
    votes = judge.judge([darkened_pair, darkened_pair])
    assert votes[0] == Verdict("endpoint:judge-72b", -1.8, "It got much darker and lost shadow detail.")
    assert isinstance(votes[1], InvalidVote)  # unparseable: recorded as invalid, never guessed
    assert votes[1].raw_text == "It looks worse, -2" and "answer" in votes[1].error
    request = stub.requests[0]
    assert request["model"] == "judge-72b" and request["temperature"] == 0.0
    system, user = request["messages"]
    assert system == {"role": "system", "content": get_template().system}
    images = [part["image_url"]["url"] for part in user["content"] if part["type"] == "image_url"]
    texts = [part["text"] for part in user["content"] if part["type"] == "text"]
    assert [part["type"] for part in user["content"]] == ["image_url", "image_url", "text"]
    assert np.array_equal(np.asarray(decode_image_url(images[0])), np.asarray(darkened_pair.original))
    assert np.array_equal(np.asarray(decode_image_url(images[1])), np.asarray(darkened_pair.edited))
    assert darkened_pair.instruction in texts[0] and "<answer>" in texts[0]
    assert "authorization" not in stub.headers[0]


def test_endpoint_api_key_comes_from_the_named_environment_variable(
    stub_factory: Any, darkened_pair: PairToJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = stub_factory(["<answer>+0.5</answer>"])
    monkeypatch.setenv("RED_TEST_KEY", "sk-local")
    judge = EndpointJudge(stub.base_url, "m", api_key_env="RED_TEST_KEY")
    assert judge.judge([darkened_pair]) == [Verdict("endpoint:m", 0.5, "")]
    assert stub.headers[0]["authorization"] == "Bearer sk-local"
    monkeypatch.delenv("RED_TEST_KEY")
    with pytest.raises(ValueError, match="RED_TEST_KEY"):
        EndpointJudge(stub.base_url, "m", api_key_env="RED_TEST_KEY")


def test_load_judge_rejects_unknown_names_and_options() -> None:
    with pytest.raises(ValueError, match="unknown judge 'oracle'"):
        load_judge({"name": "oracle"})
    with pytest.raises(ValueError, match="base_ur"):
        load_judge({"name": "endpoint", "base_ur": "http://x", "model": "m"})


def test_vlm_judge_votes_what_the_scorer_answers(tiny_model_dir: Path, tilted_pair: PairToJudge) -> None:
    judge = load_judge(
        {"name": "vlm", "model": str(tiny_model_dir), "device": "cpu", "max_reasoning_tokens": 4}
    )
    expected = load_scorer(str(tiny_model_dir), device="cpu").compare(
        tilted_pair.original, tilted_pair.edited, tilted_pair.instruction, max_reasoning_tokens=4
    )
    assert expected.valid  # reasoning mode: the constraint always yields a number
    label = f"vlm:{tiny_model_dir}"
    assert judge.judge([tilted_pair]) == [
        Verdict(label, expected.delta, expected.reasoning or "", expected.attributes)
    ]


def test_vlm_judge_records_an_untrained_fast_answer_as_an_invalid_vote(
    tiny_model_dir: Path, tilted_pair: PairToJudge
) -> None:
    judge = load_judge({"name": "vlm", "model": str(tiny_model_dir), "decoding": "fast", "device": "cpu"})
    (vote,) = judge.judge([tilted_pair])
    assert isinstance(vote, InvalidVote) and "total probability" in vote.error  # the mass, not a guess


def test_ladder_judge_votes_by_construction() -> None:
    image = Image.new("RGB", (8, 8))
    judge = load_judge({"name": "ladder", "scale": 4.0})
    weak, strong, improve = judge.judge(
        [
            PairToJudge(image, image, "blur", attribute="sharpness", direction="degrade", strength=0.25),
            PairToJudge(image, image, "blur", attribute="sharpness", direction="degrade", strength=1.0),
            PairToJudge(image, image, "sharpen", attribute="sharpness", direction="improve", strength=1.0),
        ]
    )
    assert (
        isinstance(weak, Verdict)
        and weak.delta == -1.0
        and isinstance(strong, Verdict)
        and strong.delta == -4.0
    )
    assert isinstance(improve, InvalidVote) and "improve" in improve.error
    with pytest.raises(ValueError, match="scale"):
        LadderJudge(scale=0.0)


def test_perceptual_judge_sizes_delta_by_visibility_and_signs_it_by_plan(photo_paths: list[Path]) -> None:
    """Δ 0 for an invisible change (a quality-92 JPEG save), a stronger defect a larger |Δ|, the plan's
    sign; cross-photo and unplanned pairs get an invalid vote."""
    from red_aes.editing import ClassicalEditor, Operation
    from red_aes.editing.degradations import jpeg
    from red_aes.images import load_image
    from red_aes.measure import to_float, to_image

    editor = ClassicalEditor()
    judge = load_judge({"name": "perceptual"})
    for path in photo_paths:
        photo = load_image(path)
        saved = to_image(jpeg(to_float(photo), 92))
        ladder = [editor.apply(photo, [Operation("blur", s)]).image for s in (1.0, 2.0, 4.0)]
        pairs = [PairToJudge(photo, saved, "save", attribute="noise", direction="degrade", strength=0.1)]
        pairs += [PairToJudge(photo, e, "blur", attribute="sharpness", direction="degrade") for e in ladder]
        pairs.append(PairToJudge(ladder[-1], photo, "sharpen", attribute="sharpness", direction="improve"))
        pairs += [
            PairToJudge(photo, ladder[0], "x", direction="degrade", cross_photo=True),
            PairToJudge(photo, ladder[0], "x"),
        ]
        invisible, *blurs, improve, cross, unplanned = judge.judge(pairs)
        assert isinstance(invisible, Verdict) and invisible.delta == 0.0, path.name
        deltas = [v.delta for v in blurs]
        assert deltas == sorted(deltas, reverse=True) and deltas[-1] < -2.0, (path.name, deltas)
        assert improve.delta == -blurs[-1].delta
        assert isinstance(cross, InvalidVote) and isinstance(unplanned, InvalidVote)
