"""RedAesScorer: a chat VLM (optionally with a LoRA adapter, optionally 4/8-bit) as an aesthetic scorer.

``RedAesScorer.from_pretrained(model, adapter=None, quantization=None)`` loads any checkpoint that
``AutoModelForImageTextToText`` + ``AutoProcessor`` can load (a directory or a Hub id), or a PEFT adapter
directory alone (its base is read from ``adapter_config.json``). ``compare`` and ``score`` come from
:class:`~red_aes.scorers.BaseScorer`; the two decoding modes are described in :mod:`red_aes.decoding`.
``save_pretrained`` writes a loadable checkpoint (merged or adapter-only) with its ``red_aes.json``
metadata, and makes full checkpoints usable with ``transformers.pipeline(model=dir, trust_remote_code=True)``.

Loading is safe by default: safetensors weights only, ``trust_remote_code`` off unless asked.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from red_aes.decoding import PAIR_KIND, AnswerConstraint, TokenTable, expected_answer
from red_aes.images import DEFAULT_MAX_PIXELS, ImageInput, load_image
from red_aes.parsing import Kind, parse_answer
from red_aes.prompts import PROMPT_VERSION, THINK_CLOSE, THINK_OPEN, build_messages, get_template
from red_aes.scorers import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore, Mode

METADATA_FILE = "red_aes.json"
METADATA_KEYS: tuple[str, ...] = (
    "base_model",
    "stage",
    "prompt_version",
    "dataset",
    "dataset_revision",
    "red_aes_version",
)
QUANTIZATIONS: tuple[str, ...] = ("4bit", "8bit")
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PIPELINE_MODULE = "red_aes_pipeline"
PIPELINE_TASK = "red-aes"


class ModelLoadError(ValueError):
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
        raise ValueError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(fields, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(fields).__name__}")
    return fields


def write_metadata(directory: str | os.PathLike, **fields: Any) -> Path:
    """Write ``red_aes.json`` (keys: :data:`METADATA_KEYS`) into ``directory``; returns its path.

    ``red_aes_version`` defaults to the installed version. Unknown keys are rejected.
    """
    from red_aes import __version__

    unknown = sorted(set(fields) - set(METADATA_KEYS))
    if unknown:
        raise ValueError(f"unknown red_aes.json keys {unknown}; known: {list(METADATA_KEYS)}")
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
def _looks_local(name: str) -> bool:
    """A string that can only be a filesystem path, not a Hub id (``name`` or ``org/name``)."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def _adapter_base(adapter_dir: Path) -> str:
    config = json.loads((adapter_dir / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    base = config.get("base_model_name_or_path")
    if not base:
        raise ModelLoadError(
            f"{adapter_dir}: adapter_config.json names no base_model_name_or_path; "
            f"pass model=BASE, adapter={adapter_dir}"
        )
    return str(base)


def _resolve_source(model: str, adapter: str | None, revision: str | None) -> tuple[str, str | None]:
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
    if _looks_local(model):
        raise ModelLoadError(f"{model}: directory not found")
    if adapter is None:
        from transformers.utils import find_adapter_config_file

        found = find_adapter_config_file(model, revision=revision)
        if found:
            return _adapter_base(Path(found).parent), model
    return model, adapter


def _check_adapter(adapter: str, revision: str | None) -> None:
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
    if _looks_local(adapter) or path.exists():
        raise ModelLoadError(f"adapter {adapter}: directory not found")
    from transformers.utils import cached_file

    try:
        cached_file(adapter, ADAPTER_WEIGHTS, revision=revision)
    except OSError as err:
        raise ModelLoadError(
            f"adapter {adapter}: no {ADAPTER_WEIGHTS} found locally or on the Hub ({_first_line(err)})"
        ) from err


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _resolve_device(device: str | torch.device | None) -> torch.device | str:
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "auto":
        return "auto"
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"device {device} requested but CUDA is not available; pass device='cpu'")
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    return device


def _resolve_dtype(dtype: str | torch.dtype | None, device: torch.device | str) -> torch.dtype:
    if dtype is None:
        on_gpu = device == "auto" or (isinstance(device, torch.device) and device.type == "cuda")
        return torch.bfloat16 if on_gpu else torch.float32
    if isinstance(dtype, str):
        resolved = getattr(torch, dtype, None)
        if not isinstance(resolved, torch.dtype):
            raise ModelLoadError(f"unknown dtype {dtype!r}; use e.g. 'bfloat16', 'float16' or 'float32'")
        return resolved
    return dtype


def _quantization_config(quantization: str | None, dtype: torch.dtype) -> Any:
    if quantization is None:
        return None
    if quantization not in QUANTIZATIONS:
        raise ModelLoadError(f"quantization must be one of {QUANTIZATIONS} or None, got {quantization!r}")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as err:
        raise ModelLoadError(
            f"quantization={quantization!r} needs bitsandbytes: pip install bitsandbytes"
        ) from err
    from transformers import BitsAndBytesConfig

    if quantization == "4bit":
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        )
    return BitsAndBytesConfig(load_in_8bit=True)


def _has_processor_files(directory: str) -> bool:
    path = Path(directory)
    names = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")
    return path.is_dir() and any((path / name).is_file() for name in names)


def _fit(image: Image.Image, max_image_pixels: int | None) -> Image.Image:
    """Downscale (aspect kept) so that width * height <= ``max_image_pixels``."""
    if max_image_pixels is None or image.width * image.height <= max_image_pixels:
        return image
    scale = (max_image_pixels / (image.width * image.height)) ** 0.5
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


class RedAesScorer(BaseScorer):
    """Aesthetic deltas and scores from a chat VLM, in ``reasoning`` or ``fast`` mode.

    Results are deterministic (greedy decoding, exact expected values) and a pair gives the same result
    alone and inside a batch. ``max_reasoning_tokens`` bounds the ``<think>`` part; ``max_image_pixels``
    downscales larger images before the processor sees them (``None``: the processor's own limits).
    """

    name = "red-aes"

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        model_name: str | None = None,
        prompt_version: str = PROMPT_VERSION,
        metadata: dict[str, Any] | None = None,
        batch_size: int = 8,
        max_reasoning_tokens: int = 256,
        max_image_pixels: int | None = None,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> None:
        super().__init__(batch_size=batch_size, max_pixels=max_pixels)
        get_template(prompt_version)
        if max_reasoning_tokens < 0:
            raise ValueError(f"max_reasoning_tokens must be >= 0, got {max_reasoning_tokens}")
        if max_image_pixels is not None and max_image_pixels < 1:
            raise ValueError(f"max_image_pixels must be positive, got {max_image_pixels}")
        self.model = model
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model_name = model_name or getattr(model, "name_or_path", None)
        self.prompt_version = prompt_version
        self.metadata = dict(metadata or {})
        self.max_reasoning_tokens = max_reasoning_tokens
        self.max_image_pixels = max_image_pixels
        eos = getattr(model.generation_config, "eos_token_id", None)
        eos = eos[0] if isinstance(eos, (list, tuple)) else eos
        self.eos_token_id = int(eos if eos is not None else self.tokenizer.eos_token_id)
        self.table = TokenTable(self.tokenizer, self.eos_token_id)
        # One model call at a time: Qwen2.5-VL keeps per-call state on the model (rope deltas), so
        # threads sharing this scorer (the demo's queue workers) must not interleave generation.
        self._model_lock = threading.Lock()

    # -- loading and saving --------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        model: str | os.PathLike,
        adapter: str | os.PathLike | None = None,
        quantization: str | None = None,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
        *,
        trust_remote_code: bool = False,
        batch_size: int = 8,
        max_reasoning_tokens: int = 256,
        prompt_version: str | None = None,
        max_image_pixels: int | None = None,
        attn_implementation: str = "sdpa",
        revision: str | None = None,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> RedAesScorer:
        """Load a checkpoint (directory or Hub id), optionally with a LoRA adapter, as a scorer.

        ``model`` may also be an adapter directory alone. ``quantization`` is ``"4bit"`` (nf4, double
        quantization) or ``"8bit"`` through bitsandbytes. ``device`` defaults to CUDA when available
        (``"auto"`` shards over GPUs); ``dtype`` to bfloat16 on GPU, float32 on CPU. The prompt version
        is ``prompt_version``, else the one in the adapter's/checkpoint's ``red_aes.json``, else the
        current one.
        """
        from transformers import AutoModelForImageTextToText, AutoProcessor

        base, adapter_id = _resolve_source(str(model), None if adapter is None else str(adapter), revision)
        if adapter_id is not None:
            _check_adapter(adapter_id, revision)
        described = adapter_id or base
        metadata = (
            read_metadata(described) if Path(described).is_dir() else _hub_metadata(described, revision)
        )
        version = resolve_prompt_version(prompt_version, metadata, described)
        resolved_device = _resolve_device(device)
        resolved_dtype = _resolve_dtype(dtype, resolved_device)
        quantization_config = _quantization_config(quantization, resolved_dtype)
        device_map = "auto" if resolved_device == "auto" else {"": resolved_device}
        processor_source = adapter_id if adapter_id and _has_processor_files(adapter_id) else base
        try:
            processor = AutoProcessor.from_pretrained(
                processor_source, trust_remote_code=trust_remote_code, revision=revision
            )
            vlm = AutoModelForImageTextToText.from_pretrained(
                base,
                dtype=resolved_dtype,
                device_map=device_map,
                quantization_config=quantization_config,
                use_safetensors=True,
                trust_remote_code=trust_remote_code,
                attn_implementation=attn_implementation,
                revision=revision,
            )
        except (OSError, ValueError) as err:
            raise ModelLoadError(
                f"cannot load model {base!r}: {_first_line(err)} "
                "(pass a local checkpoint or adapter directory, or a Hub id that is available)"
            ) from err
        if adapter_id is not None:
            from peft import PeftModel

            try:
                vlm = PeftModel.from_pretrained(vlm, adapter_id, is_trainable=False, revision=revision)
            except (OSError, ValueError, RuntimeError) as err:
                raise ModelLoadError(
                    f"cannot load adapter {adapter_id!r} on {base!r}: {_first_line(err)}"
                ) from err
        vlm.eval()
        return cls(
            vlm,
            processor,
            model_name=described,
            prompt_version=version,
            metadata={**metadata, "base_model": metadata.get("base_model", base)},
            batch_size=batch_size,
            max_reasoning_tokens=max_reasoning_tokens,
            max_image_pixels=max_image_pixels,
            max_pixels=max_pixels,
        )

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.get_input_embeddings().weight.dtype

    def _is_peft(self) -> bool:
        return hasattr(self.model, "merge_and_unload") and hasattr(self.model, "get_base_model")

    def save_pretrained(self, directory: str | os.PathLike, merge: bool = True) -> Path:
        """Write the scorer so that :meth:`from_pretrained` (and ``transformers.pipeline``) load it back.

        With an adapter loaded: ``merge=True`` merges it into the base weights (this scorer then keeps
        using the merged model) and writes a full checkpoint; ``merge=False`` writes the adapter alone.
        Full checkpoints also get ``red_aes_pipeline.py`` and a ``custom_pipelines`` entry in
        ``config.json`` for ``pipeline(model=dir, trust_remote_code=True)`` (needs ``red-aes`` installed).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        adapter_only = self._is_peft() and not merge
        if self._is_peft() and merge:
            if getattr(self.model.get_base_model(), "is_quantized", False):
                raise ValueError(
                    "cannot merge an adapter into quantized weights without loss; load the scorer without "
                    "quantization to save a merged checkpoint, or save with merge=False"
                )
            self.model = self.model.merge_and_unload()
        self.model.save_pretrained(directory, safe_serialization=True)
        self.processor.save_pretrained(directory)
        fields = {k: v for k, v in self.metadata.items() if k in METADATA_KEYS and k != "red_aes_version"}
        write_metadata(directory, **{**fields, "prompt_version": self.prompt_version})
        if not adapter_only:
            self._install_pipeline(directory)
        return directory

    @staticmethod
    def _install_pipeline(directory: Path) -> None:
        """Copy the pipeline source next to the weights and declare it in ``config.json``."""
        source = importlib.util.find_spec("red_aes.pipeline").origin
        shutil.copyfile(source, directory / f"{PIPELINE_MODULE}.py")
        config_path = directory / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["custom_pipelines"] = {
            PIPELINE_TASK: {
                "impl": f"{PIPELINE_MODULE}.RedAesPipeline",
                "pt": ["AutoModelForImageTextToText"],
                "tf": [],
                "type": "multimodal",
            }
        }
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    # -- inference -----------------------------------------------------------------------------
    def _inputs(
        self, kind: str, images: list[list[Image.Image]], instructions: list[str | None], prefix: str
    ) -> Any:
        """Processor inputs, left padded, on the model's device; the assistant turn starts with ``prefix``."""
        texts = [
            self.processor.apply_chat_template(
                build_messages(kind, instruction, self.prompt_version),
                add_generation_prompt=True,
                tokenize=False,
            )
            + prefix
            for instruction in instructions
        ]
        pixels = [[_fit(image, self.max_image_pixels) for image in item] for item in images]
        batch = self.processor(text=texts, images=pixels, padding=True, return_tensors="pt")
        return batch.to(device=self.device, dtype=self.dtype)

    def _budget(self, max_reasoning_tokens: int | None) -> int:
        """The reasoning budget of one call: the argument, else the scorer's default."""
        budget = self.max_reasoning_tokens if max_reasoning_tokens is None else max_reasoning_tokens
        if budget < 0:
            raise ValueError(f"max_reasoning_tokens must be >= 0, got {budget}")
        return budget

    def _generate(
        self,
        inputs: Any,
        kind: Kind,
        budget: int,
        streamer: Any = None,
        cancelled: threading.Event | None = None,
    ) -> list[str]:
        """Constrained greedy reasoning within ``budget`` thinking tokens; returns the assistant texts,
        ``<think>`` prefill included. Setting ``cancelled`` stops the generation at the next token (used
        when a stream is abandoned)."""
        from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

        class _Cancelled(StoppingCriteria):
            def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> bool:
                stop = cancelled is not None and cancelled.is_set()
                return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)

        prompt_length = inputs["input_ids"].shape[1]
        constraint = AnswerConstraint(self.table, kind, prompt_length, budget)
        output = self.model.generate(
            **inputs,
            logits_processor=LogitsProcessorList([constraint]),
            do_sample=False,
            num_beams=1,
            repetition_penalty=1.0,
            max_new_tokens=AnswerConstraint.max_new_tokens(budget, kind, self.table),
            eos_token_id=self.eos_token_id,
            pad_token_id=self.tokenizer.pad_token_id,
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([_Cancelled()]),
        )
        texts = self.tokenizer.batch_decode(output[:, prompt_length:], skip_special_tokens=True)
        return [THINK_OPEN + text for text in texts]

    def _result(self, kind: Kind, mode: Mode, text: str | None = None, value: float | None = None) -> Any:
        """An AestheticDelta/AestheticScore from a generated text (parsed) or an expected value (fast)."""
        cls, field = (AestheticDelta, "delta") if kind == "delta" else (AestheticScore, "score")
        common = {"model": self.model_name, "prompt_version": self.prompt_version, "mode": mode}
        if text is not None:
            parsed = parse_answer(text, kind)
            return cls(
                **{field: parsed.value},
                valid=parsed.valid,
                reasoning=parsed.reasoning,
                raw_text=text,
                error=parsed.error,
                **common,
            )
        if value is None or not math.isfinite(value):
            return cls(
                **{field: None}, valid=False, error=f"expected value is not finite ({value})", **common
            )
        return cls(**{field: value}, valid=True, **common)

    @torch.inference_mode()
    def _run(
        self,
        kind: str,
        images: list[list[Image.Image]],
        instructions: list[str | None],
        mode: Mode,
        max_reasoning_tokens: int | None,
    ) -> list[Any]:
        answer, budget = PAIR_KIND[kind], self._budget(max_reasoning_tokens)
        with self._model_lock:
            return self._run_locked(kind, answer, images, instructions, mode, budget)

    def _run_locked(
        self,
        kind: str,
        answer: Kind,
        images: list[list[Image.Image]],
        instructions: list[str | None],
        mode: Mode,
        budget: int,
    ) -> list[Any]:
        if mode == "fast":
            shared, _, _ = self.table.answer_paths(answer)
            prefix = b"".join(self.table.bytes[i] or b"" for i in shared).decode("utf-8")
            values = expected_answer(
                self.model, self._inputs(kind, images, instructions, prefix), self.table, answer
            )
            return [self._result(answer, mode, value=v) for v in values.tolist()]
        texts = self._generate(self._inputs(kind, images, instructions, THINK_OPEN), answer, budget)
        return [self._result(answer, mode, text=text) for text in texts]

    def _compare_batch(
        self,
        originals: list[Image.Image],
        edited: list[Image.Image],
        instructions: list[str | None],
        mode: Mode,
        *,
        max_reasoning_tokens: int | None = None,
    ) -> list[AestheticDelta]:
        """``max_reasoning_tokens`` (an option of ``compare``) overrides the budget for this call."""
        pairs = [[o, e] for o, e in zip(originals, edited, strict=True)]
        return self._run("pair", pairs, instructions, mode, max_reasoning_tokens)

    def _score_batch(
        self, images: list[Image.Image], mode: Mode, *, max_reasoning_tokens: int | None = None
    ) -> list[AestheticScore]:
        """``max_reasoning_tokens`` (an option of ``score``) overrides the budget for this call."""
        return self._run(
            "single", [[image] for image in images], [None] * len(images), mode, max_reasoning_tokens
        )

    def stream_compare(
        self,
        original: ImageInput,
        edited: ImageInput,
        instruction: str | None = None,
        *,
        max_reasoning_tokens: int | None = None,
    ) -> Iterator[tuple[str, AestheticDelta | None]]:
        """Reasoning mode for one pair, streamed: yields ``(reasoning so far, None)`` as tokens arrive,
        then ``(final reasoning, delta)`` — the same delta :meth:`compare` returns."""
        from transformers import TextIteratorStreamer

        pair = [
            [load_image(original, max_pixels=self.max_pixels), load_image(edited, max_pixels=self.max_pixels)]
        ]
        budget = self._budget(max_reasoning_tokens)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        outcome: dict[str, Any] = {}
        cancelled = threading.Event()

        def run() -> None:
            try:
                with torch.inference_mode(), self._model_lock:
                    inputs = self._inputs("pair", pair, [instruction], THINK_OPEN)
                    outcome["texts"] = self._generate(inputs, "delta", budget, streamer, cancelled)
            except BaseException as err:  # surfaced in the caller's thread below
                outcome["error"] = err
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        text, shown = "", None
        try:
            for chunk in streamer:
                text += chunk
                reasoning = text.split(THINK_CLOSE, 1)[0].strip()
                if reasoning != shown and THINK_CLOSE not in text:
                    shown = reasoning
                    yield reasoning, None
        finally:  # a consumer that stops early (a closed browser tab) stops the generation too
            cancelled.set()
            thread.join()
        if "error" in outcome:
            raise outcome["error"]
        delta = self._result("delta", "reasoning", text=outcome["texts"][0])
        yield delta.reasoning or "", delta
