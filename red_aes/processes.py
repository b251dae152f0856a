"""The process state under ``accelerate launch``: the one place that creates it.

Dataset builds and benchmark runs split their work across the processes of an ``accelerate launch``
(one per GPU). ``ACCELERATE_USE_CPU`` (set by ``accelerate launch --cpu`` or by hand) asks for CPU
processes, as it does for ``Accelerator``; ``PartialState()`` alone does not read it and, on a machine
without GPUs, would see N unrelated single processes that each do all the work.
"""

from __future__ import annotations

from typing import Any


def process_state() -> Any:
    """``accelerate.PartialState`` of this process (a single process outside ``accelerate launch``)."""
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    return PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
