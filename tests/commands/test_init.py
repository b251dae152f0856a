"""The commands package (red_aes/commands/__init__.py): importing it loads no command module."""

from __future__ import annotations

import json

from launch import run_python

import red_aes.commands


def test_the_package_imports_no_command() -> None:
    assert red_aes.commands.__doc__ and "red_aes.commands.red_aes_cli" in red_aes.commands.__doc__
    code = "import json, sys, red_aes.commands\n"
    code += "print(json.dumps(sorted(m for m in sys.modules if m.startswith('red_aes.commands.'))))"
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
