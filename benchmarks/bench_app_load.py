"""Load probe of the Gradio Space (``app.py``): N concurrent clients on loopback, latency and server memory.

Starts ``app.py`` in a child process bound to 127.0.0.1 (the probe refuses any other host), on the
offline default (classical editor + measured scorer), then runs ``--clients`` threads, each sending
``--requests`` calls to one endpoint through ``gradio_client``. While they run, the server's resident
memory is sampled from ``/proc`` (Linux). Prints the p50/p95 request latency, the outcomes (with the
first distinct error messages) and the server's RSS: idle before the load, peak during it, and after it
(settled). Everything is bounded: at most 64 clients x 100 requests, a timeout per request and for the
whole run, and the server is stopped at the end.

``--payload bomb`` sends a 7990 x 7990 1-bit PNG (7.8 KB on disk, 64 megapixels decoded): the issue-11
acceptance check is ``--endpoint score --images 16 --payload bomb``, which must stay under 2 GB above
idle and return to within 300 MB of it (or be refused).

``--mixed`` is issue 16's check that one request cannot hold the app: light requests (a small photo
scored, ``--clients`` x ``--requests``) are sent once alone and once while one client sends heavy edit
prompts on a 2048 x 1366 photo (:data:`HEAVY_PROMPTS`: the 45-clause "blur 50 px" prompt, one over the
work bound, and the heaviest kind still allowed). It reports the light requests' p50/p95 both ways and
their ratio, and what happened to each heavy prompt (refused with which message, or its latency).

``--jpeg-wait`` is issue 24's check of the JPEG draft decode: the wait of one light request (a small
photo scored) queued behind five requests that each score 8 x 12-megapixel JPEGs, which the app loads at
its working size (2048 px). Two apps run side by side, one as it is (JPEGs decoded at a reduced DCT scale
where one applies) and one with the draft decode switched off (every JPEG decoded at full size, then
reduced); their bursts alternate, twice, for a phone's 4:3 shape (4000 x 3000) and a camera's 3:2 one
(4240 x 2832), and it reports the ratios of the best of each. It also reports ``load_image``'s time and
peak memory on one such JPEG, both ways, each in a fresh process.

Usage: ``python benchmarks/bench_app_load.py [--clients 8 --requests 2 --endpoint edit|compare|score
--images 4 --payload photo|bomb] [--mixed] [--jpeg-wait]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.request import urlopen

from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "examples" / "photos"
HOST = "127.0.0.1"
MAX_CLIENTS, MAX_REQUESTS = 64, 100
ENDPOINTS = ("edit", "compare", "score")
#: Seconds to wait for the server to start, for one request, and for memory to settle afterwards.
START_TIMEOUT, REQUEST_TIMEOUT, SETTLE_SECONDS = 120.0, 300.0, 3.0
SAMPLE_SECONDS = 0.05


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


#: Runs ``app.py`` (the next argument) with Pillow's JPEG draft mode switched off: the baseline of
#: ``--jpeg-wait``, where every JPEG is decoded at full size before it is reduced.
FULL_DECODE = (
    "import runpy, sys\n"
    "from PIL import JpegImagePlugin\n"
    "JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


@contextmanager
def serve(port: int, full_decode: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """``app.py`` in a child process on loopback; yields its process once it answers HTTP.
    ``full_decode`` switches its JPEG draft decode off (see :data:`FULL_DECODE`)."""
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "RED_AES_MODEL": "measured",
        "RED_AES_EDITOR": "classical",
    }
    app = ["-c", FULL_DECODE, str(ROOT / "app.py")] if full_decode else [str(ROOT / "app.py")]
    command = [sys.executable, *app, "--server-name", HOST, "--server-port", str(port)]
    # The log goes to a file, not a pipe: nobody reads it while the server runs, and a full pipe blocks.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(process, port, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
    """Poll the server's page until it answers; its log in the error if it exits or times out."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"app.py exited with {process.returncode}: {log.read().decode()[-2000:]}")
        try:
            with urlopen(f"http://{HOST}:{port}/", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"app.py did not answer within {START_TIMEOUT:.0f}s") from None
            time.sleep(0.5)


@dataclass
class MemorySampler:
    """Samples a process's RSS in a background thread; ``peak`` is the highest value seen."""

    pid: int
    peak: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemorySampler:
        self.peak = rss_mb(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def one_bit_bomb(path: Path, side: int = 7990) -> Path:
    """A ``side`` x ``side`` 1-bit PNG: a few kilobytes on disk, ``side``² pixels decoded."""
    Image.new("1", (side, side), 0).save(path, optimize=True)
    return path


def make_call(endpoint: str, files: list[Path]) -> Callable[[Any], Any]:
    """The request one client sends: a function of a ``gradio_client.Client``."""
    from gradio_client import handle_file

    first, second = str(files[0]), str(files[1 % len(files)])
    if endpoint == "edit":
        args = (handle_file(first), "add grain", "classical", 0.6, 0)
        return lambda c: c.submit(*args, api_name="/edit_and_assess")
    if endpoint == "compare":
        return lambda c: c.submit(handle_file(first), handle_file(second), "", api_name="/compare")
    return lambda c: c.submit([handle_file(str(f)) for f in files], api_name="/score")


@dataclass
class Outcome:
    latency: float
    error: str | None


def run_client(url: str, call: Callable[[Any], Any], requests: int, outcomes: list[Outcome]) -> None:
    """One client sending ``requests`` calls in turn; each outcome is appended (lists are thread-safe)."""
    from gradio_client import Client

    client = Client(url, verbose=False, analytics_enabled=False)
    for _ in range(requests):
        start = time.perf_counter()
        try:
            call(client).result(timeout=REQUEST_TIMEOUT)
            outcomes.append(Outcome(time.perf_counter() - start, None))
        except Exception as err:  # every failure is reported, with its message
            outcomes.append(Outcome(time.perf_counter() - start, f"{type(err).__name__}: {err}"[:200]))


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0-1) by linear interpolation; a single value is its own quantile."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def probe(clients: int, requests: int, endpoint: str, images: int, payload: str) -> dict[str, Any]:
    """Run the load and return the measurements (also printed by :func:`main`)."""
    if not 1 <= clients <= MAX_CLIENTS or not 1 <= requests <= MAX_REQUESTS:
        raise ValueError(f"clients must be in [1, {MAX_CLIENTS}] and requests in [1, {MAX_REQUESTS}]")
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {ENDPOINTS}, got {endpoint!r}")
    with tempfile.TemporaryDirectory(prefix="red-aes-load-") as scratch:
        if payload == "bomb":
            files = [one_bit_bomb(Path(scratch) / f"bomb{i}.png") for i in range(images)]
        elif payload == "photo":
            photos = sorted(p for p in PHOTOS.iterdir() if p.suffix in {".jpg", ".png"})
            files = [photos[i % len(photos)] for i in range(images)]
        else:
            raise ValueError(f"payload must be 'photo' or 'bomb', got {payload!r}")
        port = free_port()
        url = f"http://{HOST}:{port}/"
        with serve(port) as server:
            time.sleep(SETTLE_SECONDS)
            idle = rss_mb(server.pid)
            outcomes: list[Outcome] = []
            call = make_call(endpoint, files)
            with MemorySampler(server.pid) as sampler:
                threads = [
                    threading.Thread(target=run_client, args=(url, call, requests, outcomes))
                    for _ in range(clients)
                ]
                start = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=REQUEST_TIMEOUT * requests)
                wall = time.perf_counter() - start
            time.sleep(SETTLE_SECONDS)
            after = rss_mb(server.pid)
    latencies = sorted(o.latency for o in outcomes)
    errors = Counter(o.error for o in outcomes if o.error)
    return {
        "endpoint": endpoint,
        "payload": f"{images} x {payload}",
        "clients": clients,
        "requests": len(outcomes),
        "ok": len(outcomes) - sum(errors.values()),
        "errors": dict(errors.most_common(3)),
        "wall_s": wall,
        "p50_s": percentile(latencies, 0.5) if latencies else float("nan"),
        "p95_s": percentile(latencies, 0.95) if latencies else float("nan"),
        "idle_rss_mb": idle,
        "peak_rss_mb": sampler.peak,
        "after_rss_mb": after,
    }


#: Issue 16's heavy prompts, in the order one client sends them: 45 clauses of the slowest blur (494
#: characters, under the prompt limit), three such blurs (within the clause limit, over the work bound),
#: and a prompt just within the app's work bound at 2048 px (it runs).
HEAVY_PROMPTS: tuple[str, ...] = (
    ",".join(["blur 50 px"] * 45),
    "blur 50 px, blur 50 px, blur 50 px",
    "blur 5 px",
)
HEAVY_SIZE = (2048, 1366)


def _heavy_client(url: str, photo: Path, outcomes: list[tuple[str, Outcome]]) -> None:
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, analytics_enabled=False)
    for prompt in HEAVY_PROMPTS:
        start = time.perf_counter()
        try:
            client.submit(
                handle_file(str(photo)), prompt, "classical", 1.0, 0, api_name="/edit_and_assess"
            ).result(timeout=REQUEST_TIMEOUT)
            outcomes.append((prompt, Outcome(time.perf_counter() - start, None)))
        except Exception as err:  # a refusal is the expected outcome of the first two
            outcomes.append(
                (prompt, Outcome(time.perf_counter() - start, f"{type(err).__name__}: {err}"[:160]))
            )


def _light_round(url: str, call: Callable[[Any], Any], clients: int, requests: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    threads = [
        threading.Thread(target=run_client, args=(url, call, requests, outcomes)) for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * requests)
    return outcomes


def probe_mixed(clients: int, requests: int) -> dict[str, Any]:
    """Light requests alone, then with the heavy prompts in flight; latencies from this one run."""
    if not 1 <= clients <= MAX_CLIENTS or not 1 <= requests <= MAX_REQUESTS:
        raise ValueError(f"clients must be in [1, {MAX_CLIENTS}] and requests in [1, {MAX_REQUESTS}]")
    with tempfile.TemporaryDirectory(prefix="red-aes-mixed-") as scratch:
        photo = Path(scratch) / "wide.png"
        with Image.open(PHOTOS / "chelsea.png") as source:
            source.convert("RGB").resize(HEAVY_SIZE, Image.Resampling.BICUBIC).save(photo)
        light = make_call("score", [PHOTOS / "coffee.png"])
        port = free_port()
        url = f"http://{HOST}:{port}/"
        with serve(port):
            time.sleep(SETTLE_SECONDS)
            alone = _light_round(url, light, clients, requests)
            heavy: list[tuple[str, Outcome]] = []
            heavy_thread = threading.Thread(target=_heavy_client, args=(url, photo, heavy))
            heavy_thread.start()
            time.sleep(0.2)  # the heavy prompt is queued first
            mixed = _light_round(url, light, clients, requests)
            heavy_thread.join(timeout=REQUEST_TIMEOUT * len(HEAVY_PROMPTS))

    def stats(outcomes: list[Outcome]) -> dict[str, float]:
        values = sorted(o.latency for o in outcomes)
        return {"p50_s": percentile(values, 0.5), "p95_s": percentile(values, 0.95)}

    light_alone, light_mixed = stats(alone), stats(mixed)
    return {
        "clients": clients,
        "requests": len(mixed),
        "ok": sum(o.error is None for o in mixed),
        "light_alone": light_alone,
        "light_with_heavy": light_mixed,
        "p95_ratio": light_mixed["p95_s"] / light_alone["p95_s"],
        "heavy": [
            {
                "prompt": prompt if len(prompt) < 60 else prompt[:40] + f"... ({len(prompt)} chars)",
                "latency_s": o.latency,
                "error": o.error,
            }
            for prompt, o in heavy
        ],
    }


def report_mixed(result: dict[str, Any]) -> None:
    alone, mixed = result["light_alone"], result["light_with_heavy"]
    counts = f"{result['clients']} clients, {result['requests']} requests, {result['ok']} ok"
    print(f"light requests (score 1 photo): {counts}")
    print(f"  alone:           p50 {alone['p50_s']:.2f}s, p95 {alone['p95_s']:.2f}s")
    ratio = f"{result['p95_ratio']:.2f}x alone"
    print(f"  with heavy load: p50 {mixed['p50_s']:.2f}s, p95 {mixed['p95_s']:.2f}s ({ratio})")
    for entry in result["heavy"]:
        outcome = "ran" if entry["error"] is None else f"refused: {entry['error']}"
        print(f"  heavy {entry['prompt']!r}: {entry['latency_s']:.2f}s, {outcome}")


#: ``--jpeg-wait``: 12-megapixel shapes (a phone's 4:3, whose long side is under twice the working size
#: so no reduced DCT scale applies; a camera's 3:2, decodable at 1/2), and the heavy requests' count and size.
JPEG_SHAPES: dict[str, tuple[int, int]] = {"4:3": (4000, 3000), "3:2": (4240, 2832)}
HEAVY_REQUESTS, HEAVY_IMAGES = 5, 8


def twelve_mp_jpegs(folder: Path, shape: tuple[int, int], count: int = HEAVY_IMAGES) -> list[Path]:
    """``count`` JPEGs of ``shape`` (quality 90), the example photos cropped to its aspect and upscaled."""
    photos = sorted(p for p in PHOTOS.iterdir() if p.suffix in {".jpg", ".png"})
    files = []
    for i in range(count):
        with Image.open(photos[i % len(photos)]) as photo:
            large = ImageOps.fit(photo.convert("RGB"), shape, Image.Resampling.BICUBIC)
        files.append(folder / f"photo{i}-{shape[0]}x{shape[1]}.jpg")
        large.save(files[-1], quality=90)
    return files


def _queued(job: Any) -> bool:
    """Whether a submitted ``gradio_client`` job has joined the queue (its uploads are done)."""
    from gradio_client.utils import Status

    return job.status().code not in (Status.STARTING, Status.JOINING_QUEUE)


def light_wait(url: str, heavy_files: list[Path]) -> dict[str, Any]:
    """Submit :data:`HEAVY_REQUESTS` requests scoring ``heavy_files``; once all have joined the queue,
    send one light request (a small photo scored) and time it. Also times the whole burst."""
    from gradio_client import Client

    clients = [Client(url, verbose=False, analytics_enabled=False) for _ in range(HEAVY_REQUESTS + 1)]
    heavy, light = make_call("score", heavy_files), make_call("score", [PHOTOS / "coffee.png"])
    start = time.perf_counter()
    jobs = [heavy(client) for client in clients[:-1]]
    while not all(_queued(job) for job in jobs):
        if time.perf_counter() - start > REQUEST_TIMEOUT:
            raise TimeoutError(f"the heavy requests did not join the queue within {REQUEST_TIMEOUT:.0f}s")
        time.sleep(SAMPLE_SECONDS)
    queued = time.perf_counter()
    light(clients[-1]).result(timeout=REQUEST_TIMEOUT * (HEAVY_REQUESTS + 1))
    light_s = time.perf_counter() - queued
    for job in jobs:
        job.result(timeout=REQUEST_TIMEOUT * HEAVY_REQUESTS)
    return {"light_wait_s": light_s, "burst_s": time.perf_counter() - start, "upload_s": queued - start}


def _load_costs(path: Path) -> dict[str, float]:
    """``load_image`` of one JPEG at the working size, in a fresh process per mode (draft decode, then
    full decode): seconds (best of 3) and how far peak RSS rose above the RSS before (Linux: the peak is
    reset through /proc/self/clear_refs first), in MB."""
    script = (
        "import re, sys, time\n"
        "from PIL import Image, JpegImagePlugin\n"
        "from red_aes.images import WORKING_LONG_SIDE, load_image\n"
        "def status(key):\n"
        "    return int(re.search(key + r':\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024\n"
        "if sys.argv[2] == 'full':\n"
        "    JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None\n"
        "Image.init()\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "times, peaks = [], []\n"
        "for _ in range(3):\n"
        "    with open('/proc/self/clear_refs', 'w') as f:\n"
        "        f.write('5')\n"
        "    before, start = status('VmRSS'), time.perf_counter()\n"
        "    load_image(data, long_side=WORKING_LONG_SIDE)\n"
        "    times.append(time.perf_counter() - start)\n"
        "    peaks.append(status('VmHWM') - before)\n"
        "print(min(times), max(peaks))\n"
    )
    costs = {}
    for mode in ("draft", "full"):
        done = subprocess.run(
            [sys.executable, "-c", script, str(path), mode], capture_output=True, check=True, cwd=ROOT
        )
        seconds, peak_mb = (float(v) for v in done.stdout.split())
        costs[f"{mode}_s"], costs[f"{mode}_peak_mb"] = seconds, peak_mb
    return costs


def probe_jpeg_wait(rounds: int = 2) -> dict[str, Any]:
    """``--jpeg-wait``: per shape, the light request's wait and the burst's time on the app with and
    without the draft decode, and the in-process load costs. Both apps run side by side and their bursts
    alternate, ``rounds`` times (the best of each is kept), so that a busy machine slows both alike."""
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {"draft": [], "full": []} for name in JPEG_SHAPES
    }
    with tempfile.TemporaryDirectory(prefix="red-aes-jpeg-") as scratch:
        files = {name: twelve_mp_jpegs(Path(scratch), shape) for name, shape in JPEG_SHAPES.items()}
        loads = {name: _load_costs(files[name][0]) for name in JPEG_SHAPES}
        draft_port, full_port = free_port(), free_port()
        with serve(draft_port), serve(full_port, full_decode=True):
            time.sleep(SETTLE_SECONDS)
            urls = {"draft": f"http://{HOST}:{draft_port}/", "full": f"http://{HOST}:{full_port}/"}
            for url in urls.values():
                light_wait(url, files["4:3"][:1])  # warm-up: first-call costs are not measured
            for _ in range(rounds):
                for name in JPEG_SHAPES:
                    for decode, url in urls.items():
                        runs[name][decode].append(light_wait(url, files[name]))
    return {
        name: {
            "load": loads[name],
            **{
                decode: {key: min(run[key] for run in measured) for key in measured[0]}
                for decode, measured in by_decode.items()
            },
        }
        for name, by_decode in runs.items()
    }


def report_jpeg_wait(results: dict[str, Any]) -> None:
    print(
        f"one light request behind {HEAVY_REQUESTS} requests of {HEAVY_IMAGES} x 12 MP JPEGs each, "
        "loaded at the working size (draft decode vs full decode; best of alternating bursts, one run):"
    )
    for name, result in results.items():
        (width, height), draft, full, load = (
            JPEG_SHAPES[name],
            result["draft"],
            result["full"],
            result["load"],
        )
        print(f"  {name} {width}x{height}:")
        print(
            f"    light wait   {draft['light_wait_s']:.2f}s vs {full['light_wait_s']:.2f}s "
            f"({draft['light_wait_s'] / full['light_wait_s']:.2f}x)"
        )
        print(
            f"    whole burst  {draft['burst_s']:.2f}s vs {full['burst_s']:.2f}s "
            f"({draft['burst_s'] / full['burst_s']:.2f}x; uploads {draft['upload_s']:.2f}s, "
            f"{full['upload_s']:.2f}s)"
        )
        print(
            f"    load_image   {load['draft_s'] * 1000:.0f} ms vs {load['full_s'] * 1000:.0f} ms "
            f"({load['draft_s'] / load['full_s']:.2f}x), peak RSS +{load['draft_peak_mb']:.0f} MB vs "
            f"+{load['full_peak_mb']:.0f} MB ({load['draft_peak_mb'] / max(load['full_peak_mb'], 1):.2f}x)"
        )


def report(result: dict[str, Any]) -> None:
    print(
        f"{result['endpoint']} with {result['payload']}: {result['clients']} clients, "
        f"{result['requests']} requests, {result['ok']} ok, {result['wall_s']:.1f}s wall"
    )
    print(f"  latency p50 {result['p50_s']:.2f}s, p95 {result['p95_s']:.2f}s")
    print(
        f"  server RSS idle {result['idle_rss_mb']:.0f} MB, peak {result['peak_rss_mb']:.0f} MB "
        f"(+{result['peak_rss_mb'] - result['idle_rss_mb']:.0f}), after {result['after_rss_mb']:.0f} MB "
        f"(+{result['after_rss_mb'] - result['idle_rss_mb']:.0f})"
    )
    for message, count in result["errors"].items():
        print(f"  {count} x {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help=f"concurrent clients (1-{MAX_CLIENTS})")
    parser.add_argument("--requests", type=int, default=2, help=f"requests per client (1-{MAX_REQUESTS})")
    parser.add_argument("--endpoint", choices=ENDPOINTS, default="edit")
    parser.add_argument("--images", type=int, default=2, help="images per request (score; compare uses 2)")
    parser.add_argument("--payload", choices=("photo", "bomb"), default="photo")
    parser.add_argument("--mixed", action="store_true", help="light requests alone and with heavy prompts")
    parser.add_argument(
        "--jpeg-wait", action="store_true", help="a light request behind 12 MP JPEGs, draft vs full decode"
    )
    args = parser.parse_args([] if argv is None and __name__ != "__main__" else argv)
    if args.jpeg_wait:
        report_jpeg_wait(probe_jpeg_wait())
    elif args.mixed:
        report_mixed(probe_mixed(args.clients, args.requests))
    else:
        report(probe(args.clients, args.requests, args.endpoint, args.images, args.payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
