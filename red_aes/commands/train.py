"""``red-aes train``: run a VLM training recipe, push a stage's output folder to the Hub.

Examples::

    red-aes train run --config training_recipes/qwen2.5-vl-7b/stage1_sft.yaml
    red-aes train run --config training_recipes/tiny/stage1_sft.yaml -- --max_steps 5 --output_dir out/s1
    red-aes train push outputs/stage3 me/red-aes-qwen2.5-vl-7b --private

Every push is the sub-command ``push`` of the group that made what it pushes: ``data push``,
``lite push``, ``train push``.

``train run`` reads the recipe's ``stage`` and runs :mod:`red_aes.train.sft` (``sft``) or
:mod:`red_aes.train.grpo` (``pair``, ``group``) in this process; arguments after ``--`` override recipe
fields. For several GPUs use ``accelerate launch -m red_aes.train.sft|grpo --config ...`` (see
``training_recipes/README.md``).
"""

from __future__ import annotations

import argparse

from red_aes.commands.options import add_push_options, push_options
from red_aes.errors import require


def _train(args: argparse.Namespace) -> int:
    require("trl", "train", "red-aes train")
    from red_aes.train.config import recipe_stage

    stage = recipe_stage(args.config)
    if stage == "sft":
        from red_aes.train.sft import main
    else:
        from red_aes.train.grpo import main
    overrides = args.overrides[1:] if args.overrides[:1] == ["--"] else args.overrides
    print(main(["--config", args.config, *overrides]))
    return 0


def _push_model(args: argparse.Namespace) -> int:
    from red_aes.train.outputs import push_model

    print(push_model(args.folder, args.repo_id, **push_options(args)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "train",
        help="train the VLM (stage 1 SFT, stage 2 pair GRPO, stage 3 group GRPO) and push its outputs",
        description="Run a RED-Aes training recipe, or push a stage's output folder to the Hub.",
    )
    commands = group.add_subparsers(dest="train_command", required=True, metavar="TRAIN_COMMAND")

    p = commands.add_parser(
        "run",
        help="run a training recipe; its 'stage' key picks SFT or GRPO",
        description="Run a RED-Aes training recipe; its 'stage' key picks SFT or GRPO. Arguments after "
        "'--' override recipe fields (e.g. -- --max_steps 10 --output_dir out).",
    )
    p.add_argument(
        "--config", required=True, help="recipe YAML (keys: TRL config, ModelConfig, RED-Aes fields)"
    )
    p.add_argument("overrides", nargs=argparse.REMAINDER, help="-- --field value ... (recipe overrides)")
    p.set_defaults(func=_train)

    p = commands.add_parser(
        "push",
        help="push a training output folder (adapter, processor, metadata, card) to the Hub",
        description="Create REPO_ID if needed and upload the adapter, processor, red_aes.json and README.md "
        "card of a training stage's output folder in one commit.",
    )
    p.add_argument("folder", help="output_dir of a training stage")
    p.add_argument("repo_id", help="model repository, e.g. me/red-aes-qwen2.5-vl-7b")
    add_push_options(p)
    p.set_defaults(func=_push_model)
