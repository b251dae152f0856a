"""The process state under ``accelerate launch`` (red_aes.processes): one process outside a launch, and
``ACCELERATE_USE_CPU`` asks for CPU processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_every_command_leaves_the_process_group_it_ran_in(tmp_path: Path) -> None:
    """A command run in a (one-process, gloo) process group leaves it before returning, whether it
    succeeded or failed; a process that exits with the group up can abort in its teardown."""
    code = (
        "import json, sys, torch.distributed as dist\n"
        "from red_aes.commands.red_aes_cli import main\n"
        "left = []\n"
        "for argv in (['env'], ['measure', sys.argv[1]]):\n"
        f"    store = {f'file://{tmp_path}/store-'!r} + argv[0]\n"
        "    dist.init_process_group('gloo', init_method=store, rank=0, world_size=1)\n"
        "    code = main(argv)\n"
        "    left.append([code, dist.is_initialized()])\n"
        "print(json.dumps(left))\n"
    )
    missing = str(tmp_path / "missing.jpg")
    result = subprocess.run([sys.executable, "-c", code, missing], capture_output=True, text=True, timeout=99)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [[0, False], [2, False]]


def test_a_process_that_failed_does_not_keep_the_others_waiting(tmp_path: Path) -> None:
    """Two gloo processes: one command returns, the other fails on bad input. The failed one leaves at
    once, without waiting; the one that returned finds nobody to wait for, says so, and exits too."""
    store = f"file://{tmp_path}/store"
    code = (
        "import json, sys, torch.distributed as dist\n"
        "from red_aes.commands.red_aes_cli import main\n"
        "rank = int(sys.argv[1])\n"
        f"dist.init_process_group('gloo', init_method={store!r}, rank=rank, world_size=2)\n"
        "code = main(['env'] if rank == 0 else ['measure', sys.argv[2]])\n"
        "print(json.dumps([code, dist.is_initialized()]))\n"
    )
    missing = str(tmp_path / "missing.jpg")
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(rank), missing],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    (out0, err0), (out1, err1) = (run.communicate(timeout=120) for run in runs)
    assert [run.returncode for run in runs] == [0, 0], err0 + err1
    assert json.loads(out0.splitlines()[-1]) == [0, False] and json.loads(out1.splitlines()[-1]) == [2, False]
    assert "the other processes were not waited for" in err0 and "missing.jpg" in err1
