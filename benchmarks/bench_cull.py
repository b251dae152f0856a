"""``red-aes cull`` at scale, measured in one run on a generated shoot.

Generates a folder of N JPEGs (default 2000, long side 4000 px: 12 MP) in bursts of 3 to 5 frames of one
scene, where one frame is clean and the others are blurred, noisy, under- or overexposed, tilted or
a re-saved duplicate (scenes: random crops of the bundled photos, mirrored at random; EXIF capture times
0.4 s apart within a burst, a minute between bursts). Then, each cull in a fresh process with RED-Lite:

(a) photos per second of a cold run over all N photos, with ``--workers`` processes
    (target >= 5 photos/s for 12 MP JPEGs on 2 cores), and the CPU seconds per photo: on a machine shared
    with other jobs, 2 / (CPU seconds per photo) is the rate 2 idle cores would give;
(b) the peak memory of that run (resident memory of the process and its workers, sampled; < 2 GB);
(c) a second, cached run over the same folder: its time and the speed-up (target >= 20x);
(d) linearity: a cold run over the first N/4 photos against the run over N, as the ratio of seconds per
    photo (1.0 = linear; above 1, the larger folder costs more per photo).

Usage: ``python benchmarks/bench_cull.py [--photos 2000] [--long-side 4000] [--workers 2]``;
``--photos 200`` gives a quick run. :func:`make_shoot` also builds the test folders of
``tests/test_cull.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from red_aes.cull import HEIF_MISSING, heif_available
from red_aes.measure import linear_to_srgb, srgb_to_linear

PHOTOS = Path(__file__).resolve().parent.parent / "examples" / "photos"
#: The defects a frame can have ("dup" is a re-save of the clean frame at another JPEG quality).
DAMAGES = ("blur", "noise", "under", "over", "tilt", "dup")
#: The flag each defect must get from ``red-aes cull``.
EXPECTED_FLAG = {
    "blur": "blur",
    "noise": "noise",
    "under": "underexposed",
    "over": "overexposed",
    "tilt": "tilt",
    "dup": "duplicate",
}
#: Defect strengths at a 512-px long side (scaled with the size): blur σ in px, grain σ in levels, EV,
#: degrees.
BLUR_SIGMA, GRAIN_LEVELS, UNDER_EV, OVER_EV, TILT_DEGREES = 2.5, 14.0, -2.0, 1.8, 6.0
BURST_STEP, SCENE_STEP = 0.4, 60.0
START = 1_714_557_600  # 2024-05-01 10:00:00 UTC


@dataclass(frozen=True)
class Frame:
    """One generated file: its path, scene (burst) number and defect (None: the clean frame)."""

    path: Path
    scene: int
    damage: str | None


def _sources() -> list[Image.Image]:
    return [
        Image.open(p).convert("RGB") for p in sorted(PHOTOS.iterdir()) if p.suffix.lower() in (".jpg", ".png")
    ]


def scene_image(sources: list[Image.Image], scene: int, rng: np.random.Generator) -> Image.Image:
    """Scene ``scene``, 4:3 landscape as a camera takes it: the centre of a bundled photo for the first
    ones, then a random crop (60-90% of the largest 4:3 box) of one, mirrored at random. One aspect
    ratio, as in a real shoot: every distinct input size costs the backbone's kernels their own cache."""
    base = sources[scene % len(sources)]
    w, h = base.size
    bw, bh = (w, round(w * 3 / 4)) if w * 3 <= h * 4 else (round(h * 4 / 3), h)
    scale = 1.0 if scene < len(sources) else rng.uniform(0.6, 0.9)
    cw, ch = round(bw * scale), round(bh * scale)
    if scene < len(sources):
        x, y = (w - cw) // 2, (h - ch) // 2
    else:
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    crop = base.crop((x, y, x + cw, y + ch))
    return ImageOps.mirror(crop) if scene >= len(sources) and rng.random() < 0.5 else crop


def _gain(image: Image.Image, ev: float) -> Image.Image:
    linear = srgb_to_linear(np.asarray(image, dtype=np.float32) / 255.0) * 2.0**ev
    return Image.fromarray(np.round(linear_to_srgb(np.clip(linear, 0, 1)) * 255).astype(np.uint8))


def _tilt(image: Image.Image, degrees: float) -> Image.Image:
    w, h = image.size
    t = np.radians(abs(degrees))
    s = min(w / (w * np.cos(t) + h * np.sin(t)), h / (w * np.sin(t) + h * np.cos(t)))
    box = ((w - s * w) / 2, (h - s * h) / 2, (w + s * w) / 2, (h + s * h) / 2)
    rotated = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    return rotated.resize((w, h), Image.Resampling.LANCZOS, box=box)


def damage(image: Image.Image, kind: str | None, rng: np.random.Generator) -> Image.Image:
    """``image`` with one defect of :data:`DAMAGES` (at strengths scaled from a 512-px long side)."""
    scale = max(image.size) / 512
    if kind == "blur":
        return image.filter(ImageFilter.GaussianBlur(BLUR_SIGMA * scale))
    if kind == "noise":  # grain of one 512-px pixel, as seen at viewing size
        w, h = image.size
        small = (max(1, round(w / scale)), max(1, round(h / scale)))
        grain = rng.normal(0.0, GRAIN_LEVELS, (small[1], small[0], 3)).astype(np.float32)
        if small != image.size:
            grain = np.stack(
                [
                    np.asarray(Image.fromarray(grain[..., c]).resize((w, h), Image.Resampling.NEAREST))
                    for c in range(3)
                ],
                axis=-1,
            )
        return Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8))
    if kind == "under":
        return _gain(image, UNDER_EV)
    if kind == "over":
        return _gain(image, OVER_EV)
    if kind == "tilt":
        return _tilt(image, TILT_DEGREES)
    return image


def _exif(seconds: float, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    moment = time.gmtime(int(seconds))
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[36867] = time.strftime("%Y:%m:%d %H:%M:%S", moment)  # DateTimeOriginal
    exif_ifd[37521] = f"{round((seconds % 1) * 100):02d}"  # SubSecTimeOriginal, hundredths
    if orientation:
        exif[0x0112] = orientation
    return exif


def make_shoot(
    folder: str | os.PathLike,
    plan: list[list[str | None]],
    *,
    long_side: int = 512,
    seed: int = 0,
    formats: dict[int, str] | None = None,
    rotated: tuple[int, int] | None = None,
) -> list[Frame]:
    """Write one burst per entry of ``plan`` (the defects of its frames, None for the clean one) into
    ``folder`` as ``sNNNN_fM.jpg`` with EXIF capture times; ``formats`` maps a scene to ``heic`` (with
    EXIF capture times, as a phone saves it; needs pillow-heif), ``png`` or ``tif`` (no EXIF: grouped by the
    hash alone); ``rotated`` = (scene, frame) is stored turned 90° with an EXIF
    orientation that turns it back. Returns every frame."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sources = _sources()
    frames = []
    for scene, damages in enumerate(plan):
        base = scene_image(sources, scene, rng)
        base = base.resize((long_side, round(long_side * 3 / 4)), Image.Resampling.BICUBIC)  # 4:3
        suffix = (formats or {}).get(scene, "jpg")
        for index, kind in enumerate(damages):
            image = damage(base, kind, rng)
            path = out / f"s{scene:04d}_f{index}.{suffix}"
            seconds = START + scene * SCENE_STEP + index * BURST_STEP
            if suffix == "heic":
                if not heif_available():
                    raise RuntimeError(HEIF_MISSING)
                image.save(path, quality=95, exif=_exif(seconds))
            elif suffix != "jpg":
                image.save(path)
            elif rotated == (scene, index):
                image.transpose(Image.Transpose.ROTATE_90).save(path, quality=95, exif=_exif(seconds, 6))
            else:
                image.save(path, quality=90 if kind == "dup" else 95, exif=_exif(seconds))
            frames.append(Frame(path, scene, kind))
    return frames


def random_plan(photos: int, seed: int = 0) -> list[list[str | None]]:
    """Bursts of 3 to 5 frames (one clean, the others with distinct random defects) adding up to
    ``photos`` frames."""
    rng = np.random.default_rng(seed)
    plan: list[list[str | None]] = []
    left = photos
    while left > 0:
        size = min(left, int(rng.integers(3, 6)))
        damages = [str(d) for d in rng.choice(DAMAGES, size=size - 1, replace=False)] if size > 1 else []
        burst: list[str | None] = [None, *damages]
        plan.append(burst)
        left -= size
    return plan


# -- the measured runs ----------------------------------------------------------------------------------


#: The cull run in a fresh process: memory sampled every 0.1 s (psutil), CPU time read at the end.
_RUN = """
import json, resource, sys, threading, time
import psutil
from red_aes.cull import Culler

peak = {"total": 0.0, "main": 0.0, "worker": 0.0}
done = threading.Event()

def sample():
    me = psutil.Process()
    while not done.is_set():
        try:
            main = me.memory_info().rss
            workers = [c.memory_info().rss for c in me.children(recursive=True)]
        except psutil.Error:
            continue
        peak["total"] = max(peak["total"], main + sum(workers))
        peak["main"] = max(peak["main"], main)
        peak["worker"] = max([peak["worker"], *workers])
        time.sleep(0.1)

def cpu():
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)

if __name__ == "__main__":
    folder, cache, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threading.Thread(target=sample, daemon=True).start()
    start, cpu_start = time.perf_counter(), cpu()
    result = Culler("red-lite", cache=cache, workers=workers, progress=False).run(folder)
    seconds = time.perf_counter() - start
    done.set()
    print(json.dumps({
        "seconds": seconds, "cpu_seconds": cpu() - cpu_start, "photos": len(result.photos),
        "analysed": result.analysed, "rss_mb": peak["main"] / 2**20, "worker_rss_mb": peak["worker"] / 2**20,
        "total_rss_mb": peak["total"] / 2**20,
    }))
"""


def _cull(folder: Path, cache: Path, workers: int) -> dict[str, float]:
    """One cull with RED-Lite in a fresh process: seconds, CPU seconds (the process and its workers),
    photos, photos analysed, and peak resident memory in MB of the main process, the largest worker and
    all together (sampled: the ``ru_maxrss`` of a process started from this one would start from this
    process's own peak)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(_RUN)
    try:
        argv = [sys.executable, script.name, str(folder), str(cache), str(workers)]
        done = subprocess.run(argv, check=True, capture_output=True, text=True)
    finally:
        os.unlink(script.name)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000, help="photos in the folder (default 2000)")
    parser.add_argument("--long-side", type=int, default=4000, help="long side in px (default 4000: 12 MP)")
    parser.add_argument("--workers", type=int, default=2, help="cull --workers (default 2)")
    parser.add_argument("--folder", help="where to generate the shoot (default: a temporary folder)")
    args = parser.parse_args(argv if argv is not None else [])
    work = Path(args.folder) if args.folder else Path(tempfile.mkdtemp(prefix="bench-cull-"))
    try:
        plan = random_plan(args.photos)
        quarter = max(1, len(plan) // 4)
        start = time.perf_counter()
        stamp = work / "shoot" / f"{args.photos}x{args.long_side}.done"
        if not stamp.exists():  # a --folder generated before with the same flags is reused
            shutil.rmtree(work / "shoot", ignore_errors=True)
            make_shoot(work / "shoot" / "a", plan[:quarter], long_side=args.long_side, seed=1)
            make_shoot(work / "shoot" / "b", plan[quarter:], long_side=args.long_side, seed=2)
            stamp.touch()
        for cache in ("cache", "cache-quarter"):
            shutil.rmtree(work / cache, ignore_errors=True)
        files = sorted((work / "shoot").rglob("*.jpg"))
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        print(
            f"{len(files)} JPEGs of {args.long_side} px on the long side ({size_mb / len(files):.1f} MB "
            f"each, ready in {time.perf_counter() - start:.0f} s); cull --workers {args.workers}, "
            f"{os.cpu_count()} CPUs"
        )
        small = _cull(work / "shoot" / "a", work / "cache-quarter", args.workers)
        cold = _cull(work / "shoot", work / "cache", args.workers)
        warm = _cull(work / "shoot", work / "cache", args.workers)
        rate = cold["photos"] / cold["seconds"]
        cpu = cold["cpu_seconds"] / cold["photos"]
        print(
            f"(a) cold run: {cold['photos']} photos in {cold['seconds']:.1f} s = {rate:.2f} photos/s "
            f"(target >= 5); {cpu:.2f} CPU-s per photo, i.e. {2 / cpu:.2f} photos/s on 2 idle cores"
        )
        print(
            f"(b) peak memory: {cold['total_rss_mb']:.0f} MB in all, {cold['rss_mb']:.0f} MB main process, "
            f"{cold['worker_rss_mb']:.0f} MB largest worker (target < 2048 MB)"
        )
        print(
            f"(c) cached rerun: {warm['seconds']:.2f} s ({warm['analysed']} analysed), "
            f"{cold['seconds'] / warm['seconds']:.1f}x faster (target >= 20x)"
        )
        per_small, per_all = small["seconds"] / small["photos"], cold["seconds"] / cold["photos"]
        cpu_small = small["cpu_seconds"] / small["photos"]
        print(
            f"(d) linearity: {small['photos']} photos in {small['seconds']:.1f} s, {cold['photos']} in "
            f"{cold['seconds']:.1f} s: {per_all / per_small:.2f}x the time per photo, {cpu / cpu_small:.2f}x "
            "the CPU time per photo (1.0 = linear)"
        )
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        if not args.folder:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
