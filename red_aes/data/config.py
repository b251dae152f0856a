"""The build configuration of a RED dataset: one flat dataclass, loaded from YAML, overridable by flags.

Every field is a YAML key of the same name and a ``red-aes data build`` flag (``pairs_per_source`` ->
``--pairs-per-source``). A relative ``source`` path in a YAML file is read relative to that file (a
flag's, relative to the current folder); ``out`` is always relative to the current folder. The config is
stored with the dataset as ``build_config.yaml`` (its local ``source`` as an absolute path), and its
:meth:`BuildConfig.fingerprint` (every field that changes the rows) guards resumption: shards written
under another fingerprint are never mixed into a build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS
from red_aes.prompts import PROMPT_VERSION
from red_aes.types import ATTRIBUTES, DELTA_MAX, NO_CHANGE_BAND

#: Components chosen by name with options: ``"measured"`` or ``{"name": "endpoint", "base_url": ...}``.
ComponentSpec = dict[str, Any]

#: Fields that do not change the dataset's rows (where and how fast it is built, how it is described).
NON_CONTENT_FIELDS: frozenset[str] = frozenset(
    {"out", "shard_size", "keep_shards", "progress", "license", "license_note", "pretty_name", "tags"}
)


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class BuildConfig:
    """Everything ``red-aes data build`` needs; see ``examples/configs/data_*.yaml``."""

    # -- sources -------------------------------------------------------------------------------------
    source: str = field(
        default="",
        metadata=_help(
            "a folder of photos (in a YAML file: relative to that file), or a Hub dataset id (owner/name)"
        ),
    )
    source_type: str = field(
        default="auto",
        metadata=_help("'folder', 'hub', 'debian' (a photo list CSV) or 'auto' (folder if it exists)"),
    )
    image_column: str = field(default="image", metadata=_help("image column of a Hub dataset"))
    source_split: str = field(default="train", metadata=_help("split of a Hub dataset"))
    source_config: str | None = field(default=None, metadata=_help("config (subset) name of a Hub dataset"))
    max_sources: int | None = field(default=None, metadata=_help("use at most this many photos (in order)"))
    max_side: int | None = field(
        default=768, metadata=_help("downscale photos to this long side before editing")
    )
    max_input_pixels: int = field(
        default=DEFAULT_MAX_INPUT_PIXELS,
        metadata=_help("input limit: a source photo with more pixels (width x height) is refused"),
    )
    out: str = field(default="", metadata=_help("output folder (dataset, card, build_config.yaml, shards/)"))

    # -- edit plans and editors ----------------------------------------------------------------------
    editors: list[str] = field(default_factory=lambda: ["classical"], metadata=_help("editor names or ids"))
    editor_options: dict[str, dict[str, Any]] = field(
        default_factory=dict,
        metadata=_help("per editor: options for load_editor, e.g. {ID: {num_inference_steps: 28}}"),
    )
    pairs_per_source: int = field(default=4, metadata=_help("edits planned per photo"))
    attributes: list[str] = field(
        default_factory=lambda: list(ATTRIBUTES), metadata=_help("attributes to edit")
    )
    directions: list[str] = field(
        default_factory=lambda: ["improve", "degrade"], metadata=_help("edit directions")
    )
    strengths: list[float] = field(
        default_factory=lambda: [0.3, 0.6, 0.9], metadata=_help("edit strengths in (0, 1]")
    )
    planner: ComponentSpec = field(
        default_factory=lambda: {"name": "library"},
        metadata=_help("'library' (versioned phrasings) or {name: endpoint, base_url, model, api_key_env}"),
    )
    instruction_library: str = field(default="v1", metadata=_help("version of the instruction library"))
    seed: int = field(default=0, metadata=_help("seed of plans, phrasings and editor noise"))
    ladder_kinds: list[str] = field(
        default_factory=list,
        metadata=_help(
            "ladder mode: every photo gets each of these degradation kinds at every strength "
            "(red_aes.data.ladder.LADDER_KINDS), instead of pairs_per_source random plans"
        ),
    )
    cross_photo_pairs: int = field(
        default=0,
        metadata=_help(
            "ladder mode: per photo, pairs of its original vs a strong degradation of another photo"
        ),
    )

    # -- consistency filter --------------------------------------------------------------------------
    min_change: float = field(default=0.004, metadata=_help("mean absolute pixel change (0-1) below = no-op"))
    min_ssim: float = field(
        default=0.72, metadata=_help("structure similarity of the overlap below = new content")
    )

    # -- judges and aggregation ----------------------------------------------------------------------
    judges: list[ComponentSpec] = field(
        default_factory=lambda: [{"name": "measured"}],
        metadata=_help("judges: measured, {name: vlm, model, adapter}, {name: endpoint, base_url, model}"),
    )
    min_valid_votes: int = field(default=1, metadata=_help("valid votes a pair needs"))
    min_agreement: float = field(
        default=0.6, metadata=_help("share of valid votes agreeing with the median's sign")
    )
    neutral_band: float = field(
        default=NO_CHANGE_BAND,
        metadata=_help("|delta| below this counts as 'no change' in sign checks (eval uses the default)"),
    )

    # -- rationales ----------------------------------------------------------------------------------
    rationale: ComponentSpec = field(
        default_factory=lambda: {"name": "offline"},
        metadata=_help("'offline' (from measured facts), {name: endpoint, ...} or {name: vlm, model, ...}"),
    )
    prompt_version: str = field(
        default=PROMPT_VERSION, metadata=_help("prompt version stored with every row")
    )

    # -- dataset -------------------------------------------------------------------------------------
    split_fractions: dict[str, float] = field(
        default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1},
        metadata=_help("fractions of photos per split (assigned by hashing source_id)"),
    )
    shard_size: int = field(default=8, metadata=_help("photos per shard (the unit of resumption)"))
    keep_shards: bool = field(
        default=True, metadata=_help("keep shards/ after merging (re-merge without work)")
    )
    progress: bool = field(default=True, metadata=_help("show progress bars"))
    license: str = field(default="other", metadata=_help("license of the dataset (Hub license id)"))
    license_note: str = field(default="", metadata=_help("where the source photos' licenses are documented"))
    pretty_name: str = field(default="RED-Aes edit pairs", metadata=_help("dataset name on its card"))
    tags: list[str] = field(default_factory=list, metadata=_help("extra card tags"))

    def __post_init__(self) -> None:
        self.judges = [normalize_spec(spec, "judges") for spec in self.judges]
        self.planner = normalize_spec(self.planner, "planner")
        self.rationale = normalize_spec(self.rationale, "rationale")
        self.strengths = [float(s) for s in self.strengths]
        self.split_fractions = {str(k): float(v) for k, v in self.split_fractions.items()}

    # -- validation ----------------------------------------------------------------------------------
    def validate(self) -> BuildConfig:
        """Raise ValueError naming the first field whose value cannot work; returns ``self``."""
        from red_aes.data.schema import DIRECTIONS, SPLITS

        if not self.source:
            raise InputError("source: give a folder of photos or a Hub dataset id")
        if not self.out:
            raise InputError("out: give an output folder")
        if self.source_type not in ("auto", "folder", "hub", "debian"):
            raise InputError(
                f"source_type must be 'auto', 'folder', 'hub' or 'debian', got {self.source_type!r}"
            )
        if not self.editors:
            raise InputError("editors: name at least one editor")
        stray = sorted(set(self.editor_options) - set(self.editors))
        if stray:
            raise InputError(f"editor_options names editors {stray} that are not in editors {self.editors}")
        if not self.judges:
            raise InputError("judges: name at least one judge")
        if self.ladder_kinds:
            from red_aes.data.ladder import check_kinds

            check_kinds(self.ladder_kinds)
            if self.editors != ["classical"]:
                raise InputError(
                    f"ladder mode edits with the classical editor only; editors is {self.editors}"
                )
        if self.cross_photo_pairs < 0 or (self.cross_photo_pairs and not self.ladder_kinds):
            raise InputError("cross_photo_pairs must be >= 0 and needs ladder mode (ladder_kinds)")
        if self.pairs_per_source < 1:
            raise InputError(f"pairs_per_source must be >= 1, got {self.pairs_per_source}")
        bad = [a for a in self.attributes if a not in ATTRIBUTES]
        if bad or not self.attributes:
            raise InputError(f"attributes {bad or '[]'} not in the taxonomy {list(ATTRIBUTES)}")
        bad = [d for d in self.directions if d not in DIRECTIONS]
        if bad or not self.directions:
            raise InputError(f"directions {bad or '[]'} must be among {list(DIRECTIONS)}")
        bad_strengths = [s for s in self.strengths if not 0.0 < s <= 1.0]
        if bad_strengths or not self.strengths:
            raise InputError(f"strengths {bad_strengths or '[]'} must lie in (0, 1]")
        if set(self.split_fractions) - set(SPLITS):
            raise InputError(
                f"split_fractions keys {sorted(self.split_fractions)} must be among {list(SPLITS)}"
            )
        if (
            any(v < 0 for v in self.split_fractions.values())
            or abs(sum(self.split_fractions.values()) - 1) > 1e-6
        ):
            raise InputError(f"split_fractions {self.split_fractions} must be >= 0 and sum to 1")
        if self.shard_size < 1:
            raise InputError(f"shard_size must be >= 1, got {self.shard_size}")
        if self.max_side is not None and self.max_side < 16:
            raise InputError(f"max_side must be >= 16 pixels, got {self.max_side}")
        if not 0.0 <= self.min_change < 1.0:
            raise InputError(f"min_change must be in [0, 1), got {self.min_change}")
        if not -1.0 <= self.min_ssim <= 1.0:
            raise InputError(f"min_ssim must be in [-1, 1], got {self.min_ssim}")
        if self.min_valid_votes < 1 or self.min_valid_votes > len(self.judges):
            raise InputError(f"min_valid_votes must be in [1, {len(self.judges)}] (the number of judges)")
        if not 0.0 <= self.min_agreement <= 1.0:
            raise InputError(f"min_agreement must be in [0, 1], got {self.min_agreement}")
        if not 0.0 <= self.neutral_band < DELTA_MAX:
            raise InputError(f"neutral_band must be in [0, {DELTA_MAX:g}), got {self.neutral_band}")
        return self

    # -- (de)serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path) -> None:
        """Write the config as YAML (atomically)."""
        from red_aes.data.shards import atomic_write_text

        atomic_write_text(Path(path), self.to_yaml())

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> BuildConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"{where}: unknown keys {unknown}; known keys: {sorted(known)}")
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> BuildConfig:
        """The config of a YAML file; a relative local ``source`` is read relative to the file's folder
        (see :func:`resolve_source`), so a config works from any current folder."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: build config not found")
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(values, dict):
            raise InputError(f"{path}: a build config must be a YAML mapping, got {type(values).__name__}")
        if isinstance(values.get("source"), str):
            values["source"] = resolve_source(
                values["source"], values.get("source_type", "auto"), path.resolve().parent
            )
        return cls.from_dict(values, where=str(path))

    def replace(self, **overrides: Any) -> BuildConfig:
        """A copy with ``overrides`` applied (unknown names are an error)."""
        merged = self.to_dict()
        merged.update(overrides)
        return type(self).from_dict(merged, where="overrides")

    def fingerprint(self) -> str:
        """Hash of every field that changes the rows; a resumed build must match it."""
        content = {k: v for k, v in self.to_dict().items() if k not in NON_CONTENT_FIELDS}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def looks_like_hub_id(text: str) -> bool:
    """Whether ``text`` is spelled like a Hub dataset id (``name`` or ``owner/name``, as the Hub validates
    them); ``./photos``, ``../photos``, ``a/b/c`` and absolute paths are not."""
    try:
        validate_repo_id(text)
    except HFValidationError:
        return False
    return True


def resolve_source(source: str, source_type: str, base: Path) -> str:
    """A config file's ``source`` with a relative local path read relative to ``base`` (the file's
    folder), as an absolute path. A relative string that names nothing under ``base`` stays as written
    only when it is a Hub dataset id (``source_type`` ``hub``, or ``auto`` and spelled like one); any other
    becomes the absolute path it names under ``base``, so the build's error names where it looked."""
    if not source or source_type == "hub":
        return source
    if os.path.isabs(os.path.expanduser(source)):
        return os.path.expanduser(source)
    local = base / source
    if local.exists() or source_type != "auto" or not looks_like_hub_id(source):
        return str(local.resolve())
    return source


def normalize_spec(spec: str | ComponentSpec, where: str) -> ComponentSpec:
    """``"measured"`` -> ``{"name": "measured"}``; a mapping must have a string ``name``."""
    if isinstance(spec, str):
        return {"name": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise InputError(f"{where}: each entry must be a name or a mapping with a 'name' key, got {spec!r}")
    return dict(spec)
