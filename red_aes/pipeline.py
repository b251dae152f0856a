"""``pipeline("red-aes", model=...)``: RED-Aes as a transformers pipeline.

The pipeline is a thin adapter around :class:`red_aes.scoring.vlm.RedAesScorer` (prompts, decoding and
parsing live there, once), split as transformers' own pipelines are (``image_classification.py``):
``_sanitize_parameters`` sorts the options, ``preprocess`` checks and loads one input, ``_forward`` asks
the scorer for a batch, ``postprocess`` turns one result into a dict. The base class's ``__call__`` does
the rest, batching included. Inputs::

    pipe({"original": a, "edited": b, "instruction": "brighten"})  -> {"delta": +1.2, "reasoning": ..., ...}
    pipe(image)                                                      -> {"score": 6.4, ...}
    pipe([item, item, ...], decoding="fast", batch_size=4)           -> [dict, dict, ...] (batched)

Images are anything :func:`red_aes.images.load_image` accepts. Options, at construction or per call:
``decoding`` (``"reasoning"`` or ``"fast"``), ``max_reasoning_tokens``, and the base class's
``batch_size`` (items per model batch; default 1). Construction only:
``prompt_version`` (default: the checkpoint's ``red_aes.json``, else the current version),
``max_image_pixels`` (the processor's resize budget per image; default: the checkpoint's ``red_aes.json``,
else :data:`red_aes.scoring.budget.DEFAULT_MAX_IMAGE_PIXELS` = 401,408 pixels = 512 visual tokens,
as the scorer).
Results are the scorer's ``to_dict()``: fast-mode results carry ``answer_mass``, reasoning results
``forced``.

Importing this module registers the ``"red-aes"`` task, so ``import red_aes.pipeline`` (or any use of
``red_aes.RedAesPipeline``) before ``transformers.pipeline("red-aes", ...)``; ``import red_aes`` alone
does not import transformers and installs no import hook. This file is also copied next to checkpoints
written by ``RedAesScorer.save_pretrained`` so that ``pipeline(model=dir, trust_remote_code=True)`` finds
it without the import (``red-aes`` must be installed).
"""

from __future__ import annotations

from typing import Any

from transformers import Pipeline

from red_aes.checkpoints import checkpoint_metadata, resolve_prompt_version
from red_aes.errors import InputError
from red_aes.images import load_image
from red_aes.scoring.vlm import PIPELINE_TASK, RedAesScorer
from red_aes.types import Decoding

_PAIR_KEYS = ("original", "edited")
#: The keys of every preprocessed input, pair or single image alike, so that the base class can collate
#: a batch that mixes both (it refuses items whose keys differ).
_ITEM_KEYS = ("kind", "original", "edited", "instruction", "image")


class RedAesPipeline(Pipeline):
    """Aesthetic deltas of image pairs and scores of single images, from a RED-Aes checkpoint or adapter."""

    _load_processor = True
    _load_tokenizer = False
    _load_image_processor = False
    _load_video_processor = False
    _load_feature_extractor = False

    def __init__(
        self,
        *args: Any,
        prompt_version: str | None = None,
        max_image_pixels: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        source = getattr(self.model, "name_or_path", None)
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
            forward["max_reasoning_tokens"] = max_reasoning_tokens
        return {}, forward, {}

    def preprocess(self, inputs: Any) -> dict[str, Any]:
        """One input, checked and with its images loaded: a pair dict or a single image."""
        item: dict[str, Any] = dict.fromkeys(_ITEM_KEYS)
        budget = self.scorer.max_pixels
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
            item.update({key: load_image(inputs[key], max_pixels=budget) for key in _PAIR_KEYS})
            return item
        item.update(kind="single", image=load_image(inputs, max_pixels=budget))
        return item

    def _forward(self, model_inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Score a batch: all its pairs in one scorer call, all its single images in another, in order.

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
            deltas = self.scorer.compare(
                [columns["original"][i] for i in pairs],
                [columns["edited"][i] for i in pairs],
                [columns["instruction"][i] for i in pairs],
                batch_size=len(pairs),
                **options,
            )
            for i, delta in zip(pairs, deltas, strict=True):
                results[i] = delta
        if singles:
            scores = self.scorer.score(
                [columns["image"][i] for i in singles], batch_size=len(singles), **options
            )
            for i, score in zip(singles, scores, strict=True):
                results[i] = score
        return {"result": results if batched else results[0]}

    def postprocess(self, model_outputs: dict[str, Any]) -> dict[str, Any]:
        return model_outputs["result"].to_dict()


def register_pipeline() -> None:
    """Register :class:`RedAesPipeline` under the ``"red-aes"`` task of ``transformers.pipeline``."""
    from transformers import AutoModelForImageTextToText
    from transformers.pipelines import PIPELINE_REGISTRY

    PIPELINE_REGISTRY.register_pipeline(
        PIPELINE_TASK,
        pipeline_class=RedAesPipeline,
        pt_model=AutoModelForImageTextToText,
        type="multimodal",
    )


if __name__ == "red_aes.pipeline":  # not when loaded as a checkpoint's copy through trust_remote_code
    register_pipeline()
