"""``red-aes eval``: score a benchmark with one or more models and write a comparison report.

Example::

    red-aes eval --model measured --model Qwen/Qwen2.5-VL-7B-Instruct --adapter red-aes/red-aes-lora \\
        --benchmark koniq-10k --root data/koniq --labels data/koniq/test.csv --decoding fast --out runs/koniq

``--adapter`` belongs to the ``--model`` given just before it. Outputs (in ``--out``): predictions CSV
per model, results.json, results.md, scatter PNG per model, and the prediction cache (cache.sqlite) that
makes a repeated or interrupted run skip what was already scored. The cache key holds the scorer's
identity (its prompt version, reasoning budget, pixel budget, dtype, quantization) and the load options
given here, so changing any of them asks the model again.

``--scoring direct|anchored`` chooses how scores are obtained and ``--decoding reasoning|fast`` how the
scorer answers. ``--exclude-forced`` leaves
answers forced by an exhausted reasoning budget out of the metrics (they are counted either way).

Under ``accelerate launch --num_processes N -m red_aes eval ...`` each process scores its share into
the cache (VLM scorers on the process's own device) and the main process writes the outputs.
``--shard K/N`` does the same split by hand for schedulers without accelerate. The run itself is
:func:`red_aes.evaluation.session.run_session`; this module only turns flags into a session.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from red_aes.commands.options import add_model_options, model_kwargs
from red_aes.errors import require
from red_aes.scoring.options import model_options

#: The load flags of ``eval``, applied to every ``--model`` (``--model``/``--adapter`` pair up here) and part
#: of each prediction's cache key; ``--device`` is added beside them and applied by the session.
LOAD_OPTIONS = model_options("quantization", "dtype", "max_reasoning_tokens", "max_image_pixels")


class _ModelAction(argparse.Action):
    """``--model M``: start a new model entry."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        models = list(getattr(namespace, self.dest) or [])
        models.append({"model": values, "adapter": None})
        setattr(namespace, self.dest, models)


class _AdapterAction(argparse.Action):
    """``--adapter A``: the adapter of the most recent ``--model``."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        models = getattr(namespace, "models", None)
        if not models:
            parser.error("--adapter must follow the --model it belongs to")
        if models[-1]["adapter"] is not None:
            parser.error(f"model {models[-1]['model']!r} already has an adapter")
        models[-1]["adapter"] = values


def _shard(text: str) -> tuple[int, int]:
    index, sep, count = text.partition("/")
    if not (sep and index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise argparse.ArgumentTypeError(f"expected K/N with 0 <= K < N, got {text!r}")
    return int(index), int(count)


def register(subparsers: argparse._SubParsersAction) -> None:
    from red_aes.evaluation.benchmarks import BENCHMARKS
    from red_aes.evaluation.runner import ANCHOR_ORDERS, SCORING_MODES
    from red_aes.scoring import DECODINGS

    p = subparsers.add_parser(
        "eval",
        help="evaluate models on an IAA benchmark, RED pairs or the edit ladder",
        description="Score a benchmark with one or more models; write predictions, metrics with 95% CIs, "
        "a Markdown table and scatter plots to --out. Model flags apply to every --model that takes them; "
        "under accelerate launch each process loads on its own device.",
    )
    model, adapter = model_options("model", "adapter")
    p.add_argument(
        model.flag,
        dest="models",
        action=_ModelAction,
        required=True,
        metavar="MODEL",
        help=f"{model.help}; repeat to compare models",
    )
    p.add_argument(
        adapter.flag,
        action=_AdapterAction,
        metavar="ADAPTER",
        help=f"{adapter.help}, of the --model given just before",
    )
    p.add_argument("--benchmark", required=True, help=f"one of: {', '.join(BENCHMARKS)}")
    p.add_argument(
        "--root",
        type=Path,
        help="image folder (CSV benchmarks), save_to_disk folder (red), photos (edit-ladder)",
    )
    p.add_argument("--labels", type=Path, help="labels CSV (default: ROOT/labels.csv)")
    p.add_argument(
        "--hub-dataset", help="Hub dataset id (or local dataset folder) with image and score columns"
    )
    p.add_argument("--split", default="test", help="dataset split (default: test)")
    p.add_argument("--image-column", default="image", help="image column of --hub-dataset")
    p.add_argument("--score-column", default="score", help="label column (CSV or dataset)")
    p.add_argument("--file-column", default="file", help="file column of the labels CSV")
    p.add_argument(
        "--scale", type=float, nargs=2, metavar=("LOW", "HIGH"), help="native label scale override"
    )
    p.add_argument(
        "--attributes", nargs="+", help="edit-ladder attributes (default: all the editor supports)"
    )
    p.add_argument(
        "--strengths", type=float, nargs="+", help="edit-ladder strengths (default: 0.25 0.5 0.75 1)"
    )
    p.add_argument(
        "--scoring",
        choices=SCORING_MODES,
        default="direct",
        help="direct scores (default) or scores solved from comparisons with anchors",
    )
    p.add_argument("--anchors", type=Path, help="anchored mode: labels CSV of a training split (file,score)")
    p.add_argument("--anchor-root", type=Path, help="image folder of --anchors (default: its folder)")
    p.add_argument(
        "--num-anchors", type=int, default=5, help="anchors chosen across the score range (default 5)"
    )
    p.add_argument(
        "--anchor-order",
        choices=ANCHOR_ORDERS,
        default="both",
        help="anchored mode: compare each (anchor, image) pair in both orders and average the two deltas, "
        "cancelling the judge's position bias (default), or anchor first only (half the questions)",
    )
    p.add_argument(
        "--decoding",
        choices=DECODINGS,
        default="reasoning",
        help="how the scorer answers (default reasoning)",
    )
    p.add_argument(
        "--exclude-forced",
        action="store_true",
        help="leave answers forced by an exhausted reasoning budget out of the metrics (counted)",
    )
    p.add_argument("--limit", type=int, help="score only the first N items")
    p.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="score only shard K of N into the cache (one process or GPU each), write no report; "
        "then run once without --shard to write the reports from the cache (for schedulers without "
        "accelerate; under accelerate launch leave it out)",
    )
    p.add_argument("--batch-size", type=int, help="items per scorer batch")
    add_model_options(p, (*LOAD_OPTIONS, *model_options("device")))
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for 95%% CIs (0: none)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument(
        "--model-card", type=Path, help="model card (README.md) whose model-index gets the results"
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    require("accelerate", "eval", "red-aes eval")
    from red_aes.evaluation.benchmarks import LoadRequest
    from red_aes.evaluation.reports import results_markdown
    from red_aes.evaluation.session import AnchorSource, EvalSession, ModelEntry, run_session

    request = LoadRequest(
        root=args.root,
        labels=args.labels,
        hub_dataset=args.hub_dataset,
        split=args.split,
        scale=tuple(args.scale) if args.scale else None,
        file_column=args.file_column,
        score_column=args.score_column,
        image_column=args.image_column,
        attributes=tuple(args.attributes) if args.attributes else None,
        strengths=tuple(args.strengths) if args.strengths else None,
    )
    anchors = None if args.anchors is None else AnchorSource(args.anchors, args.anchor_root, args.num_anchors)
    load_options = model_kwargs(args, LOAD_OPTIONS)
    session = EvalSession(
        models=[ModelEntry(entry["model"], entry["adapter"]) for entry in args.models],
        benchmark=args.benchmark,
        request=request,
        out=args.out,
        scoring=args.scoring,
        decoding=args.decoding,
        anchors=anchors,
        anchor_order=args.anchor_order,
        exclude_forced=args.exclude_forced,
        limit=args.limit,
        shard=args.shard,
        batch_size=args.batch_size,
        bootstrap=args.bootstrap,
        seed=args.seed,
        load_options=load_options,
        device=args.device,
        model_card=args.model_card,
        progress=not args.no_progress,
    )
    outcome = run_session(session)
    for result in outcome.results:
        print(
            f"{result.label}: {result.computed} answers computed, {result.cached} from the cache, "
            f"{result.n_invalid} invalid, {result.report.counts['forced']} forced"
        )
    if args.shard is not None:
        print(
            f"shard {args.shard[0]}/{args.shard[1]} is in {args.out / 'cache.sqlite'}; "
            "run again without --shard to write the reports"
        )
    elif outcome.written:
        print(results_markdown(outcome.results))
        print("wrote " + ", ".join(str(p) for p in outcome.written))
    return 0
