"""The process state under ``accelerate launch``: the one place that creates it, and the one that
leaves its process group at the end of every entry point (:func:`leaving_process_group`).

Dataset builds and benchmark runs split their work across the processes of an ``accelerate launch``
(one per GPU). ``ACCELERATE_USE_CPU`` (set by ``accelerate launch --cpu`` or by hand) asks for CPU
processes, as it does for ``Accelerator``; ``PartialState()`` alone does not read it and, on a machine
without GPUs, would see N unrelated single processes that each do all the work.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def process_state() -> Any:
    """``accelerate.PartialState`` of this process (a single process outside ``accelerate launch``)."""
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    return PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))


@contextmanager
def leaving_process_group() -> Iterator[None]:
    """Run an entry point's work, then :func:`_leave_process_group`: waiting for the other processes when the
    work returned, not when it raised."""
    returned = False
    try:
        yield
        returned = True
    finally:
        _leave_process_group(wait=returned)


def _leave_process_group(*, wait: bool) -> None:
    """End this process's part in an ``accelerate launch``: wait for the others (when ``wait`` and the
    group is gloo's, i.e. CPU processes), then destroy the process group. Nothing happens outside a launch.

    A process that exits with its process group still up can abort while the interpreter tears it
    down ("terminate called without an active exception", SIGABRT, seen with gloo), which fails the whole
    launch after its work is done; so every entry point leaves the group explicitly. ``wait`` is for
    work that returned: after an exception the other processes may be inside a different collective.
    Only gloo waits: a gloo barrier that times out (the main process's own work after the last
    collective, such as a Hub push, took longer than the group's timeout) raises and is reported, where
    NCCL's watchdog would abort the waiting process instead.
    """
    dist = sys.modules.get("torch.distributed")  # never imported: no group was ever started
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return
    if wait and dist.get_backend() == "gloo":
        try:
            dist.barrier()
        except RuntimeError as err:  # another process failed and left, or the barrier timed out
            print(f"red-aes: the other processes were not waited for ({err})", file=sys.stderr)
    try:
        dist.destroy_process_group()
    except RuntimeError as err:  # never hide the command's own outcome behind the teardown's
        print(f"red-aes: the process group was not destroyed cleanly ({err})", file=sys.stderr)
