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
