"""Image editors: one interface, chosen by name.

``load_editor("classical")`` gives the exact, deterministic :class:`ClassicalEditor`; any other name is a
diffusers instruction-editing pipeline (Hub id or local directory) run by :class:`DiffusionEditor`.
Adding a backend is one class plus one line in :data:`EDITORS`.
"""

from __future__ import annotations

from typing import Any

from red_aes.editing.base import BaseEditor, UnsupportedEditError
from red_aes.editing.classical import ATTRIBUTE_EDITS, AttributeEdit, ClassicalEditor
from red_aes.editing.operations import OPERATIONS, Operation
from red_aes.editing.prompt_parser import VOCABULARY, describe_operation, parse_prompt
from red_aes.registry import Entry, Registry

#: Named editor backends; any other name is a diffusers pipeline id or directory (the fallback).
EDITORS = Registry(
    "editor",
    {
        "classical": Entry(
            "red_aes.editing.classical:ClassicalEditor.from_pretrained",
            "exact, deterministic edits with numpy, PIL and scipy, no model",
        )
    },
    fallback=Entry(
        "red_aes.editing.diffusion:DiffusionEditor",
        "a diffusers instruction-editing pipeline by Hub id or directory",
    ),
)


def available_editors() -> list[str]:
    """The registered editor names (diffusion pipelines are addressed by their Hub id or directory)."""
    return EDITORS.names()


def load_editor(name_or_id: str, **kwargs: Any) -> BaseEditor:
    """Build an editor: a registered name (``"classical"``) or a diffusers pipeline id / directory.
    Keyword arguments go to the backend's constructor; options it does not take are refused."""
    return EDITORS.build(name_or_id, **kwargs)


__all__ = [
    "ATTRIBUTE_EDITS",
    "EDITORS",
    "OPERATIONS",
    "VOCABULARY",
    "AttributeEdit",
    "BaseEditor",
    "ClassicalEditor",
    "Operation",
    "UnsupportedEditError",
    "available_editors",
    "describe_operation",
    "load_editor",
    "parse_prompt",
]
