"""RedAesScorer: a chat VLM (optionally with a LoRA adapter, optionally 4/8-bit) as an aesthetic scorer.

``RedAesScorer.from_pretrained(model, adapter=None, quantization=None)`` loads any checkpoint that
``AutoModelForImageTextToText`` + ``AutoProcessor`` can load (a directory or a Hub id), or a PEFT adapter
directory alone (its base is read from ``adapter_config.json``). ``compare`` and ``score`` come from
:class:`~red_aes.scoring.base.BaseScorer`; its two decodings are described in :mod:`.decoding`.
``save_pretrained`` writes a loadable checkpoint (merged or adapter-only) with its ``red_aes.json``
metadata, and makes full checkpoints usable with ``transformers.pipeline(model=dir, trust_remote_code=True)``.

*Visual-token budget.* Every image is resized by the processor to at most ``max_image_pixels`` pixels
(Qwen-VL's smart resize: sides multiples of 28, one visual token per 28 x 28 pixels). The default,
:data:`.budget.DEFAULT_MAX_IMAGE_PIXELS`, is 401,408 pixels = 512 visual tokens per image, the budget training
saves with its processor; a 12 MP photo then costs what a 1 MP photo costs (about 500 tokens) instead of
Qwen's own limit of 12.8 MP (16,384 tokens). :func:`.budget.resolve_image_budget` gives the precedence.
Metadata and source resolution are :mod:`red_aes.checkpoints`' (torch-free).

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

from red_aes.checkpoints import (
    METADATA_KEYS,
    ModelLoadError,
    check_adapter,
    checkpoint_metadata,
    first_line,
    has_processor_files,
    resolve_prompt_version,
    resolve_source,
    write_metadata,
)
from red_aes.errors import InputError, require
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS, ImageInput, load_image
from red_aes.parsing import Kind
from red_aes.prompts import PROMPT_VERSION, THINK_CLOSE, THINK_OPEN, build_messages, get_template
from red_aes.scoring.base import BaseScorer, parsed_result, result_type
from red_aes.scoring.budget import image_pixel_limits, resolve_image_budget, set_image_pixel_limits
from red_aes.scoring.decoding import MIN_ANSWER_MASS, PAIR_KIND, AnswerConstraint, TokenTable, expected_answer
from red_aes.types import AestheticDelta, AestheticScore, Decoding, resolve_quantization

PIPELINE_MODULE = "red_aes_pipeline"
PIPELINE_TASK = "red-aes"


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


def bitsandbytes_config(quantization: str | None, dtype: torch.dtype) -> Any:
    """The transformers ``BitsAndBytesConfig`` of a quantization :func:`~red_aes.types.resolve_quantization`
    resolved (``"4bit"``: nf4 with double quantization, computing in ``dtype``; ``"8bit"``), None for
    None. The scorer and the training stages load with it, so an adapter is trained on the base it is
    scored with."""
    if quantization is None:
        return None
    require("bitsandbytes", "vlm", f"quantization={quantization!r}")
    from transformers import BitsAndBytesConfig

    if quantization == "4bit":
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        )
    return BitsAndBytesConfig(load_in_8bit=True)


def _qwen_max_pixels(max_image_pixels: int | None, max_pixels: int | None) -> int | None:
    """The resize budget given as ``max_image_pixels`` or under Qwen's processor name ``max_pixels``;
    both, with different values, is an InputError."""
    if max_pixels is None:
        return max_image_pixels
    if max_image_pixels is not None and max_image_pixels != max_pixels:
        raise InputError(
            f"max_pixels={max_pixels} and max_image_pixels={max_image_pixels} both set the resize budget "
            "(max_pixels is its name in Qwen's processor): give one"
        )
    return max_pixels


def quantization_of(model: Any) -> str | None:
    """How ``model``'s weights are quantized, read from the model itself (a PEFT model's base included):
    ``"4bit"``, ``"8bit"``, another method's name, or None for full precision."""
    config = getattr(getattr(model, "config", None), "quantization_config", None)
    if config is None:
        return None
    read = config.get if isinstance(config, dict) else lambda key: getattr(config, key, None)
    if read("load_in_4bit"):
        return "4bit"
    if read("load_in_8bit"):
        return "8bit"
    return str(read("quant_method") or "quantized")


class RedAesScorer(BaseScorer):
    """Aesthetic deltas and scores from a chat VLM, in ``reasoning`` or ``fast`` mode.

    Results are deterministic (greedy decoding, exact expected values); on CPU in float32 a pair gives
    the same result alone and inside a batch (bf16 on a GPU does not guarantee it). ``max_reasoning_tokens``
    bounds the ``<think>`` part; a reasoning answer written after the budget ran out has ``forced=True``.
    A fast-mode result carries ``answer_mass`` and is invalid below :data:`MIN_ANSWER_MASS`.
    ``max_image_pixels`` is the processor's resize budget per image (``None``: see
    :func:`resolve_image_budget`); the scorer sets it on the ``processor`` it is given. The value used is
    ``self.max_image_pixels`` (also ``self.metadata["max_image_pixels"]``) and where it came from
    ``self.metadata["max_image_pixels_source"]``; :meth:`cache_identity` lists it for result caches.
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
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    ) -> None:
        super().__init__(batch_size=batch_size, max_input_pixels=max_input_pixels)
        get_template(prompt_version)
        if max_reasoning_tokens < 0:
            raise InputError(f"max_reasoning_tokens must be >= 0, got {max_reasoning_tokens}")
        metadata = dict(metadata or {})
        budget, source = resolve_image_budget(max_image_pixels, metadata, processor)
        if budget is not None:
            set_image_pixel_limits(processor, budget)
        self.model = model
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model_name = model_name or getattr(model, "name_or_path", None)
        self.prompt_version = prompt_version
        self.metadata = {**metadata, "max_image_pixels": budget, "max_image_pixels_source": source}
        self.max_reasoning_tokens = max_reasoning_tokens
        self.max_image_pixels = budget
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
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
        max_pixels: int | None = None,
    ) -> RedAesScorer:
        """Load a checkpoint (directory or Hub id), optionally with a LoRA adapter, as a scorer.

        ``model`` may also be an adapter directory alone. ``quantization`` is ``"4bit"`` (nf4, double
        quantization) or ``"8bit"`` through bitsandbytes, ``"none"``/None, or ``"auto"`` (4bit on CUDA
        with bitsandbytes installed, else none: :func:`~red_aes.types.resolve_quantization`). ``device``
        defaults to CUDA when available (``"auto"`` shards over GPUs); ``dtype`` to bfloat16 on GPU,
        float32 on CPU. The prompt version is ``prompt_version``, else the one in the adapter's/checkpoint's
        ``red_aes.json``, else the current one. The processor is the adapter's own when it carries processor
        files (a folder or a Hub repository), else the base model's; ``max_image_pixels`` overrides its
        resize budget (see :func:`resolve_image_budget` for the default). ``max_pixels`` is that budget
        under the name Qwen's processor gives it, so a Qwen user's ``max_pixels=401408`` resizes each
        image to at most 401,408 pixels; it is never an input limit. ``max_input_pixels`` is the input
        limit: a larger image is refused before any model work.
        """
        from transformers import AutoModelForImageTextToText, AutoProcessor

        require("accelerate", "vlm", "the VLM scorer")
        base, adapter_id = resolve_source(str(model), None if adapter is None else str(adapter), revision)
        if adapter_id is not None:
            require("peft", "vlm", "a LoRA adapter")
            check_adapter(adapter_id, revision)
        described = adapter_id or base
        metadata = checkpoint_metadata(described, revision)
        version = resolve_prompt_version(prompt_version, metadata, described)
        resolved_device = _resolve_device(device)
        resolved_dtype = _resolve_dtype(dtype, resolved_device)
        on_cuda = resolved_device == "auto" or getattr(resolved_device, "type", None) == "cuda"
        quantization_config = bitsandbytes_config(resolve_quantization(quantization, on_cuda), resolved_dtype)
        max_image_pixels = _qwen_max_pixels(max_image_pixels, max_pixels)
        device_map = "auto" if resolved_device == "auto" else {"": resolved_device}
        processor_source = adapter_id if adapter_id and has_processor_files(adapter_id, revision) else base
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
                f"cannot load model {base!r}: {first_line(err)} "
                "(pass a local checkpoint or adapter directory, or a Hub id that is available)"
            ) from err
        if adapter_id is not None:
            from peft import PeftModel

            try:
                vlm = PeftModel.from_pretrained(vlm, adapter_id, is_trainable=False, revision=revision)
            except (OSError, ValueError, RuntimeError) as err:
                raise ModelLoadError(
                    f"cannot load adapter {adapter_id!r} on {base!r}: {first_line(err)}"
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
            max_input_pixels=max_input_pixels,
        )

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.get_input_embeddings().weight.dtype

    @property
    def quantization(self) -> str | None:
        """How the loaded weights are quantized (:func:`quantization_of`): part of
        :meth:`cache_identity`, since a 4-bit and a bf16 model compute in the same dtype but answer
        differently."""
        return quantization_of(self.model)

    def cache_identity(self) -> dict[str, Any]:
        """Settings besides the model and adapter names that determine this scorer's answers: a cache
        keyed by model and adapter alone would mix answers computed under different budgets."""
        lowest, highest = image_pixel_limits(self.processor)
        return {
            "prompt_version": self.prompt_version,
            "quantization": self.quantization,
            "max_image_pixels": highest,
            "min_image_pixels": lowest,
            "dtype": str(self.dtype).removeprefix("torch."),
        }

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
                raise InputError(
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
    def fast_prefix(self, answer: Kind) -> str:
        """The text fast mode prefills the assistant turn with: ``<answer>`` (answer-only form)."""
        shared, _, _ = self.table.answer_paths(answer)
        return b"".join(self.table.bytes[i] or b"" for i in shared).decode("utf-8")

    def prompt_text(self, kind: str, instruction: str | None, prefix: str) -> str:
        """The chat-templated prompt of one item, the assistant turn started with ``prefix``."""
        messages = build_messages(kind, instruction, self.prompt_version)
        return (
            self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False) + prefix
        )

    def _inputs(
        self, kind: str, images: list[list[Image.Image]], instructions: list[str | None], prefix: str
    ) -> Any:
        """Processor inputs, left padded, on the model's device; the assistant turn starts with ``prefix``.

        The processor resizes each image within the scorer's pixel budget (as in training)."""
        texts = [self.prompt_text(kind, instruction, prefix) for instruction in instructions]
        batch = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        return batch.to(device=self.device, dtype=self.dtype)

    def _budget(self, max_reasoning_tokens: int | None) -> int:
        """The reasoning budget of one call: the argument, else the scorer's default."""
        budget = self.max_reasoning_tokens if max_reasoning_tokens is None else max_reasoning_tokens
        if budget < 0:
            raise InputError(f"max_reasoning_tokens must be >= 0, got {budget}")
        return budget

    def _generate(
        self,
        inputs: Any,
        kind: Kind,
        budget: int,
        streamer: Any = None,
        cancelled: threading.Event | None = None,
    ) -> tuple[list[str], list[bool]]:
        """Constrained greedy reasoning within ``budget`` thinking tokens; returns the assistant texts
        (``<think>`` prefill included) and per text whether the answer was forced. Setting ``cancelled``
        stops the generation at the next token (used when a stream is abandoned)."""
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
        return [THINK_OPEN + text for text in texts], constraint.forced

    def _common(self, decoding: Decoding) -> dict[str, Any]:
        return {"model": self.model_name, "prompt_version": self.prompt_version, "decoding": decoding}

    def _text_result(self, kind: Kind, text: str, forced: bool) -> Any:
        """An AestheticDelta/AestheticScore parsed from a reasoning-decoding text."""
        return parsed_result(kind, text, forced=forced, **self._common("reasoning"))

    def _fast_result(self, kind: Kind, value: float, mass: float) -> Any:
        """An AestheticDelta/AestheticScore from fast mode's expected value and answer mass; invalid
        (no number) when the mass is below :data:`MIN_ANSWER_MASS` or the value is not finite."""
        error = None
        if not mass >= MIN_ANSWER_MASS:
            error = (
                f"well-formed answers have total probability {mass:.2e} under the model, below "
                f"MIN_ANSWER_MASS = {MIN_ANSWER_MASS} (the model would not answer in the format)"
            )
        elif not math.isfinite(value):
            error = f"expected value is not finite ({value})"
        return result_type(kind)(
            None if error else value,
            error is None,
            error=error,
            answer_mass=mass,
            **self._common("fast"),
        )

    @torch.inference_mode()
    def _run(
        self,
        kind: str,
        images: list[list[Image.Image]],
        instructions: list[str | None],
        decoding: Decoding,
        max_reasoning_tokens: int | None,
    ) -> list[Any]:
        answer, budget = PAIR_KIND[kind], self._budget(max_reasoning_tokens)
        with self._model_lock:
            return self._run_locked(kind, answer, images, instructions, decoding, budget)

    def _run_locked(
        self,
        kind: str,
        answer: Kind,
        images: list[list[Image.Image]],
        instructions: list[str | None],
        decoding: Decoding,
        budget: int,
    ) -> list[Any]:
        if decoding == "fast":
            inputs = self._inputs(kind, images, instructions, self.fast_prefix(answer))
            values, masses = expected_answer(self.model, inputs, self.table, answer)
            return [
                self._fast_result(answer, v, m) for v, m in zip(values.tolist(), masses.tolist(), strict=True)
            ]
        texts, forced = self._generate(self._inputs(kind, images, instructions, THINK_OPEN), answer, budget)
        return [self._text_result(answer, t, f) for t, f in zip(texts, forced, strict=True)]

    def _compare_batch(
        self,
        originals: list[Image.Image],
        edited: list[Image.Image],
        instructions: list[str | None],
        decoding: Decoding,
        *,
        max_reasoning_tokens: int | None = None,
    ) -> list[AestheticDelta]:
        """``max_reasoning_tokens`` (an option of ``compare``) overrides the budget for this call."""
        pairs = [[o, e] for o, e in zip(originals, edited, strict=True)]
        return self._run("pair", pairs, instructions, decoding, max_reasoning_tokens)

    def _score_batch(
        self, images: list[Image.Image], decoding: Decoding, *, max_reasoning_tokens: int | None = None
    ) -> list[AestheticScore]:
        """``max_reasoning_tokens`` (an option of ``score``) overrides the budget for this call."""
        return self._run(
            "single", [[image] for image in images], [None] * len(images), decoding, max_reasoning_tokens
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
            [
                load_image(original, max_input_pixels=self.max_input_pixels),
                load_image(edited, max_input_pixels=self.max_input_pixels),
            ]
        ]
        budget = self._budget(max_reasoning_tokens)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        outcome: dict[str, Any] = {}
        cancelled = threading.Event()

        def run() -> None:
            try:
                with torch.inference_mode(), self._model_lock:
                    inputs = self._inputs("pair", pair, [instruction], THINK_OPEN)
                    outcome["result"] = self._generate(inputs, "delta", budget, streamer, cancelled)
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
        (final_text,), (forced,) = outcome["result"]
        delta = self._text_result("delta", final_text, forced)
        yield delta.reasoning or "", delta
