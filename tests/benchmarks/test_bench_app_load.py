"""The app load probe (benchmarks/bench_app_load.py) runs small: a real app.py server on loopback, two
concurrent clients, latency percentiles and the server's memory."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.conftest import REPO, load_script

pytest.importorskip("gradio_client")

SCRIPT = REPO / "benchmarks" / "bench_app_load.py"


def _bench() -> ModuleType:
    return load_script(SCRIPT)


@pytest.mark.slow
def test_probe_measures_latency_and_server_memory_under_concurrent_clients(capsys) -> None:
    bench = _bench()
    result = bench.probe(clients=2, requests=1, endpoint="compare", images=2, payload="photo")
    assert result["requests"] == 2 and result["ok"] == 2, result["errors"]
    assert 0 < result["p50_s"] <= result["p95_s"] <= result["wall_s"]
    assert 0 < result["idle_rss_mb"] <= result["peak_rss_mb"]
    bench.report(result)
    printed = capsys.readouterr().out
    assert "latency p50" in printed and "p95" in printed and "peak" in printed


def test_probe_bounds_and_refusals_are_checked_before_starting_a_server() -> None:
    bench = _bench()
    with pytest.raises(ValueError, match="clients must be in"):
        bench.probe(clients=bench.MAX_CLIENTS + 1, requests=1, endpoint="score", images=1, payload="photo")
    with pytest.raises(ValueError, match="endpoint must be one of"):
        bench.probe(clients=1, requests=1, endpoint="delete", images=1, payload="photo")
    assert bench.HOST == "127.0.0.1"  # loopback only


def test_percentile_interpolates() -> None:
    bench = _bench()
    assert bench.percentile([1.0], 0.95) == 1.0
    assert bench.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert bench.percentile([float(v) for v in range(1, 102)], 0.95) == pytest.approx(96.0)


@pytest.mark.slow
def test_mixed_probe_reports_light_latency_alone_and_next_to_heavy_prompts(capsys) -> None:
    bench = _bench()
    result = bench.probe_mixed(clients=1, requests=2)
    assert result["requests"] == 2 and result["ok"] == 2
    assert result["light_with_heavy"]["p95_s"] > 0 and result["p95_ratio"] > 0
    heavy = {entry["prompt"][:20]: entry for entry in result["heavy"]}
    assert len(heavy) == len(bench.HEAVY_PROMPTS)
    refusals = [entry["error"] for entry in result["heavy"][:2]]
    assert "too many edits" in refusals[0] and "too much work" in refusals[1]
    assert result["heavy"][2]["error"] is None  # the heaviest prompt the app allows runs
    bench.report_mixed(result)
    printed = capsys.readouterr().out
    assert "alone" in printed and "with heavy load" in printed and "p95" in printed
