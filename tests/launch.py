"""Test helpers for things that run in other processes: a free local port, a fresh interpreter, a
multi-process CLI run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_python(
    code: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -c CODE`` in a fresh interpreter (what a module imports shows only there).

    ``env`` holds variables set over this process's environment (``os.environ``) for that interpreter.
    """
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def accelerate_cli(
    argv: list[str], *, num_processes: int = 2, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``red-aes ARGV`` under ``accelerate launch`` as ``num_processes`` CPU processes.

    ``accelerate launch --cpu`` would start one process (accelerate's simple launcher); the multi-process
    launcher (torchrun) with ``ACCELERATE_USE_CPU`` starts real CPU processes joined by gloo.
    """
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu"]
    launch += ["--num_processes", str(num_processes), "--num_machines", "1", "--mixed_precision", "no"]
    launch += ["--dynamo_backend", "no", "--main_process_port", str(free_port())]
    return subprocess.run(
        [*launch, "-m", "red_aes", *argv],
        cwd=REPO,
        env={**os.environ, "ACCELERATE_USE_CPU": "1", "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
