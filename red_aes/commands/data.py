"""``red-aes data``: build a RED edit-pair dataset, re-render its card, push it to the Hub.

Examples::

    red-aes data build --config examples/configs/data_laptop.yaml
    red-aes data build --config examples/configs/data_laptop.yaml --out runs/red --pairs-per-source 2 --seed 1
    red-aes data card runs/red
    red-aes data push runs/red my-user/red-aes-pairs --private

Every key of the build config is also a flag that overrides the YAML (``pairs_per_source`` ->
``--pairs-per-source``). Structured values (judges, planner, rationale, split fractions) are given as
YAML, e.g. ``--judges measured "{name: endpoint, base_url: http://localhost:8000/v1, model: MODEL}"``.
Run under ``accelerate launch`` to split the shards across processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import typing
from typing import Any

import yaml

from red_aes.commands.options import add_push_options, push_options
from red_aes.errors import require


def _yaml_value(text: str) -> Any:
    """A flag value written in YAML (``measured``, ``{name: vlm, model: x}``, ``{train: 0.9, test: 0.1}``)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise argparse.ArgumentTypeError(f"not valid YAML: {text!r} ({err})") from None


def _optional_int(text: str) -> int | None:
    """An integer, or ``none`` for no limit."""
    if text.strip().lower() in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none', got {text!r}") from None


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`BuildConfig` field, typed from its annotation; a flag not given leaves no
    attribute (``argparse.SUPPRESS``), so ``--max-sources none`` can still set a field to None."""
    from red_aes.data.config import BuildConfig

    hints = typing.get_type_hints(BuildConfig)
    for field in dataclasses.fields(BuildConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = hints[field.name]
        options: dict[str, Any] = {
            "dest": field.name,
            "default": argparse.SUPPRESS,
            "help": field.metadata.get("help"),
        }
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif kind in (str, int, float):
            options["type"] = kind
        elif args and type(None) in args and int in args:
            options["type"] = _optional_int
        elif args and type(None) in args and str in args:
            options["type"] = str
        elif origin is list and args[0] in (str, float):
            options.update(nargs="+", type=args[0])
        elif origin is list:
            options.update(nargs="+", type=_yaml_value, metavar="YAML")
        else:
            options.update(type=_yaml_value, metavar="YAML")
        parser.add_argument(flag, **options)


def config_from_args(args: argparse.Namespace) -> Any:
    """The YAML config (if any) with every given flag applied on top."""
    from red_aes.data.config import BuildConfig

    config = BuildConfig.from_yaml(args.config) if args.config else BuildConfig()
    given = vars(args)
    return config.replace(
        **{f.name: given[f.name] for f in dataclasses.fields(BuildConfig) if f.name in given}
    )


def _build(args: argparse.Namespace) -> int:
    require("datasets", "data", "red-aes data")
    from red_aes.data.builder import build_dataset
    from red_aes.data.card import BUILD_STATS

    config = config_from_args(args)
    out = build_dataset(config, overwrite=args.overwrite)
    stats_path = out / BUILD_STATS
    if stats_path.is_file():  # only the main process writes it
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        splits = ", ".join(f"{name} {count}" for name, count in stats["splits"].items())
        rejected = ", ".join(f"{reason} {count}" for reason, count in stats["rejected"].items()) or "none"
        print(f"wrote {stats['kept']} pairs ({splits}) from {stats['sources']} photos to {out}")
        print(f"rejected: {rejected}; card: {out / 'README.md'}")
    return 0


def _card(args: argparse.Namespace) -> int:
    require("datasets", "data", "red-aes data")
    from red_aes.data.card import write_card

    print(write_card(args.out_dir))
    return 0


def _push(args: argparse.Namespace) -> int:
    require("datasets", "data", "red-aes data")
    from red_aes.data.publish import push_dataset

    print(push_dataset(args.out_dir, args.repo_id, **push_options(args)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data",
        help="build, describe and push RED edit-pair datasets",
        description="Build a RED edit-pair dataset (photos -> edits -> judged deltas + rationales), "
        "re-render its card, or push it to the Hub.",
    )
    commands = parser.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")

    build = commands.add_parser(
        "build",
        help="build (or resume) a dataset from a YAML config; flags override its keys",
        description="Build or resume a RED dataset. Every config key is also a flag; see "
        "examples/configs/data_laptop.yaml. Interrupted builds resume from their shards.",
    )
    build.add_argument("--config", help="build config YAML (examples/configs/data_*.yaml)")
    build.add_argument(
        "--overwrite", action="store_true", help="discard an earlier build (and its shards) in --out first"
    )
    _add_config_flags(build)
    build.set_defaults(func=_build)

    card = commands.add_parser("card", help="re-render OUT_DIR/README.md from the build's files")
    card.add_argument("out_dir", metavar="OUT_DIR")
    card.set_defaults(func=_card)

    push = commands.add_parser("push", help="upload the dataset and its card to a Hub dataset repo")
    push.add_argument("out_dir", metavar="OUT_DIR")
    push.add_argument("repo_id", metavar="REPO_ID")
    add_push_options(push)
    push.set_defaults(func=_push)
