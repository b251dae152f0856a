"""The endpoint judge, planner and teacher against a local stub of the OpenAI chat-completions API.

The stub stands in for a vLLM server or hosted API (unreachable here): it records each request and
answers with scripted text, so the real client code (:mod:`red_aes.chat`) does the HTTP, the
image encoding and the parsing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chat_stub import ChatStub
from PIL import Image

from red_aes.chat import ChatEndpoint, EndpointError
from red_aes.data.judges import EndpointJudge, InvalidVote, PairToJudge, load_judge
from red_aes.data.plans import EndpointWriter, PlanError
from red_aes.data.rationale import EndpointTeacher, RationaleError, RationaleInput
from red_aes.images import load_image
from red_aes.parsing import parse_answer
from red_aes.prompts import get_template
from red_aes.types import Verdict


def _decode_data_url(url: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    return load_image(base64.b64decode(url[len(prefix) :]))


@pytest.fixture(scope="module")
def pair(photo_paths: list[Path]) -> PairToJudge:
    original = load_image(photo_paths[0])
    original.thumbnail((96, 96))
    edited = Image.fromarray((np.asarray(original) * 0.6).astype(np.uint8))
    return PairToJudge(original, edited, "Darken the whole photo a lot.")


@pytest.fixture
def stub_factory() -> Iterator[Any]:
    stubs: list[ChatStub] = []

    def make(replies: list[str | int]) -> ChatStub:
        stub = ChatStub(replies).__enter__()
        stubs.append(stub)
        return stub

    yield make
    for stub in stubs:
        stub.__exit__()


def test_endpoint_judge_sends_pair_prompt_and_parses_votes(stub_factory: Any, pair: PairToJudge) -> None:
    replies = [
        "<think>It got much darker and lost shadow detail.</think><answer>-1.8</answer>",
        "It looks worse, -2",
    ]
    stub = stub_factory(replies)
    judge = load_judge(
        {"name": "endpoint", "base_url": stub.base_url, "model": "judge-72b", "concurrency": 1}
    )
    votes = judge.judge([pair, pair])
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
    assert np.array_equal(np.asarray(_decode_data_url(images[0])), np.asarray(pair.original))
    assert np.array_equal(np.asarray(_decode_data_url(images[1])), np.asarray(pair.edited))
    assert pair.instruction in texts[0] and "<answer>" in texts[0]
    assert "authorization" not in stub.headers[0]


def test_endpoint_api_key_comes_from_the_named_environment_variable(
    stub_factory: Any, pair: PairToJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = stub_factory(["<answer>+0.5</answer>"])
    monkeypatch.setenv("RED_TEST_KEY", "sk-local")
    judge = EndpointJudge(stub.base_url, "m", api_key_env="RED_TEST_KEY")
    assert judge.judge([pair]) == [Verdict("endpoint:m", 0.5, "")]
    assert stub.headers[0]["authorization"] == "Bearer sk-local"
    monkeypatch.delenv("RED_TEST_KEY")
    with pytest.raises(ValueError, match="RED_TEST_KEY"):
        EndpointJudge(stub.base_url, "m", api_key_env="RED_TEST_KEY")


def test_endpoint_errors_are_retried_then_reported(stub_factory: Any) -> None:
    stub = stub_factory([503, "<answer>+1.0</answer>", 400])
    client = ChatEndpoint(stub.base_url, "m", max_retries=1)
    assert client.chat([{"role": "user", "content": "hi"}]) == "<answer>+1.0</answer>"  # 503 retried
    with pytest.raises(EndpointError, match="HTTP 400"):
        client.chat([{"role": "user", "content": "hi"}])
    with pytest.raises(EndpointError, match="cannot reach"):
        ChatEndpoint("http://127.0.0.1:9/v1", "m", max_retries=0, timeout=2).chat([])
    with pytest.raises(ValueError, match="http"):
        ChatEndpoint("localhost:8000", "m")


def test_load_judge_rejects_unknown_names_and_options() -> None:
    with pytest.raises(ValueError, match="unknown judge 'oracle'"):
        load_judge({"name": "oracle"})
    with pytest.raises(ValueError, match="base_ur"):
        load_judge({"name": "endpoint", "base_ur": "http://x", "model": "m"})


def test_endpoint_planner_writes_checked_instructions(stub_factory: Any, pair: PairToJudge) -> None:
    stub = stub_factory(['"Dim the lamp light a little."', "line one\nline two"])
    writer = EndpointWriter(stub.base_url, "planner")
    assert writer.write("exposure", "degrade", 0.3, pair.original, seed=5) == "Dim the lamp light a little."
    content = stub.requests[0]["messages"][0]["content"]
    assert "worsens the exposure" in content[1]["text"] and "slightly" in content[1]["text"]
    assert stub.requests[0]["seed"] == 5
    with pytest.raises(PlanError, match="one-line"):
        writer.write("exposure", "degrade", 0.3, pair.original, seed=6)


def test_endpoint_teacher_regenerates_until_the_direction_agrees(
    stub_factory: Any, pair: PairToJudge
) -> None:
    stub = stub_factory(
        [
            "<think>Brighter and better.</think><answer>+1.0</answer>",  # wrong direction
            "no tags at all",  # unparseable
            "<think>The photo is much darker; shadows are crushed.</think><answer>-2.2</answer>",
        ]
    )
    teacher = EndpointTeacher(0.25, stub.base_url, "teacher", max_attempts=3)
    item = RationaleInput(pair.original, pair.edited, pair.instruction, "exposure", -1.5)
    target = teacher.write(item)
    parsed = parse_answer(target, strict=True)
    assert parsed.value == -1.5 and parsed.reasoning == "The photo is much darker; shadows are crushed."
    assert [r["temperature"] for r in stub.requests] == [0.0, 0.7, 0.7]
    grounding = stub.requests[0]["messages"][1]["content"][-1]["text"]
    assert "-1.5" in grounding and "exposure fell" in grounding  # measured facts and the judged delta
    stub.replies = ["<answer>+1.0</answer>"] * 2
    with pytest.raises(RationaleError, match="2 attempts"):
        EndpointTeacher(0.25, stub.base_url, "teacher", max_attempts=2).write(item)


def test_image_data_url_round_trips_exact_pixels(pair: PairToJudge) -> None:
    from red_aes.chat import image_data_url

    decoded = _decode_data_url(image_data_url(pair.edited))
    assert np.array_equal(np.asarray(decoded), np.asarray(pair.edited))
