"""Named backends, resolved lazily: one helper for every name -> code table of the package.

A :class:`Registry` maps names to :class:`Entry` objects: a ``"module:attr"`` target (``attr`` may be
dotted, e.g. ``"Class.from_pretrained"``) plus what is known about the name without importing it (a
description, and a kind's own metadata in a subclass of :class:`Entry`, in the spirit of pyiqa's
``default_model_configs``). A plain ``"module:attr"`` string is an entry with no metadata. A target is
imported only when its name is built, so listing names and reading their metadata costs nothing. Options
are checked against the target's signature before it is called, and an unknown name or option is one
:class:`RegistryError` that lists what exists. The tables: scorers, editors, judges, planners, rationale
writers, benchmarks and GRPO rewards.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from red_aes.errors import InputError


class RegistryError(InputError):
    """An unknown name, or options its target does not take; the message lists what exists."""


@dataclass(frozen=True)
class Entry:
    """One registered name: its ``"module:attr"`` target and a one-line description. A kind whose entries
    carry more (a scorer's range and direction, a benchmark's labels) subclasses it."""

    target: str
    description: str = ""


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


def _entry(value: Entry | str) -> Entry:
    return value if isinstance(value, Entry) else Entry(value)


class Registry(Mapping[str, Entry]):
    """Name -> :class:`Entry` for one kind of backend (``kind`` names it in errors).

    ``fallback`` is the entry for any other name (a model id or directory: the VLM scorer, a diffusers
    editor), called with that name; without it an unknown name is an error. With ``takes_name`` the
    target receives the name as its first argument (``from_pretrained(name, ...)``). With
    ``import_paths`` (a table without a fallback) any other name holding a dot is a ``module.attr``
    import path to a user's own callable, as TRL's scripts take reward functions.
    """

    def __init__(
        self,
        kind: str,
        entries: Mapping[str, Entry | str],
        *,
        fallback: Entry | str | None = None,
        takes_name: bool = False,
        import_paths: bool = False,
    ) -> None:
        if fallback is not None and import_paths:
            raise ValueError("a registry takes either a fallback or import paths for other names")
        self.kind = kind
        self._entries = {name: _entry(value) for name, value in entries.items()}
        self.fallback = None if fallback is None else _entry(fallback)
        self.takes_name = takes_name or fallback is not None
        self.import_paths = import_paths

    def __getitem__(self, name: str) -> Entry:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def entry(self, name: str) -> Entry:
        """The entry of ``name``: its own, the fallback's for any other name (nothing is imported), or
        one for an import path; an unknown name is refused as by :meth:`target`."""
        if name in self._entries:
            return self._entries[name]
        if self.fallback is not None:
            return self.fallback
        self.target(name)  # an import path that imports, or an error naming what exists
        module, _, attr = name.rpartition(".")
        return Entry(f"{module}:{attr}")

    def target(self, name: str) -> Callable[..., Any]:
        """The callable that builds ``name``."""
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"{self.kind} must be a name ({', '.join(self.names())}){self._other()}")
        if name in self._entries:
            return resolve(self._entries[name].target)
        if self.import_paths:
            return self._import(name)
        if self.fallback is None:
            raise RegistryError(
                f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}{self._close(name)}"
            )
        return resolve(self.fallback.target)

    def _import(self, path: str) -> Callable[..., Any]:
        """The callable at the ``module.attr`` import path ``path``; every failure names the path."""
        module, _, attr = path.rpartition(".")
        if not module or not attr:
            raise RegistryError(
                f"unknown {self.kind} {path!r}: not registered ({', '.join(self.names())}) and not a dotted "
                f"import path (module.function){self._close(path)}"
            )
        try:
            found = getattr(importlib.import_module(module), attr, None)
        except ImportError as err:
            raise RegistryError(f"{self.kind} {path!r}: cannot import module {module!r} ({err})") from err
        if not callable(found):
            raise RegistryError(f"{self.kind} {path!r}: {module} has no callable {attr!r}")
        return found

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
        if name not in self._entries and self.fallback is not None:
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
