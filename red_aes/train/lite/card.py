"""The model card (README.md) of a RED-Lite folder, rendered from ``model_card/red-lite.md``."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

from red_aes.lite.model import WEIGHTS_NAME, RedLiteModel
from red_aes.resources import model_card_template

#: Optional Markdown written by an evaluation run and included in the card as-is.
EVALUATION_FILE = "EVALUATION.md"


def check_template() -> Path:
    """The card template, ``model_card/red-lite.md``; a FileNotFoundError naming it when it is missing
    (training checks it first, so that it never fails after the expensive part)."""
    return model_card_template("red-lite.md")


def write_card(folder: str | Path, model: RedLiteModel, repo_id: str = "red-aes/red-lite") -> Path:
    """Render the card from the model's metadata (data, validation) into ``folder/README.md``."""
    folder = Path(folder)
    template = check_template()
    meta = model.metadata
    training = meta.training
    validation = meta.validation
    evaluation = folder / EVALUATION_FILE
    data = ModelCardData(
        license="apache-2.0",
        library_name="red-aes",
        pipeline_tag="image-classification",
        tags=["red-aes", "red-lite", "image-aesthetics", "image-quality"],
        datasets=[meta.dataset]
        if meta.dataset and "/" in meta.dataset and not Path(meta.dataset).exists()
        else None,
    )
    card = ModelCard.from_template(
        data,
        template_path=str(template),
        backbone=model.feature_config.backbone,
        long_side=model.feature_config.long_side,
        hidden=model.head.config.hidden,
        head_kb=round((folder / WEIGHTS_NAME).stat().st_size / 1024)
        if (folder / WEIGHTS_NAME).is_file()
        else "?",
        repo_id=repo_id,
        dataset=Path(meta.dataset).name if meta.dataset and Path(meta.dataset).exists() else meta.dataset,
        n_kinds=training.get("n_kinds", "several"),
        n_photos=training.get("n_photos", "a few dozen"),
        location_target=training.get("config", {}).get("location_target"),
        grain_on_blur=training.get("ladder", {}).get("grain_on_blur", 0),
        validation=validation,
        per_attribute=validation.get("validation", {}).get("per_attribute", {}),
        untrained=training.get("untrained_val_order_accuracy", float("nan")),
        best_epoch=training.get("best_epoch"),
        tuning=training.get("tuning"),
        tuned=sorted(model.blocks),
        evaluation=evaluation.read_text() if evaluation.is_file() else "",
    )
    card.save(folder / "README.md")
    return folder / "README.md"
