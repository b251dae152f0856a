"""The project's errors (red_aes.errors): every error raised on purpose is a RedAesError."""

from __future__ import annotations

import pytest

from red_aes.errors import InputError, RedAesError
from red_aes.registry import RegistryError


def test_every_project_error_is_a_red_aes_error() -> None:
    from red_aes.chat import EndpointError
    from red_aes.checkpoints import ModelLoadError
    from red_aes.data.plans import PlanError
    from red_aes.data.rationale import RationaleError
    from red_aes.data.schema import SchemaError
    from red_aes.editing import UnsupportedEditError
    from red_aes.images import ImageLoadError
    from red_aes.lite.model import LiteLoadError
    from red_aes.parsing import ParseError

    for error in (
        EndpointError,
        ModelLoadError,
        PlanError,
        RationaleError,
        SchemaError,
        UnsupportedEditError,
        ImageLoadError,
        ParseError,
        RegistryError,
        LiteLoadError,
    ):
        assert issubclass(error, RedAesError), error
    assert issubclass(SchemaError, InputError)  # a broken dataset row is bad input
    assert issubclass(InputError, ValueError)  # callers that caught ValueError still catch bad input


def test_a_missing_extra_is_named_in_one_line(tmp_path) -> None:
    """``require`` names the extra that installs a missing module; through the CLI it is one line, exit 2
    (checked in a fresh interpreter where ``datasets`` cannot be imported)."""
    import subprocess
    import sys

    from red_aes.errors import MissingExtraError, require

    with pytest.raises(MissingExtraError, match=r"^x needs the 'vlm' extra \(no_such_module_x is not"):
        require("no_such_module_x", "vlm", "x")
    assert issubclass(MissingExtraError, ImportError) and issubclass(MissingExtraError, RedAesError)
    code = (
        "import sys; sys.modules['datasets'] = None\n"
        "from red_aes.commands.red_aes_cli import main\n"
        f"sys.exit(main(['data', 'card', {str(tmp_path)!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "red-aes data: error: red-aes data needs the 'data' extra (datasets is not installed): "
        "pip install 'red-aes[data]'"
    )
