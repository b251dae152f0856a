"""Instruction-editing diffusion pipelines (diffusers) as an editor backend, by Hub id or local directory.

Any pipeline that takes ``image=`` and ``prompt=`` works; the families in :data:`PIPELINE_FAMILIES`
(InstructPix2Pix, SDXL InstructPix2Pix, FLUX.1 Kontext, Qwen-Image-Edit and Qwen-Image-Edit-Plus) get
their recommended call arguments and their exact size handling. The edited image always has the input's
size: the pipeline generates at the input size rounded to its multiple (scaled down to ``max_area`` first
for very large inputs) and the result is resized back exactly.

Loading happens once per process for each (model, options) combination (:func:`load_pipeline` is
cached). Weights are loaded from safetensors only; optional bitsandbytes 4-bit / 8-bit quantization
(diffusers ``PipelineQuantizationConfig``; ``quantization`` takes the words every loader takes,
``auto`` included, resolved by :func:`red_aes.types.resolve_quantization`) and model CPU offload make
large pipelines fit smaller GPUs.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from red_aes.editing.base import (
    BaseEditor,
    check_deadline,
    check_instruction,
    check_not_negated,
    check_seed,
    check_strength,
)
from red_aes.errors import InputError, require
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS, ImageInput, load_image
from red_aes.types import EditResult, resolve_quantization

#: Components quantized when present (the large networks; VAEs and schedulers stay in full precision).
QUANTIZED_COMPONENTS: tuple[str, ...] = ("transformer", "unet", "text_encoder", "text_encoder_2")
#: Default generation area cap in pixels: larger inputs are generated smaller and resized back.
DEFAULT_MAX_AREA = 1024 * 1024


@dataclass(frozen=True)
class PipelineFamily:
    """How to call one pipeline class.

    ``defaults``: recommended call arguments. ``size_multiple``: generated sides are multiples of
    ``vae_scale_factor * size_multiple``. ``size_kwargs``: pass ``height``/``width`` (otherwise the
    pipeline generates at the size of the image it is given, so the image is resized first).
    ``max_area_kwarg``: FLUX Kontext derives its size from ``max_area`` and the aspect ratio, so it
    gets ``max_area = height * width``. ``strength_arg``: the guidance argument that ``strength`` scales
    (value = 1 + (default - 1) * strength; 1 means no guidance towards the instruction).
    """

    defaults: dict[str, Any] = field(default_factory=dict)
    size_multiple: int = 1
    size_kwargs: bool = True
    max_area_kwarg: bool = False
    strength_arg: str | None = None


#: Pipeline class name -> how to call it. Adding a family is one entry.
PIPELINE_FAMILIES: dict[str, PipelineFamily] = {
    "StableDiffusionInstructPix2PixPipeline": PipelineFamily(
        defaults={"num_inference_steps": 20, "guidance_scale": 7.5, "image_guidance_scale": 1.5},
        size_kwargs=False,
        strength_arg="guidance_scale",
    ),
    "StableDiffusionXLInstructPix2PixPipeline": PipelineFamily(
        defaults={"num_inference_steps": 30, "guidance_scale": 5.0, "image_guidance_scale": 1.5},
        strength_arg="guidance_scale",
    ),
    "FluxKontextPipeline": PipelineFamily(
        defaults={"num_inference_steps": 28, "guidance_scale": 2.5},
        size_multiple=2,
        max_area_kwarg=True,
        strength_arg="guidance_scale",
    ),
    "QwenImageEditPipeline": PipelineFamily(
        defaults={"num_inference_steps": 50, "true_cfg_scale": 4.0, "negative_prompt": " "},
        size_multiple=2,
        strength_arg="true_cfg_scale",
    ),
    "QwenImageEditPlusPipeline": PipelineFamily(
        defaults={
            "num_inference_steps": 40,
            "true_cfg_scale": 4.0,
            "guidance_scale": 1.0,
            "negative_prompt": " ",
        },
        size_multiple=2,
        strength_arg="true_cfg_scale",
    ),
}


def _torch_dtype(dtype: str | None, device: str) -> Any:
    import torch

    if dtype is None:
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    if not isinstance(getattr(torch, dtype, None), torch.dtype):
        raise InputError(f"unknown dtype {dtype!r} (use float32, float16 or bfloat16)")
    return getattr(torch, dtype)


def _quantization_config(model: str, quantization: str, dtype: Any) -> Any:
    """A bitsandbytes PipelineQuantizationConfig for the large components present in ``model``."""
    from diffusers import DiffusionPipeline, PipelineQuantizationConfig

    present = DiffusionPipeline.load_config(model)
    components = [c for c in QUANTIZED_COMPONENTS if c in present]
    if quantization == "4bit":
        backend = "bitsandbytes_4bit"
        kwargs: dict[str, Any] = {
            "load_in_4bit": True,
            "bnb_4bit_quant_type": "nf4",
            "bnb_4bit_use_double_quant": True,
            "bnb_4bit_compute_dtype": dtype,
        }
    else:
        backend, kwargs = "bitsandbytes_8bit", {"load_in_8bit": True}
    return PipelineQuantizationConfig(
        quant_backend=backend, quant_kwargs=kwargs, components_to_quantize=components
    )


@functools.lru_cache(maxsize=4)
def load_pipeline(
    model: str,
    device: str,
    dtype: str | None = None,
    quantization: str | None = None,
    cpu_offload: bool = False,
    trust_remote_code: bool = False,
) -> Any:
    """Load a diffusers pipeline once per process for these exact options (an LRU cache of 4)."""
    require("diffusers", "diffusion", "the diffusion editor")
    from diffusers import DiffusionPipeline

    quantization = resolve_quantization(quantization, device.startswith("cuda"))
    if cpu_offload and not device.startswith("cuda"):
        raise InputError(f"cpu_offload moves components to a CUDA device on demand; got device {device!r}")
    if quantization is not None and not device.startswith("cuda"):
        raise InputError(
            f"{quantization} quantization of diffusion pipelines needs a CUDA device, got {device!r}"
        )
    torch_dtype = _torch_dtype(dtype, device)
    kwargs: dict[str, Any] = {"dtype": torch_dtype, "use_safetensors": True}
    if quantization is not None:
        kwargs["quantization_config"] = _quantization_config(model, quantization, torch_dtype)
    if trust_remote_code:
        kwargs["trust_remote_code"] = True
    try:
        pipe = DiffusionPipeline.from_pretrained(model, **kwargs)
    except (OSError, ValueError) as err:
        where = "directory" if Path(model).exists() else "Hub id (offline mode or a typo?)"
        raise InputError(f"cannot load diffusion editor {model!r} as a {where}: {err}") from err
    if cpu_offload:
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)  # quantized modules are placed by diffusers; this moves the rest (VAE, ...)
    return pipe


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def generation_size(width: int, height: int, multiple: int, max_area: int) -> tuple[int, int]:
    """The size to generate at: the input size scaled down to at most ``max_area`` pixels (aspect kept)
    and rounded to the nearest multiple of ``multiple`` (at least one multiple per side)."""
    scale = min(1.0, math.sqrt(max_area / (width * height)))
    return tuple(  # type: ignore[return-value]
        max(multiple, round(side * scale / multiple) * multiple) for side in (width, height)
    )


class DiffusionEditor(BaseEditor):
    """Edits with a diffusers instruction-editing pipeline (Hub id or local directory)."""

    name = "diffusion"

    def __init__(
        self,
        model: str,
        *,
        device: str | None = None,
        dtype: str | None = None,
        quantization: str | None = None,
        cpu_offload: bool = False,
        trust_remote_code: bool = False,
        num_inference_steps: int | None = None,
        max_area: int = DEFAULT_MAX_AREA,
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
        progress: bool = False,
        **call_kwargs: Any,
    ) -> None:
        if max_area < 64 * 64:
            raise InputError(f"max_area must be at least {64 * 64} pixels, got {max_area}")
        self.model = str(model)
        self.device = device or _default_device()
        # resolved here too, so "auto", "none" and None share the cached pipeline they all load
        quantization = resolve_quantization(quantization, self.device.startswith("cuda"))
        self.pipeline = load_pipeline(
            self.model, self.device, dtype, quantization, cpu_offload, trust_remote_code
        )
        self.pipeline.set_progress_bar_config(disable=not progress)
        self.pipeline_class = type(self.pipeline).__name__
        self.family = PIPELINE_FAMILIES.get(self.pipeline_class, PipelineFamily())
        self.call_kwargs = {**self.family.defaults, **call_kwargs}
        if num_inference_steps is not None:
            self.call_kwargs["num_inference_steps"] = int(num_inference_steps)
        self.max_area = max_area
        self.max_input_pixels = max_input_pixels
        accepted = inspect.signature(self.pipeline.__call__).parameters
        unknown = sorted(k for k in self.call_kwargs if k not in accepted)
        if unknown:
            raise InputError(f"{self.pipeline_class} does not take {', '.join(unknown)}")
        if "image" not in accepted or "prompt" not in accepted:
            raise InputError(f"{self.model!r} ({self.pipeline_class}) is not an image-editing pipeline")

    @classmethod
    def from_pretrained(cls, model: str, **kwargs: Any) -> DiffusionEditor:
        """Registry constructor: ``model`` is a diffusers Hub id or a local pipeline directory."""
        return cls(model, **kwargs)

    def _size_multiple(self) -> int:
        return int(getattr(self.pipeline, "vae_scale_factor", 8)) * self.family.size_multiple

    def edit(
        self,
        image: ImageInput,
        instruction: str,
        *,
        seed: int | None = None,
        strength: float | None = None,
        deadline: float | None = None,
    ) -> EditResult:
        """Run the pipeline on ``image`` with ``instruction``. ``seed`` (default 0) seeds a CPU
        ``torch.Generator``; ``strength`` in (0, 1] scales the family's guidance argument towards 1;
        ``deadline`` (a :func:`time.monotonic` time) is checked before the run and after every denoising
        step of pipelines that take ``callback_on_step_end``."""
        import torch

        prompt = check_instruction(instruction)
        check_not_negated(prompt)  # text-conditioned models tend to apply the very edit a negation rules out
        seed = check_seed(seed)
        source = load_image(image, max_input_pixels=self.max_input_pixels)
        kwargs = dict(self.call_kwargs)
        if strength is not None:
            arg = self.family.strength_arg
            if arg is None:
                raise InputError(
                    f"strength is not supported for {self.pipeline_class} (no guidance argument known)"
                )
            kwargs[arg] = 1.0 + (float(kwargs[arg]) - 1.0) * check_strength(strength)
        width, height = generation_size(source.width, source.height, self._size_multiple(), self.max_area)
        if self.family.size_kwargs:
            kwargs.update(height=height, width=width)
            if self.family.max_area_kwarg:
                kwargs["max_area"] = height * width
            conditioning = source
        else:
            conditioning = source.resize((width, height), Image.Resampling.LANCZOS)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        check_deadline(deadline, "before the diffusion run")
        call: dict[str, Any] = {}
        if (
            deadline is not None
            and "callback_on_step_end" in inspect.signature(self.pipeline.__call__).parameters
        ):

            def stop_past_deadline(
                pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]
            ) -> dict[str, Any]:
                check_deadline(deadline, f"after {step + 1} denoising steps")
                return tensors

            call["callback_on_step_end"] = stop_past_deadline
        output = self.pipeline(image=conditioning, prompt=prompt, generator=generator, **kwargs, **call)
        edited = output.images[0]
        generated = edited.size
        if edited.size != source.size:
            edited = edited.resize(source.size, Image.Resampling.LANCZOS)
        params = {
            "model": self.model,
            "pipeline": self.pipeline_class,
            "seed": seed,
            "generated_size": list(generated),
            **{k: v for k, v in kwargs.items() if k not in {"height", "width"}},
        }
        return EditResult(
            image=edited.convert("RGB"), instruction=instruction, backend=self.name, params=params
        )
