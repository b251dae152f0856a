"""The RED-Lite training package (red_aes/train/lite/__init__.py): importing it loads no training module
and no torch; the model it trains lives below scoring, in red_aes.lite."""

from __future__ import annotations

import json

from launch import run_python

import red_aes.train.lite


def test_the_package_imports_none_of_its_modules() -> None:
    assert "red_aes.lite" in red_aes.train.lite.__doc__
    code = "import json, sys, red_aes.train.lite\n"
    code += "loaded = sorted(m for m in sys.modules if m.startswith('red_aes.train.'))\n"
    code += "print(json.dumps(['torch' in sys.modules, loaded]))"
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, ["red_aes.train.lite"]]
