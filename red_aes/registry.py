"""Named backends, resolved lazily: one helper for the scorer, editor, judge and writer tables.

A :class:`Registry` maps names to ``"module:attr"`` targets (``attr`` may be dotted, e.g.
``"Class.from_pretrained"``); a target is imported only when its name is built, so listing names costs
nothing. Options are checked against the target's signature before it is called, and an unknown name
or option is one :class:`RegistryError` that lists what exists.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from red_aes.errors import InputError


class RegistryError(InputError):
    """An unknown name, or options its target does not take; the message lists what exists."""


def given(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that were set: ``None`` means "not given" (what argparse and an empty environment
    variable leave), so the target's own default applies."""
    return {key: value for key, value in options.items() if value is not None}


@functools.cache
def resolve(target: str) -> Callable[..., Any]:
    """Import a ``"module:attr"`` target (``attr`` may be dotted)."""
    module, _, attr = target.partition(":")
    found: Any = importlib.import_module(module)
    for part in attr.split("."):
        found = getattr(found, part)
    return found


class Registry(Mapping[str, str]):
    """Name -> ``"module:attr"`` target for one kind of backend (``kind`` names it in errors).

    ``fallback`` is the target for any other name (a model id or directory: the VLM scorer, a
    diffusers editor), called with that name; without it an unknown name is an error. With
    ``takes_name`` the target receives the name as its first argument (``from_pretrained(name, ...)``).
    """

    def __init__(
        self,
        kind: str,
        entries: Mapping[str, str],
        *,
        fallback: str | None = None,
        takes_name: bool = False,
    ) -> None:
        self.kind = kind
        self._entries = dict(entries)
        self.fallback = fallback
        self.takes_name = takes_name or fallback is not None

    def __getitem__(self, name: str) -> str:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def target(self, name: str) -> Callable[..., Any]:
        """The callable that builds ``name``."""
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"{self.kind} must be a name ({', '.join(self.names())}){self._other()}")
        if name in self._entries:
            return resolve(self._entries[name])
        if self.fallback is None:
            raise RegistryError(
                f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}{self._close(name)}"
            )
        return resolve(self.fallback)

    def _close(self, name: str) -> str:
        """``; did you mean `x`?`` for a registered name close to ``name`` (difflib), else ""."""
        close = difflib.get_close_matches(name.lower(), self.names(), n=1, cutoff=0.6)
        return f"; did you mean `{close[0]}`?" if close else ""

    def _check_model_name(self, name: str) -> None:
        """Refuse, at once and without the network, a fallback name that cannot be a model: not a local
        folder or file, and either without the ``owner/name`` form of a Hub id (a typo of a registered
        name, such as ``redlite``), or a Hub id while the Hub is offline (``HF_HUB_OFFLINE``) that is not
        in the local Hub cache. Anything else (a path that does not exist, an online Hub id) is left to the
        loader, which names what is missing."""
        if os.path.exists(os.path.expanduser(name)):
            return
        known = ", ".join(self.names())
        what = f"unknown {self.kind} {name!r}: not a registered {self.kind} ({known}), a local folder"
        if "/" not in name and "\\" not in name:
            raise RegistryError(f"{what} or a Hub id (owner/name){self._close(name)}")
        if _HUB_ID.fullmatch(name) and _hub_offline() and not _in_hub_cache(name):
            raise RegistryError(
                f"{what} or a Hub id in the local cache, and the Hub is offline (HF_HUB_OFFLINE is set)"
                f"{self._close(name)}"
            )

    def _other(self) -> str:
        return " or a model id/directory" if self.fallback else ""

    def _parameters(self, name: str) -> tuple[list[str], bool]:
        """The named parameters of ``name``'s target after the name, and whether it takes ``**kwargs``."""
        parameters = list(inspect.signature(self.target(name)).parameters.values())
        named = [p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return named[1 if self.takes_name else 0 :], any(p.kind is p.VAR_KEYWORD for p in parameters)

    def accepts(self, name: str, option: str) -> bool:
        """Whether ``name``'s target names the keyword ``option`` (what it forwards in ``**kwargs`` is
        not known here)."""
        return option in self._parameters(name)[0]

    def build(self, name: str, *args: Any, **options: Any) -> Any:
        """Call ``name``'s target with ``args`` (after the name, when it takes one) and ``options``.
        A target with ``**kwargs`` checks the options it forwards itself. A fallback name that cannot be a
        model is refused first, without the network (:meth:`_check_model_name`)."""
        target = self.target(name)
        if name not in self._entries:
            self._check_model_name(name)
        takes, forwards = self._parameters(name)
        if not forwards:
            unknown = sorted(set(options) - set(takes))
            if unknown:
                raise RegistryError(
                    f"unknown options for the {name} {self.kind}: {', '.join(unknown)} "
                    f"(it takes {', '.join(t for t in takes[len(args) :]) or 'none'})"
                )
        call_args = (name, *args) if self.takes_name else args
        try:
            inspect.signature(target).bind(*call_args, **options)
        except TypeError as err:
            raise RegistryError(f"{self.kind} {name!r}: {err}") from None
        return target(*call_args, **options)


#: The ``owner/name`` form of a Hub repo id (a path such as ``/a/b`` or ``./x`` is not one).
_HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")


def _hub_offline() -> bool:
    """Whether Hugging Face Hub access is switched off (``HF_HUB_OFFLINE``, as huggingface_hub reads it)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def _in_hub_cache(repo_id: str) -> bool:
    """Whether the local Hub cache holds a model repo ``repo_id`` (any revision)."""
    from huggingface_hub import constants

    folder = "models--" + repo_id.strip("/").replace("/", "--")
    return os.path.isdir(os.path.join(constants.HF_HUB_CACHE, folder))
