"""One ``red-aes eval`` run as a session (red_aes.evaluation.session): models through the shared cache,
then the reports; shards only fill the cache; bad sessions are refused before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from red_aes.errors import InputError
from red_aes.evaluation.benchmarks import LoadRequest
from red_aes.evaluation.session import AnchorSource, EvalSession, ModelEntry, run_session
from red_aes.registry import RegistryError


def _session(small_photos: Path, labels: Path, out: Path, **fields: object) -> EvalSession:
    request = LoadRequest(root=small_photos, labels=labels)
    values = {"decoding": "fast", "bootstrap": 20, "progress": False, **fields}
    return EvalSession([ModelEntry("measured")], "ava", request, out, **values)  # type: ignore[arg-type]


def test_a_session_scores_into_the_cache_and_writes_the_reports(
    small_photos: Path, labelled_photos: Path, tmp_path: Path
) -> None:
    lines: list[str] = []
    outcome = run_session(_session(small_photos, labelled_photos, tmp_path / "run"), report=lines.append)
    assert outcome.state is None and lines == []  # one process: no share to report
    (result,) = outcome.results
    assert (result.label, result.computed, result.cached, len(result.predictions)) == ("measured", 7, 0, 7)
    assert {"predictions.csv", "results.json", "results.md"} <= {p.name for p in outcome.written}
    assert json.loads((tmp_path / "run" / "results.json").read_text())["results"][0]["n_items"] == 7
    again = run_session(_session(small_photos, labelled_photos, tmp_path / "run"))
    assert (again.results[0].computed, again.results[0].cached) == (0, 7)


def test_a_shard_only_fills_the_cache(small_photos: Path, labelled_photos: Path, tmp_path: Path) -> None:
    outcome = run_session(_session(small_photos, labelled_photos, tmp_path / "run", shard=(0, 2)))
    assert outcome.written == [] and len(outcome.results[0].predictions) == 4
    assert (
        not (tmp_path / "run" / "predictions.csv").exists() and (tmp_path / "run" / "cache.sqlite").is_file()
    )


def test_a_session_is_checked_before_any_work(
    small_photos: Path, labelled_photos: Path, tmp_path: Path
) -> None:
    with pytest.raises(RegistryError, match="no-such-benchmark"):
        EvalSession([ModelEntry("measured")], "no-such-benchmark", LoadRequest(), tmp_path)
    with pytest.raises(InputError, match="--model-card describes one model; got 2 --model"):
        EvalSession(
            [ModelEntry("measured"), ModelEntry("red-lite")],
            "ava",
            LoadRequest(),
            tmp_path,
            model_card=tmp_path,
        )
    session = _session(
        small_photos, labelled_photos, tmp_path / "x", load_options={"dtype": None, "device": "cpu"}
    )
    assert session.load_options == {"device": "cpu"}  # unset options are the backend's defaults
    anchored = _session(small_photos, labelled_photos, tmp_path / "anchored", scoring="anchored")
    with pytest.raises(InputError, match="--scoring anchored needs --anchors CSV"):
        run_session(anchored)
    assert not (tmp_path / "anchored").exists()
    assert AnchorSource(tmp_path / "train.csv").count == 5
