"""The project's own errors.

Every error RED-Aes raises on purpose derives from :class:`RedAesError`; ``red-aes`` reports those (and a
missing file) as one line with exit code 2, and lets any other exception show its traceback, because
that is a bug. :class:`InputError` (bad input, option or configuration) also derives from ``ValueError``
and :class:`UnknownNameError` from ``KeyError``, so code that caught those built-in types still works.
"""

from __future__ import annotations


class RedAesError(Exception):
    """Base of the errors RED-Aes raises on purpose; the message names the input and the reason."""


class InputError(RedAesError, ValueError):
    """An input, option or configuration value cannot be used."""


class UnknownNameError(RedAesError, KeyError):
    """A name that is not registered (a prompt version, an instruction library, a split)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TimeLimitError(InputError):
    """A request ran past its time limit and was stopped; the message says how far it got."""


class MissingExtraError(RedAesError, ImportError):
    """A part of RED-Aes needs an optional extra that is not installed; the message names the extra."""


def missing_extra(extra: str, module: str | None, purpose: str) -> MissingExtraError:
    """The error for ``purpose`` when ``module`` of the optional ``extra`` is not installed:
    ``"<purpose> needs the 'vlm' extra (peft is not installed): pip install 'red-aes[vlm]'"``."""
    return MissingExtraError(
        f"{purpose} needs the {extra!r} extra ({module} is not installed): pip install 'red-aes[{extra}]'"
    )


def require(module: str, extra: str, purpose: str) -> None:
    """Raise :func:`missing_extra`'s error naming the extra that installs ``module`` (e.g. ``"peft"``)
    when it is not installed. Looked up, not imported: the caller imports it where it is used."""
    from importlib.util import find_spec

    try:
        found = find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module set to None in sys.modules
        found = False
    if not found:
        raise missing_extra(extra, module, purpose)
