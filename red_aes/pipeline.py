"""``pipeline("red-aes", model=...)``: RED-Aes as a transformers pipeline.

The pipeline is a thin adapter around :class:`red_aes.scoring.vlm.RedAesScorer` (prompts, decoding and
parsing live there, once). Inputs::

    pipe({"original": a, "edited": b, "instruction": "brighten"})  -> {"delta": +1.2, "reasoning": ..., ...}
    pipe(image)                                                      -> {"score": 6.4, ...}
    pipe([item, item, ...], decoding="fast")                         -> [dict, dict, ...] (batched)

Images are anything :func:`red_aes.images.load_image` accepts. Options, at construction or per call:
``decoding`` (``"reasoning"`` or ``"fast"``), ``max_reasoning_tokens``,
``batch_size``. Construction only:
``prompt_version`` (default: the checkpoint's ``red_aes.json``, else the current version),
``max_image_pixels`` (the processor's resize budget per image; default: the checkpoint's ``red_aes.json``,
else :data:`red_aes.scoring.budget.DEFAULT_MAX_IMAGE_PIXELS` = 401,408 pixels = 512 visual tokens,
as the scorer).
Results are the scorer's ``to_dict()``: fast-mode results carry ``answer_mass``, reasoning results
``forced``.

Importing this module registers the ``"red-aes"`` task (``import red_aes`` arranges that lazily, as
soon as ``transformers.pipelines`` is imported). This file is also copied next to checkpoints written
by ``RedAesScorer.save_pretrained`` so that ``pipeline(model=dir, trust_remote_code=True)`` finds it
(``red-aes`` must be installed).
"""

from __future__ import annotations

from typing import Any

from transformers import Pipeline

from red_aes.checkpoints import checkpoint_metadata, resolve_prompt_version
from red_aes.errors import InputError
from red_aes.scoring.vlm import PIPELINE_TASK, RedAesScorer
from red_aes.types import Decoding

_PAIR_KEYS = ("original", "edited")


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
        self,
        decoding: Decoding | None = None,
        max_reasoning_tokens: int | None = None,
        batch_size: int | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        forward: dict[str, Any] = {}
        if decoding is not None:
            forward["decoding"] = decoding
        if max_reasoning_tokens is not None:
            forward["max_reasoning_tokens"] = max_reasoning_tokens
        if batch_size is not None:
            forward["batch_size"] = batch_size
        return {}, forward, {}

    def preprocess(self, inputs: Any) -> dict[str, Any]:
        """An input as ``{"kind": "pair", original, edited, instruction}`` or ``{"kind": "single", image}``"""
        if isinstance(inputs, dict):
            missing = [key for key in _PAIR_KEYS if key not in inputs]
            if missing:
                raise InputError(f"a pair input needs the keys {list(_PAIR_KEYS)}; missing {missing}")
            unknown = sorted(set(inputs) - {*_PAIR_KEYS, "instruction"})
            if unknown:
                raise InputError(
                    f"unknown keys {unknown} in a pair input (use original, edited, instruction)"
                )
            return {
                "kind": "pair",
                **{key: inputs[key] for key in _PAIR_KEYS},
                "instruction": inputs.get("instruction"),
            }
        return {"kind": "single", "image": inputs}

    def _forward(self, items: list[dict[str, Any]], **options: Any) -> list[Any]:
        """Score all pairs in one batched call and all single images in another, keeping input order."""
        results: list[Any] = [None] * len(items)
        pairs = [i for i, item in enumerate(items) if item["kind"] == "pair"]
        singles = [i for i, item in enumerate(items) if item["kind"] == "single"]
        if pairs:
            deltas = self.scorer.compare(
                [items[i]["original"] for i in pairs],
                [items[i]["edited"] for i in pairs],
                [items[i]["instruction"] for i in pairs],
                **options,
            )
            for i, delta in zip(pairs, deltas, strict=True):
                results[i] = delta
        if singles:
            scores = self.scorer.score([items[i]["image"] for i in singles], **options)
            for i, score in zip(singles, scores, strict=True):
                results[i] = score
        return results

    def postprocess(self, result: Any) -> dict[str, Any]:
        return result.to_dict()

    def __call__(self, inputs: Any, **kwargs: Any) -> dict[str, Any] | list[dict[str, Any]]:
        """Score one input (dict pair or image) or a list of them; lists are batched by the scorer."""
        _, call_options, _ = self._sanitize_parameters(**kwargs)
        forward = {**self._forward_params, **call_options}
        if self._batch_size is not None:
            forward.setdefault("batch_size", self._batch_size)
        single = not isinstance(inputs, list)
        items = [self.preprocess(x) for x in ([inputs] if single else inputs)]
        outputs = [self.postprocess(result) for result in self._forward(items, **forward)]
        return outputs[0] if single else outputs


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
