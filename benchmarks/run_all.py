"""Run every benchmark script in this folder (``make bench``).

Each ``bench_*.py`` exposes ``main()`` and prints ratios measured in one run (ours vs the plain library
call, batch vs single, 4-bit vs full precision, cached vs cold); no absolute timing is asserted anywhere.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(selected: list[str] | None = None) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if s.stem in selected or s.stem.removeprefix("bench_") in selected]
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        start = time.perf_counter()
        module.main()
        print(f"({script.stem} took {time.perf_counter() - start:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
