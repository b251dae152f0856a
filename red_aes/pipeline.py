"""``pipeline("red-aes", model=...)``: RED-Aes as a transformers pipeline, for every scorer backend.

The pipeline is a thin adapter around a scorer (prompts, decoding and parsing live there, once), split
as transformers' own pipelines are (``image_classification.py``): ``_sanitize_parameters`` sorts the
options, ``preprocess`` checks one input, loads its images and prepares them for the model
(:meth:`~red_aes.scoring.base.BaseScorer.prepare`: RED-Lite's resized input tensor and measured
statistics), ``_forward`` runs the model (the scorer's backbone and head, or the VLM) on a batch,
``postprocess`` turns one result into a dict. The base class's ``__call__`` does the rest,
batching included. Inputs::

    pipe({"original": a, "edited": b, "instruction": "brighten"})  -> {"delta": +1.2, "reasoning": ..., ...}
    pipe(image)                                                      -> {"score": 6.4, ...}
    pipe([item, item, ...], decoding="fast", batch_size=4)           -> [dict, dict, ...] (batched)

Models:

- none: the default, RED-Lite with the weights shipped in the package (CPU, offline);
- a registered scorer by name (``"red-lite"``, ``"measured"``, ``"stat-sharpness"``, ...; see
  :data:`red_aes.scoring.SCORERS`), or a RED-Lite folder: built through the registry, no Hub call, on
  the CPU (the ``endpoint`` scorer asks its server); ``model_kwargs`` are the scorer's load options
  (``{"base_url": ..., "model": ...}`` for ``endpoint``, ``{"adapter": "user/red-lite"}`` for a pushed
  RED-Lite head);
- a loaded scorer (any :class:`~red_aes.scoring.base.BaseScorer`);
- anything else: a VLM checkpoint or adapter (directory or Hub id), loaded by transformers and scored by
  :class:`red_aes.scoring.vlm.RedAesScorer`.

``transformers.pipeline`` itself asks the Hub about every model string before any pipeline code runs, so
names and folders go through this module's :func:`pipeline`, a drop-in for ``transformers.pipeline``
(other tasks and models pass through unchanged), as ``optimum.pipelines.pipeline`` is.
``transformers.pipeline("red-aes")`` with no model works too (the task's registered default is the
shipped RED-Lite folder), and so does ``transformers.pipeline("red-aes", model=a_scorer)``.

Images are anything :func:`red_aes.images.load_image` accepts. Options, at construction or per call:
``decoding`` (``"reasoning"`` or ``"fast"``), ``max_reasoning_tokens`` (VLMs), and the base class's
``batch_size`` (items per model batch; default 1). Construction only, VLMs only: ``prompt_version``
(default: the checkpoint's ``red_aes.json``, else the current version), ``max_image_pixels`` (the
processor's resize budget per image; default: the checkpoint's ``red_aes.json``, else
:data:`red_aes.scoring.budget.DEFAULT_MAX_IMAGE_PIXELS` = 401,408 pixels = 512 visual tokens, as the
scorer). Results are the scorer's ``to_dict()``: fast-mode results carry ``answer_mass``, reasoning
results ``forced``.

Importing this module registers the ``"red-aes"`` task, so ``import red_aes.pipeline`` (or any use of
``red_aes.RedAesPipeline``) before ``transformers.pipeline("red-aes", ...)``; ``import red_aes`` alone
does not import transformers and installs no import hook. This file is also copied next to checkpoints
written by ``RedAesScorer.save_pretrained`` so that ``pipeline(model=dir, trust_remote_code=True)`` finds
it without the import (``red-aes`` must be installed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from transformers import Pipeline

from red_aes.checkpoints import checkpoint_metadata, looks_local, read_metadata, resolve_prompt_version
from red_aes.errors import InputError
from red_aes.images import load_image
from red_aes.lite.model import DEFAULT_WEIGHTS
from red_aes.scoring import SCORERS, BaseScorer, load_scorer
from red_aes.scoring.options import DEFAULT_MODEL
from red_aes.scoring.vlm import PIPELINE_TASK, RedAesScorer
from red_aes.types import Decoding

_PAIR_KEYS = ("original", "edited")
#: The keys of every preprocessed input, pair or single image alike, so that the base class can collate
#: a batch that mixes both (it refuses items whose keys differ).
_ITEM_KEYS = ("kind", "original", "edited", "instruction", "image")
#: The backend a RED-Lite folder's ``red_aes.json`` names.
_LITE = "red-lite"
CPU = torch.device("cpu")


def registered_backend(model: Any) -> tuple[str, str | None] | None:
    """(registered scorer, adapter) that ``model`` names without asking the Hub, or None (a VLM, or a
    string only the Hub can tell): no model -> the default scorer (RED-Lite); a registered name ->
    itself; a RED-Lite folder (its ``red_aes.json`` names the ``red-lite`` backend) -> ``red-lite``
    with that folder."""
    if model is None:
        return DEFAULT_MODEL, None
    if not isinstance(model, (str, os.PathLike)):
        return None
    name = os.fspath(model)
    if name in SCORERS:
        return name, None
    folder = Path(name).expanduser()
    if folder.is_dir() and read_metadata(folder).get("backend") == _LITE:
        return _LITE, str(folder)
    return None


def scorer_backend(model: Any, revision: str | None = None) -> tuple[str, str | None] | None:
    """:func:`registered_backend`, and a Hub repo whose ``red_aes.json`` names the ``red-lite`` backend
    (one Hub call, which only a Hub id costs; a VLM's is read anyway)."""
    found = registered_backend(model)
    if found is not None or not isinstance(model, str) or looks_local(model) or Path(model).exists():
        return found
    return (_LITE, model) if checkpoint_metadata(model, revision).get("backend") == _LITE else None


class ScorerModel:
    """A scorer as the pipeline's model: what transformers' ``Pipeline`` asks of a model (a device, ``to``,
    ``can_generate``) around the scorer. Every scorer but the VLM runs on the CPU (``endpoint`` asks its
    server), so it stays there."""

    hf_device_map = None
    device = CPU

    def __init__(self, scorer: BaseScorer) -> None:
        self.scorer = scorer
        self.name_or_path = scorer.name

    def to(self, device: Any) -> ScorerModel:
        if torch.device(device) != CPU:
            raise InputError(f"the {self.scorer.name} scorer runs on the CPU, not on {device}")
        return self

    def can_generate(self) -> bool:
        return False


class ListCollation:
    """What transformers' batching (``pad_collate_fn``) asks of a feature extractor before it collates a
    batch: a padding value and side, here none. A scorer's preprocessed inputs are prepared images
    (RED-Lite's ``PreparedImage``, otherwise PIL images) and strings, which it collates as lists (each key
    holds the batch's values, in order); a bare tensor would be concatenated instead, so no scorer's
    ``prepare`` returns one."""

    padding_value = None
    padding_side = None


def _scorer_device(device: Any, name: str) -> torch.device:
    """The pipeline device of a scorer backend: the CPU; any other is refused, naming the scorer."""
    if device is None or (isinstance(device, int) and device < 0):
        return CPU
    if torch.device(device) != CPU:
        raise InputError(
            f"the {name} scorer runs on the CPU; pass no device (or device='cpu'), not {device!r}"
        )
    return CPU


class RedAesPipeline(Pipeline):
    """Aesthetic deltas of image pairs and scores of single images, from any RED-Aes scorer: RED-Lite (the
    default), a registered backend, or a VLM checkpoint or adapter."""

    # A VLM's processor is loaded by transformers from its id; a scorer needs none, so a failure to find
    # one is not an error here (None: load when possible); a VLM without one is refused in __init__.
    _load_processor = None
    _load_tokenizer = False
    _load_image_processor = False
    _load_video_processor = False
    _load_feature_extractor = False

    def __init__(
        self,
        model: Any = None,
        *args: Any,
        prompt_version: str | None = None,
        max_image_pixels: int | None = None,
        device: Any = None,
        **kwargs: Any,
    ) -> None:
        backend = None if isinstance(model, BaseScorer) else registered_backend(model)
        if isinstance(model, BaseScorer) or backend is not None:
            scorer = model if backend is None else load_scorer(*backend)
            vlm_options = {"prompt_version": prompt_version, "max_image_pixels": max_image_pixels}
            refused = sorted(key for key, value in vlm_options.items() if value is not None)
            if refused:
                raise InputError(
                    f"{', '.join(refused)}: options of a VLM checkpoint the pipeline loads, not of the "
                    f"{scorer.name} scorer given (set them when loading the scorer)"
                )
            self.scorer: BaseScorer = scorer  # before the base class reads the options (_sanitize_parameters)
            if isinstance(scorer, RedAesScorer):  # a loaded VLM scorer: its model, where it is
                device = scorer.model.device if device is None else device
                super().__init__(scorer.model, *args, processor=scorer.processor, device=device, **kwargs)
            else:
                kwargs.setdefault("feature_extractor", ListCollation())
                super().__init__(
                    ScorerModel(scorer), *args, device=_scorer_device(device, scorer.name), **kwargs
                )
            return
        super().__init__(model, *args, device=device, **kwargs)
        source = getattr(self.model, "name_or_path", None)
        if self.processor is None:
            raise InputError(
                f"{source}: transformers found no processor for this checkpoint (pass processor=)"
            )
        metadata = checkpoint_metadata(source) if source else {}
        self.scorer = RedAesScorer(
            self.model,
            self.processor,
            model_name=source,
            prompt_version=resolve_prompt_version(prompt_version, metadata, source or "the pipeline model"),
            metadata=metadata,
            max_image_pixels=max_image_pixels,
        )

    def _sanitize_parameters(
        self, decoding: Decoding | None = None, max_reasoning_tokens: int | None = None
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(preprocess, forward, postprocess) options; only ``_forward`` takes any."""
        forward: dict[str, Any] = {}
        if decoding is not None:
            forward["decoding"] = decoding
        if max_reasoning_tokens is not None:
            scorer = getattr(self, "scorer", None)  # None while a VLM pipeline is being built
            if scorer is not None and not isinstance(scorer, RedAesScorer):
                raise InputError(
                    f"max_reasoning_tokens: an option of VLM scorers, not of the {scorer.name} scorer"
                )
            forward["max_reasoning_tokens"] = max_reasoning_tokens
        return {}, forward, {}

    def preprocess(self, inputs: Any) -> dict[str, Any]:
        """One input, checked, with its images loaded (under the scorer's pixel budget) and prepared for
        the model: a pair dict or a single image."""
        item: dict[str, Any] = dict.fromkeys(_ITEM_KEYS)
        budget = self.scorer.max_input_pixels

        def load(image: Any) -> Any:
            return self.scorer.prepare(load_image(image, max_input_pixels=budget))

        if isinstance(inputs, dict):
            missing = [key for key in _PAIR_KEYS if key not in inputs]
            if missing:
                raise InputError(f"a pair input needs the keys {list(_PAIR_KEYS)}; missing {missing}")
            unknown = sorted(set(inputs) - {*_PAIR_KEYS, "instruction"})
            if unknown:
                raise InputError(
                    f"unknown keys {unknown} in a pair input (use original, edited, instruction)"
                )
            item.update(kind="pair", instruction=inputs.get("instruction"))
            item.update({key: load(inputs[key]) for key in _PAIR_KEYS})
            return item
        item.update(kind="single", image=load(inputs))
        return item

    def _forward(self, model_inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Run the model on a batch: all its pairs in one scorer call, all its single images in another,
        in order.

        ``model_inputs`` is one preprocessed item, or (batch_size > 1) the base class's collation of
        several: the same keys, each holding a list. The result keeps that shape under ``"result"``, so
        the base class hands ``postprocess`` one result per input."""
        batched = isinstance(model_inputs["kind"], list)
        columns = model_inputs if batched else {key: [value] for key, value in model_inputs.items()}
        kinds = columns["kind"]
        results: list[Any] = [None] * len(kinds)
        pairs = [i for i, kind in enumerate(kinds) if kind == "pair"]
        singles = [i for i, kind in enumerate(kinds) if kind == "single"]
        if pairs:
            deltas = self.scorer.compare_prepared(
                [columns["original"][i] for i in pairs],
                [columns["edited"][i] for i in pairs],
                [columns["instruction"][i] for i in pairs],
                batch_size=len(pairs),
                **options,
            )
            for i, delta in zip(pairs, deltas, strict=True):
                results[i] = delta
        if singles:
            scores = self.scorer.score_prepared(
                [columns["image"][i] for i in singles], batch_size=len(singles), **options
            )
            for i, score in zip(singles, scores, strict=True):
                results[i] = score
        return {"result": results if batched else results[0]}

    def postprocess(self, model_outputs: dict[str, Any]) -> dict[str, Any]:
        """One result as a dict (the scorer's ``to_dict()``)."""
        return model_outputs["result"].to_dict()


def pipeline(task: str | None = None, model: Any = None, *args: Any, **kwargs: Any) -> Pipeline:
    """``transformers.pipeline``, where the ``"red-aes"`` task also takes a registered scorer by name
    (``"red-lite"``, ``"measured"``, ...), a RED-Lite folder or Hub repo, or no model (RED-Lite): those
    are built through :data:`red_aes.scoring.SCORERS` (``model_kwargs`` are their load options, and a
    registered name or a folder costs no Hub call) and run on the CPU. Everything else is passed to
    ``transformers.pipeline`` unchanged (a VLM checkpoint or adapter, other tasks)."""
    from transformers import pipeline as transformers_pipeline

    if task != PIPELINE_TASK:
        return transformers_pipeline(task, model, *args, **kwargs)
    backend = scorer_backend(model, kwargs.get("revision"))
    if backend is None:
        return transformers_pipeline(task, model, *args, **kwargs)
    name, adapter = backend
    options = dict(kwargs.pop("model_kwargs", None) or {})
    if adapter is not None:
        options["adapter"] = adapter
    if kwargs.get("revision") is not None:
        options["revision"] = kwargs.pop("revision")
    return transformers_pipeline(task, load_scorer(name, **options), *args, **kwargs)


def register_pipeline() -> None:
    """Register :class:`RedAesPipeline` under the ``"red-aes"`` task of ``transformers.pipeline``, with the
    shipped RED-Lite folder as its default model (a path: transformers then takes it as a loaded model
    and asks the Hub nothing)."""
    from transformers import AutoModelForImageTextToText
    from transformers.pipelines import PIPELINE_REGISTRY

    PIPELINE_REGISTRY.register_pipeline(
        PIPELINE_TASK,
        pipeline_class=RedAesPipeline,
        pt_model=AutoModelForImageTextToText,
        default={"model": (DEFAULT_WEIGHTS, None)},
        type="multimodal",
    )


if __name__ == "red_aes.pipeline":  # not when loaded as a checkpoint's copy through trust_remote_code
    register_pipeline()
