"""Checkpoints and adapters on disk or on the Hub, without importing torch.

The ``red_aes.json`` metadata (base model, stage, prompt version, dataset, package version, pixel budget)
written next to a checkpoint or adapter, the resolution of a user's ``model``/``adapter`` arguments to a
base checkpoint and an adapter, and the prompt version a checkpoint is queried with. Training outputs,
the pipeline, the Hub code and the VLM scorer share it; it imports ``transformers`` only inside the
functions that ask the Hub.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from red_aes._version import __version__
from red_aes.errors import InputError
from red_aes.prompts import PROMPT_VERSION, get_template

METADATA_FILE = "red_aes.json"
METADATA_KEYS: tuple[str, ...] = (
    "base_model",
    "stage",
    "prompt_version",
    "dataset",
    "dataset_revision",
    "red_aes_version",
    "max_image_pixels",
)
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


class ModelLoadError(InputError):
    """A model, adapter or option could not be used; the message names it and says what to pass or install."""


# -- metadata --------------------------------------------------------------------------------------
def read_metadata(directory: str | os.PathLike) -> dict[str, Any]:
    """The ``red_aes.json`` fields of a checkpoint or adapter directory (``{}`` when it has none)."""
    path = Path(directory) / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(fields, dict):
        raise InputError(f"{path}: expected a JSON object, got {type(fields).__name__}")
    return fields


def write_metadata(directory: str | os.PathLike, **fields: Any) -> Path:
    """Write ``red_aes.json`` (keys: :data:`METADATA_KEYS`) into ``directory``; returns its path.

    ``red_aes_version`` defaults to the installed version. Unknown keys are rejected.
    """
    unknown = sorted(set(fields) - set(METADATA_KEYS))
    if unknown:
        raise InputError(f"unknown red_aes.json keys {unknown}; known: {list(METADATA_KEYS)}")
    fields.setdefault("red_aes_version", __version__)
    path = Path(directory) / METADATA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: fields[k] for k in METADATA_KEYS if k in fields}, indent=2) + "\n")
    return path


def resolve_prompt_version(explicit: str | None, metadata: dict[str, Any], source: str) -> str:
    """The prompt version for ``source``: ``explicit``, else its metadata's, else the current one."""
    version = explicit or metadata.get("prompt_version") or PROMPT_VERSION
    try:
        get_template(version)
    except KeyError as err:
        raise ModelLoadError(f"{source}: {err.args[0]}") from err
    return version


def _hub_metadata(repo_id: str, revision: str | None) -> dict[str, Any]:
    """``red_aes.json`` of a Hub repository, if it has one (a plain base model has none)."""
    from transformers.utils import cached_file

    found = cached_file(
        repo_id,
        METADATA_FILE,
        revision=revision,
        _raise_exceptions_for_missing_entries=False,
        _raise_exceptions_for_connection_errors=False,
    )
    return read_metadata(Path(found).parent) if found else {}


# -- loading helpers -------------------------------------------------------------------------------
def looks_local(name: str) -> bool:
    """A string that can only be a filesystem path, not a Hub id (``name`` or ``org/name``)."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def checkpoint_metadata(source: str, revision: str | None = None) -> dict[str, Any]:
    """``red_aes.json`` of a checkpoint or adapter, a directory or a Hub id (``{}`` when it has none)."""
    if Path(source).expanduser().is_dir():
        return read_metadata(Path(source).expanduser())
    return {} if looks_local(source) else _hub_metadata(source, revision)


def _adapter_base(adapter_dir: Path) -> str:
    config = json.loads((adapter_dir / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    base = config.get("base_model_name_or_path")
    if not base:
        raise ModelLoadError(
            f"{adapter_dir}: adapter_config.json names no base_model_name_or_path; "
            f"pass model=BASE, adapter={adapter_dir}"
        )
    return str(base)


def resolve_source(model: str, adapter: str | None, revision: str | None) -> tuple[str, str | None]:
    """(base checkpoint, adapter or None) from the user's ``model``/``adapter`` arguments."""
    path = Path(model).expanduser()
    if path.is_dir():
        has_config = (path / "config.json").is_file()
        if (path / ADAPTER_CONFIG).is_file() and not has_config:
            if adapter is not None:
                raise ModelLoadError(
                    f"{model} is an adapter directory; pass it alone as model=, or its base as model="
                )
            return _adapter_base(path), str(path)
        if not has_config:
            raise ModelLoadError(
                f"{model}: not a model checkpoint (no config.json or adapter_config.json in this directory)"
            )
        return str(path), adapter
    if path.exists():
        raise ModelLoadError(
            f"{model}: is a file; pass a checkpoint directory, an adapter directory or a Hub id"
        )
    if looks_local(model):
        raise ModelLoadError(f"{model}: directory not found")
    if adapter is None:
        from transformers.utils import find_adapter_config_file

        found = find_adapter_config_file(model, revision=revision)
        if found:
            return _adapter_base(Path(found).parent), model
    return model, adapter


def check_adapter(adapter: str, revision: str | None) -> None:
    """Refuse adapters without safetensors weights (PEFT would otherwise fall back to pickle)."""
    path = Path(adapter).expanduser()
    if path.is_dir():
        if not (path / ADAPTER_CONFIG).is_file():
            raise ModelLoadError(f"adapter {adapter}: no {ADAPTER_CONFIG} in this directory")
        if not (path / ADAPTER_WEIGHTS).is_file():
            raise ModelLoadError(
                f"adapter {adapter}: no {ADAPTER_WEIGHTS} (only safetensors adapters are loaded)"
            )
        return
    if looks_local(adapter) or path.exists():
        raise ModelLoadError(f"adapter {adapter}: directory not found")
    from transformers.utils import cached_file

    try:
        cached_file(adapter, ADAPTER_WEIGHTS, revision=revision)
    except OSError as err:
        raise ModelLoadError(
            f"adapter {adapter}: no {ADAPTER_WEIGHTS} found locally or on the Hub ({first_line(err)})"
        ) from err


def first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")


def has_processor_files(source: str, revision: str | None = None) -> bool:
    """Whether ``source`` (a directory or a Hub repository) carries its own processor files.

    Hub repositories are asked through ``cached_file`` (the local cache when offline); an unreachable
    Hub counts as "no files", so the base model's processor is used instead.
    """
    path = Path(source).expanduser()
    if path.is_dir():
        return any((path / name).is_file() for name in PROCESSOR_FILES)
    if looks_local(source) or path.exists():
        return False
    from transformers.utils import cached_file

    return any(
        cached_file(
            source,
            name,
            revision=revision,
            _raise_exceptions_for_missing_entries=False,
            _raise_exceptions_for_connection_errors=False,
        )
        for name in PROCESSOR_FILES
    )
