"""The editing package (red_aes/editing/__init__.py): the editor registry."""

from __future__ import annotations

import pytest

from red_aes.editing import ClassicalEditor, available_editors, load_editor


def test_registry() -> None:
    assert "classical" in available_editors()
    assert isinstance(load_editor("classical"), ClassicalEditor)
    with pytest.raises(ValueError, match="editor must be a name"):
        load_editor("  ")
    with pytest.raises(ValueError, match="unknown options for the classical editor: device"):
        load_editor("classical", device="cuda")
    assert load_editor("classical", max_input_pixels=1000).max_input_pixels == 1000
