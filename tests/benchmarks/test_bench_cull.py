"""The cull benchmark (benchmarks/bench_cull.py): its generated shoot (bursts with one clean frame each,
EXIF times) and its report of the four figures; the culls themselves run in tests/test_cull.py."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from red_aes.cull import capture_time
from tests.conftest import REPO, load_script

SCRIPT = REPO / "benchmarks" / "bench_cull.py"


def _bench() -> ModuleType:
    return load_script(SCRIPT)


def test_the_plan_has_bursts_of_3_to_5_with_one_clean_frame() -> None:
    plan = _bench().random_plan(203)
    assert sum(len(burst) for burst in plan) == 203
    assert all(1 <= len(b) <= 5 and b[0] is None and None not in b[1:] for b in plan)
    assert all(len(b) >= 3 for b in plan[:-1])


def test_the_shoot_has_the_size_and_capture_times_asked(tmp_path: Path) -> None:
    bench = _bench()
    frames = bench.make_shoot(tmp_path, [[None, "blur"], [None, "tilt", "noise"]], long_side=300)
    assert [f.path.name for f in frames] == [
        "s0000_f0.jpg",
        "s0000_f1.jpg",
        "s0001_f0.jpg",
        "s0001_f1.jpg",
        "s0001_f2.jpg",
    ]
    with Image.open(frames[1].path) as image:
        assert max(image.size) == 300
        assert capture_time(image) == bench.START + bench.BURST_STEP
    rng = np.random.default_rng(0)
    image = Image.new("RGB", (40, 30), (90, 100, 110))
    for kind in bench.DAMAGES:
        assert bench.damage(image, kind, rng).size == image.size


def test_the_report_gives_rate_memory_speed_up_and_linearity(monkeypatch, capsys, tmp_path: Path) -> None:
    bench = _bench()
    runs = iter(
        [
            {
                "seconds": 10.0,
                "cpu_seconds": 8.0,
                "photos": 5,
                "analysed": 5,
                "rss_mb": 400.0,
                "worker_rss_mb": 300.0,
                "total_rss_mb": 1000.0,
            },
            {
                "seconds": 40.0,
                "cpu_seconds": 32.0,
                "photos": 20,
                "analysed": 20,
                "rss_mb": 420.0,
                "worker_rss_mb": 310.0,
                "total_rss_mb": 1040.0,
            },
            {
                "seconds": 0.5,
                "cpu_seconds": 0.4,
                "photos": 20,
                "analysed": 0,
                "rss_mb": 380.0,
                "worker_rss_mb": 0.0,
                "total_rss_mb": 380.0,
            },
        ]
    )
    monkeypatch.setattr(bench, "_cull", lambda folder, cache, workers: next(runs))
    bench.main(["--photos", "20", "--long-side", "64", "--folder", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "20 photos in 40.0 s = 0.50 photos/s" in printed
    assert "1040 MB in all, 420 MB main process" in printed and "80.0x faster" in printed
    assert "1.60 CPU-s per photo, i.e. 1.25 photos/s" in printed and "1.00x the time per photo" in printed
