"""Hub helpers: render the dataset and model cards from their templates, and push folders.

Cards are Jinja templates (``dataset_card/template.md``, ``model_card/template.md`` at the repository
root, carried in the wheel: :mod:`red_aes.resources` finds them in either) rendered through
``huggingface_hub``'s ``DatasetCard``/``ModelCard.from_template``, so the YAML metadata is produced by
the card-data classes the Hub itself validates. Pushing goes through
``HfApi.create_repo`` + ``HfApi.upload_folder``; ``endpoint`` is explicit so the same code can be
pointed at a mirror (or, in tests, at a local stub of the Hub's HTTP API).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from huggingface_hub import DatasetCard, DatasetCardData, HfApi, ModelCard, ModelCardData

from red_aes.errors import InputError
from red_aes.resources import dataset_card_template, model_card_template


def render_dataset_card(card_data: DatasetCardData, **context: Any) -> DatasetCard:
    """Render ``dataset_card/template.md`` with ``card_data`` as YAML header and ``context`` in the body."""
    return DatasetCard.from_template(card_data, template_path=str(dataset_card_template()), **context)


def render_model_card(card_data: ModelCardData, **context: Any) -> ModelCard:
    """Render ``model_card/template.md`` with ``card_data`` as YAML header and ``context`` in the body."""
    return ModelCard.from_template(card_data, template_path=str(model_card_template()), **context)


def token_from_env(variable: str | None) -> str | None:
    """The Hub token held in environment variable ``variable`` (None: huggingface_hub's own login).

    Commands take the variable's name rather than the token itself, so tokens stay out of shell history.
    """
    if variable is None:
        return None
    token = os.environ.get(variable)
    if not token:
        raise InputError(f"environment variable {variable} (the Hub token) is not set")
    return token


def push_folder(
    folder: str | Path,
    repo_id: str,
    *,
    repo_type: Literal["model", "dataset", "space"] = "model",
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str = "Upload with red-aes",
    allow_patterns: list[str] | None = None,
    ignore_patterns: list[str] | None = None,
) -> str:
    """Create ``repo_id`` if needed and upload ``folder`` in one commit; returns the commit URL."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a directory, nothing to push")
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(f"{folder}: no README.md card; render the card before pushing")
    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
    info = api.upload_folder(
        folder_path=folder,
        repo_id=repo_id,
        repo_type=repo_type,
        commit_message=commit_message,
        allow_patterns=allow_patterns,
        ignore_patterns=ignore_patterns,
    )
    return str(info)
