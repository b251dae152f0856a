"""The process state under ``accelerate launch`` (red_aes.processes): one process outside a launch, and
``ACCELERATE_USE_CPU`` asks for CPU processes."""

from __future__ import annotations

import json

from launch import run_python

from red_aes.processes import process_state


def test_outside_a_launch_this_is_the_one_main_process() -> None:
    state = process_state()
    assert (state.num_processes, state.process_index, state.is_main_process) == (1, 0, True)


def test_accelerate_use_cpu_is_read_from_the_environment() -> None:
    """A fresh interpreter (the state is one per process) with ``ACCELERATE_USE_CPU=1``: CPU processes."""
    code = (
        "import json\n"
        "from red_aes.processes import process_state\n"
        "state = process_state()\n"
        "print(json.dumps([state._cpu, state.device.type, state.num_processes]))\n"
    )
    result = run_python(code, env={"ACCELERATE_USE_CPU": "1"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, "cpu", 1]
