"""The training package (red_aes/train/__init__.py): importing it loads no training library."""

from __future__ import annotations

import json

from launch import run_python

import red_aes.train


def test_the_package_loads_no_training_library_until_a_stage_is_used() -> None:
    assert "red_aes.train.rewards" in red_aes.train.__doc__  # it names its modules, importing none
    heavy = ["trl", "peft", "datasets", "red_aes.train.data", "red_aes.train.grpo"]
    result = run_python(
        f"import json, sys, red_aes.train; print(json.dumps([m in sys.modules for m in {heavy!r}]))"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False] * len(heavy)
