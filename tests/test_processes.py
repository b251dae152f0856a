"""The process state under ``accelerate launch`` (red_aes.processes): one process outside a launch, and
``ACCELERATE_USE_CPU`` asks for CPU processes."""

from __future__ import annotations

import json
import subprocess
import sys

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


def test_every_command_leaves_the_process_group_it_ran_in(tmp_path) -> None:
    """A command run in a (one-process, gloo) process group leaves it before returning, whether it
    succeeded or failed; a process that exits with the group up can abort in its teardown."""
    code = (
        "import json, sys, torch.distributed as dist\n"
        "from red_aes.commands.red_aes_cli import main\n"
        "left = []\n"
        "for argv in (['env'], ['measure', sys.argv[1]]):\n"
        f"    store = 'file://{tmp_path}/store-' + argv[0]\n"
        "    dist.init_process_group('gloo', init_method=store, rank=0, world_size=1)\n"
        "    code = main(argv)\n"
        "    left.append([code, dist.is_initialized()])\n"
        "print(json.dumps(left))\n"
    )
    missing = str(tmp_path / "missing.jpg")
    result = subprocess.run([sys.executable, "-c", code, missing], capture_output=True, text=True, timeout=99)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [[0, False], [2, False]]
