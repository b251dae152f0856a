"""The project's errors (red_aes.errors): every error raised on purpose is a RedAesError."""

from __future__ import annotations

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
