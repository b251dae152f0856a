"""The enhance benchmark (benchmarks/bench_enhance.py): its colour distance, its moved-back measure on
cases whose answer is known (the exact inverse edit moves back, the same edit again does not, a tilt
turned back is compared at the same zoom), and the report's structure on a tiny run."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from red_aes.editing.base import UnsupportedEditError
from red_aes.editing.classical import ClassicalEditor
from red_aes.editing.operations import Operation
from red_aes.enhance import Enhancer, EnhanceResult
from red_aes.images import load_image
from red_aes.scoring import load_scorer
from tests.conftest import REPO, load_script

SCRIPT = REPO / "benchmarks" / "bench_enhance.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script(SCRIPT)


@pytest.fixture(scope="module")
def photo(photos_dir: Path) -> Image.Image:
    """A small colour photo with straight lines (the rocket's tower), 200 px on the long side."""
    return load_image(photos_dir / "rocket.jpg", long_side=200)


class _Undo(Enhancer):
    """An enhancer that answers with fixed operations (the test's known edit), scoring nothing."""

    def __init__(self, operations: list[Operation]) -> None:
        super().__init__(load_scorer("measured"))
        self.operations = operations

    def enhance(self, image: Any) -> EnhanceResult:
        edited = self.editor.apply(image, self.operations, seed=0, max_work=self.editor.max_work).image
        details = {"search_delta": 0.5, "operations": [op.to_dict() for op in self.operations]}
        prompt = "; ".join(f"{op.op} {op.amount:+.3g}" for op in self.operations)
        return EnhanceResult(prompt, 0.5, "", [], edited, 1, 0.0, "test", details)


def test_the_distance_is_zero_for_the_original_and_grows_with_the_edit(bench, photo) -> None:
    editor = ClassicalEditor()
    assert bench.colour_distance(bench.Edited(photo), photo) == 0.0
    small, large = (bench.apply_edit(editor, photo, [Operation("exposure", ev)]) for ev in (-0.3, -0.6))
    assert 0.5 < bench.colour_distance(small, photo) < bench.colour_distance(large, photo)


def test_the_exact_inverse_moves_back_and_the_same_edit_again_does_not(bench, photo) -> None:
    rng = np.random.default_rng(0)
    inverse = Operation("saturation", 1 / 0.7 - 1)  # saturation x0.7, then x1/0.7
    back = bench.run_case(_Undo([inverse]), "rocket", photo, "saturation -30%", rng)
    again = bench.run_case(_Undo([Operation("saturation", -0.3)]), "rocket", photo, "saturation -30%", rng)
    assert back["enhance"]["moved_back"] and back["enhance"]["distance_after"] < 1.0
    assert back["enhance"]["prompt"] == "saturation +0.429"
    assert not again["enhance"]["moved_back"]
    assert again["enhance"]["distance_after"] > again["distance_before"] > 2.0
    for case in (back, again):
        assert 0 <= case["random"]["expected_moved_back"] <= 1 and case["random"]["candidates"] >= 28


def test_a_tilt_turned_back_is_compared_at_the_same_zoom(bench, photo) -> None:
    rng = np.random.default_rng(0)
    back = bench.run_case(_Undo([Operation("rotate", -4.0)]), "rocket", photo, "tilt 4°", rng)
    further = bench.run_case(_Undo([Operation("rotate", 4.0)]), "rocket", photo, "tilt 4°", rng)
    assert back["enhance"]["moved_back"] and not further["enhance"]["moved_back"]
    # compared without the zoom, turning back would look like moving away (the frame is zoomed twice)
    editor = ClassicalEditor()
    spoilt = bench.apply_edit(editor, photo, [Operation("rotate", 4.0)])
    turned = bench.apply_edit(editor, spoilt.image, [Operation("rotate", -4.0)])
    assert turned.zoom == pytest.approx(spoilt.zoom) and spoilt.zoom > 1.05
    aligned = bench.colour_distance(bench.Edited(turned.image, spoilt.zoom * turned.zoom), photo)
    assert aligned == pytest.approx(back["enhance"]["distance_after"], abs=1e-3)
    assert aligned < bench.colour_distance(bench.Edited(turned.image), photo)


def test_a_tiny_run_reports_every_case_and_the_summary(bench, photo, tmp_path: Path, capsys) -> None:
    photo.save(tmp_path / "rocket.png")
    out = tmp_path / "report.json"
    argv = ["--model", "measured", "--photos", str(tmp_path), "--budget", "3", "--time-limit", "10"]
    argv += ["--kinds", "exposure -0.6 EV", "tilt 4°", "--out", str(out), "--no-progress"]
    report = bench.main(argv)
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert report["model"] == "measured" and report["photos"] == ["rocket.png"]
    assert [c["kind"] for c in report["cases"]] == ["exposure -0.6 EV", "tilt 4°"]
    for case in report["cases"]:
        assert case["enhance"]["evaluations"] <= 3
        assert case["enhance"]["moved_back"] == (case["enhance"]["distance_after"] < case["distance_before"])
        assert case["random"]["prompt"]
    summary = report["summary"]
    assert set(summary["per_kind"]) == {"exposure -0.6 EV", "tilt 4°"} and summary["overall"]["cases"] == 2
    assert summary["enhance_calls"] == 3 and summary["mean_seconds_per_enhance"] > 0
    assert summary["originals"]["photos"] == 1 and 0 < summary["originals"]["random_expected_no_edit"] < 0.05
    at_run_margin = summary["margin_curve"][0]  # the curve starts at the run's margin: the rates above
    assert at_run_margin["margin"] == report["settings"]["margin"] == 0.15
    assert at_run_margin["moved_back"] == summary["overall"]["enhance_moved_back"]
    assert at_run_margin["originals_no_edit"] == summary["originals"]["enhance_no_edit"]
    printed = capsys.readouterr().out
    assert "| **overall** | 2 |" in printed and "originals: 'no edit helps'" in printed
    assert "| margin | moved back | originals 'no edit helps' |" in printed


def test_the_margin_curve_keeps_a_suggestion_only_where_its_gain_reaches_the_margin(bench) -> None:
    def case(gain: float, moved_back: bool, prompt: str = "exposure +0.3") -> dict[str, Any]:
        return {"enhance": {"prompt": prompt, "search_delta": gain, "moved_back": moved_back}}

    cases = [case(0.2, True), case(0.4, True), case(0.6, False), case(0.0, False, "no edit helps")]
    originals = [
        {"prompt": "contrast +0.1", "search_delta": 0.3},
        {"prompt": "no edit helps", "search_delta": 0.0},
        {"prompt": "error", "search_delta": 0.0},  # a failed call never counts as leaving the photo alone
    ]
    curve = {point["margin"]: point for point in bench.margin_curve(cases, originals, 0.15)}
    assert min(curve) == 0.15 and 0.0 not in curve  # only margins the run's answers can be read at
    assert [p["margin"] for p in bench.margin_curve(cases, originals, 0.2)] == [0.2, 0.25, 0.35, 0.5, 0.75]
    assert curve[0.15] == {"margin": 0.15, "moved_back": 0.5, "originals_no_edit": round(1 / 3, 3)}
    assert curve[0.25]["moved_back"] == 0.25 and curve[0.35]["originals_no_edit"] == round(2 / 3, 3)
    assert curve[0.5]["moved_back"] == 0.0 and curve[0.75]["originals_no_edit"] == round(2 / 3, 3)


class _Refused(Enhancer):
    """An enhancer whose chosen edit the editor refuses on the photo itself (as ``straighten`` can be)."""

    def __init__(self) -> None:
        super().__init__(load_scorer("measured"))

    def enhance(self, image: Any) -> EnhanceResult:
        raise UnsupportedEditError("cannot straighten: no dominant straight lines")


def test_a_failed_call_is_recorded_and_does_not_move_back(bench, photo) -> None:
    rng = np.random.default_rng(0)
    case = bench.run_case(_Refused(), "rocket", photo, "warm cast", rng)
    assert case["enhance"]["prompt"] == "error" and "straighten" in case["enhance"]["error"]
    assert not case["enhance"]["moved_back"] and case["enhance"]["distance_after"] == case["distance_before"]
    original = bench.run_original(_Refused(), "rocket", photo, rng)
    assert original["prompt"] == "error" and not original["no_edit"]
    summary = bench.summarise([case], [original])
    assert summary["overall"]["enhance_errors"] == 1 and summary["originals"]["enhance_no_edit"] == 0
