"""The RED-Lite model: a feature extractor plus a small trained head, saved like a Hub model repo.

A folder (or Hub model repo) holds ``model.safetensors`` (the head, ≤ 5 MB), ``config.json`` (feature and
head configuration), ``red_aes.json`` (RED-Aes metadata: backend, data, training summary) and a
``README.md`` model card. :meth:`RedLiteModel.from_pretrained` / :meth:`save_pretrained` /
:meth:`push_to_hub` are symmetric, as in transformers. The package ships trained weights in
``red_aes/assets/red-lite`` (:data:`DEFAULT_WEIGHTS`), reproducible with ``training_recipes/red-lite``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from red_aes.checkpoints import ModelLoadError
from red_aes.lite.features import FeatureConfig, FeatureExtractor
from red_aes.types import SCORE_MAX, SCORE_MIN

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "assets" / "red-lite"
WEIGHTS_NAME, CONFIG_NAME, METADATA_NAME = "model.safetensors", "config.json", "red_aes.json"
#: Prefix of a fine-tuned backbone block's tensors in ``model.safetensors`` (``backbone.blocks.10.…``).
BLOCK_PREFIX = "backbone.blocks."
MID, HALF = (SCORE_MIN + SCORE_MAX) / 2, (SCORE_MAX - SCORE_MIN) / 2


class LiteLoadError(ModelLoadError):
    """A RED-Lite folder or repo is missing files or does not match this version."""


@dataclass(frozen=True)
class HeadConfig:
    """The head: standardise → Linear(dim, hidden) → GELU → Linear(hidden, 1) (+ MID), except for the
    ``decreasing`` features, which skip the MLP and subtract ``softplus(w) · z`` each."""

    dim: int
    hidden: int = 32
    dropout: float = 0.2
    decreasing: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LiteHead(torch.nn.Module):
    """Raw score of a feature vector; :meth:`score` squashes it onto [1, 10] (order-keeping, no clip)."""

    def __init__(self, config: HeadConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("mean", torch.zeros(config.dim, dtype=torch.float64))
        self.register_buffer("std", torch.ones(config.dim, dtype=torch.float64))
        self.dropout = torch.nn.Dropout(config.dropout)
        self.hidden = torch.nn.Linear(config.dim, config.hidden, dtype=torch.float64)
        self.out = torch.nn.Linear(config.hidden, 1, dtype=torch.float64)
        keep = torch.ones(config.dim, dtype=torch.float64)
        keep[list(config.decreasing)] = 0.0
        self.register_buffer("keep", keep, persistent=False)
        self.decrease = torch.nn.Parameter(torch.zeros(len(config.decreasing), dtype=torch.float64))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Raw (unbounded) scores of a (n, dim) float64 batch, centred on the middle of the scale: the MLP
        of the other features minus a non-negative multiple of each ``decreasing`` feature (so the
        score can only fall as one of them grows)."""
        z = (features - self.mean) / self.std
        raw = MID + self.out(torch.nn.functional.gelu(self.hidden(self.dropout(z) * self.keep))).squeeze(-1)
        if not self.config.decreasing:
            return raw
        weights = torch.nn.functional.softplus(self.decrease)
        return raw - z[:, list(self.config.decreasing)] @ weights

    def score(self, features: torch.Tensor) -> torch.Tensor:
        """Scores in (1, 10): ``MID + HALF · tanh((raw − MID) / HALF)``, the map of red_aes.scale."""
        return MID + HALF * torch.tanh((self.forward(features) - MID) / HALF)


@dataclass
class LiteMetadata:
    """What ``red_aes.json`` records for a RED-Lite folder."""

    backend: str = "red-lite"
    package_version: str = ""
    dataset: str | None = None
    training: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RedLiteModel:
    """Feature extractor + head. ``score_features`` works on precomputed features (training, attribution).

    ``blocks`` are the model's fine-tuned copies of the backbone's last stride-16 blocks, by index; they
    are saved beside the head and used in place of the shared, frozen backbone's blocks."""

    def __init__(
        self,
        features: FeatureConfig,
        head: LiteHead,
        metadata: LiteMetadata | None = None,
        blocks: Mapping[int, torch.nn.Module] | None = None,
    ) -> None:
        self.feature_config = features
        self.head = head.eval()
        self.metadata = metadata or LiteMetadata()
        self.blocks = {index: block.eval() for index, block in sorted((blocks or {}).items())}
        self._extractor: FeatureExtractor | None = None

    @property
    def extractor(self) -> FeatureExtractor:
        """The feature extractor (built on first use; the backbone is cached per process)."""
        if self._extractor is None:
            self._extractor = FeatureExtractor(self.feature_config, self.blocks)
            if self._extractor.dim != self.head.config.dim:
                raise LiteLoadError(
                    f"head expects {self.head.config.dim} features but this version of red-aes gives "
                    f"{self._extractor.dim} for {self.feature_config.backbone}: the head was trained with "
                    "another set of measured statistics; retrain it (`red-aes lite train`) or load it with "
                    "the red-aes version that made it"
                )
            if tuple(self.head.config.decreasing) != tuple(self._extractor.decreasing()):
                raise LiteLoadError(
                    f"head's decreasing features {list(self.head.config.decreasing)} are not this "
                    f"version's {self._extractor.decreasing()}"
                )
        return self._extractor

    @torch.inference_mode()
    def score_features(self, features: np.ndarray) -> np.ndarray:
        """Scores of a (n, dim) array of feature vectors, row by row in float64 (batch-invariant)."""
        x = torch.from_numpy(np.atleast_2d(np.asarray(features, dtype=np.float64)))
        return self.head.eval().score(x).numpy()

    # -- persistence ---------------------------------------------------------------------------------
    def save_pretrained(self, folder: str | Path) -> Path:
        """Write ``model.safetensors`` (the head, then any fine-tuned blocks), ``config.json`` and
        ``red_aes.json`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().contiguous() for k, v in self.head.state_dict().items()}
        for index, block in self.blocks.items():
            tensors.update(
                {f"{BLOCK_PREFIX}{index}.{k}": v.detach().contiguous() for k, v in block.state_dict().items()}
            )
        save_file(tensors, str(folder / WEIGHTS_NAME), metadata={"format": "pt"})
        config = {
            "features": self.feature_config.to_dict(),
            "head": self.head.config.to_dict(),
            "tuned_blocks": sorted(self.blocks),
        }
        (folder / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
        (folder / METADATA_NAME).write_text(json.dumps(self.metadata.to_dict(), indent=2) + "\n")
        return folder

    @classmethod
    def from_pretrained(
        cls, source: str | Path | None = None, *, revision: str | None = None, token: str | None = None
    ) -> RedLiteModel:
        """Load from a folder, a Hub model repo id, or (``None``) the weights shipped in the package."""
        folder = _resolve(source, revision=revision, token=token)
        missing = [n for n in (WEIGHTS_NAME, CONFIG_NAME) if not (folder / n).is_file()]
        if missing:
            raise LiteLoadError(f"{source or folder}: not a RED-Lite folder (missing {', '.join(missing)})")
        config = json.loads((folder / CONFIG_NAME).read_text())
        try:
            features = FeatureConfig(**config["features"])
            raw_head = config["head"]
            head = LiteHead(HeadConfig(**{**raw_head, "decreasing": tuple(raw_head.get("decreasing", ()))}))
            tuned = [int(index) for index in config.get("tuned_blocks", [])]
        except (KeyError, TypeError, ValueError) as err:
            raise LiteLoadError(f"{folder / CONFIG_NAME}: not a RED-Lite config ({err})") from None
        tensors = load_file(str(folder / WEIGHTS_NAME))
        head.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(BLOCK_PREFIX)})
        blocks = {index: _load_block(features, index, tensors, folder) for index in tuned}
        metadata = LiteMetadata()
        if (folder / METADATA_NAME).is_file():
            raw = json.loads((folder / METADATA_NAME).read_text())
            if raw.get("backend", "red-lite") != "red-lite":
                raise LiteLoadError(f"{folder}: red_aes.json names backend {raw['backend']!r}, not red-lite")
            metadata = LiteMetadata(**{k: raw[k] for k in LiteMetadata.__dataclass_fields__ if k in raw})
        return cls(features, head, metadata, blocks)

    def push_to_hub(
        self,
        repo_id: str,
        *,
        folder: str | Path,
        private: bool = False,
        token: str | None = None,
        endpoint: str | None = None,
    ) -> str:
        """Upload ``folder`` (this model saved with its card) as a Hub model repo; returns the commit URL."""
        from red_aes.hub import push_folder

        self.save_pretrained(folder)
        return push_folder(
            folder,
            repo_id,
            repo_type="model",
            private=private,
            token=token,
            endpoint=endpoint,
            commit_message="Upload RED-Lite with red-aes",
            allow_patterns=[WEIGHTS_NAME, CONFIG_NAME, METADATA_NAME, "README.md"],
        )


def _load_block(
    features: FeatureConfig, index: int, tensors: dict[str, torch.Tensor], folder: Path
) -> torch.nn.Module:
    """A copy of backbone block ``index`` with the fine-tuned weights saved in ``tensors``."""
    from red_aes.lite.backbone import load_backbone

    prefix = f"{BLOCK_PREFIX}{index}."
    state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    blocks = load_backbone(features.backbone)._blocks
    if not 0 <= index < len(blocks) or not state:
        raise LiteLoadError(f"{folder / WEIGHTS_NAME}: no weights for the fine-tuned block {index}")
    block = copy.deepcopy(blocks[index])
    try:
        block.load_state_dict(state)
    except RuntimeError as err:
        raise LiteLoadError(
            f"{folder / WEIGHTS_NAME}: block {index} does not fit {features.backbone} ({err})"
        ) from None
    return block.eval()


def _resolve(source: str | Path | None, *, revision: str | None, token: str | None) -> Path:
    """A local folder for ``source``: the bundled weights, a folder, or a Hub repo's snapshot."""
    if source is None:
        if not (DEFAULT_WEIGHTS / WEIGHTS_NAME).is_file():
            raise LiteLoadError(
                f"no shipped RED-Lite weights in {DEFAULT_WEIGHTS}; train them with training_recipes/red-lite"
            )
        return DEFAULT_WEIGHTS
    path = Path(source)
    if path.exists():
        if not path.is_dir():
            raise LiteLoadError(f"{path}: a RED-Lite model is a folder, not a file")
        return path
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        return Path(
            snapshot_download(
                str(source),
                revision=revision,
                token=token,
                allow_patterns=[WEIGHTS_NAME, CONFIG_NAME, METADATA_NAME, "README.md"],
            )
        )
    except (RepositoryNotFoundError, HfHubHTTPError, OSError, ValueError) as err:
        raise LiteLoadError(
            f"{source}: not a local folder, and loading it from the Hub failed ({err})"
        ) from None
