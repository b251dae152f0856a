"""``red-aes edit``: edit a photo from a text prompt.

Examples::

    red-aes edit photo.jpg --prompt "make it a bit brighter and warmer" --out edited.jpg
    red-aes edit photo.jpg --prompt "+0.7 EV, rotate 2 degrees" --out edited.png --json
    red-aes edit photo.jpg --prompt "make the sky dramatic" --editor ./tiny-editor --seed 3 --out out.png

``--json`` prints exactly one JSON document: the backend, instruction, output path and the exact
parameters (for the classical editor, every operation with its amount).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from red_aes.commands.options import FULL_RESOLUTION_HELP, add_model_options, long_side, model_kwargs
from red_aes.errors import InputError
from red_aes.scoring.options import model_options
from red_aes.types import DEFAULT_STRENGTH

#: The model flags of ``edit`` (diffusion editors take them; the classical editor refuses them).
EDITOR_OPTIONS = model_options("quantization", "device")


def register(subparsers: argparse._SubParsersAction) -> None:
    edit = subparsers.add_parser(
        "edit",
        help="edit a photo from a text prompt (classical or diffusion editor)",
        description="Edit IMAGE as --prompt says and write the result to --out: at the input's size, or "
        "its working copy of at most 2048 px on the long side unless --full-resolution.",
    )
    edit.add_argument("image", metavar="IMAGE", help="image file to edit")
    edit.add_argument("--prompt", required=True, help='edit instruction, e.g. "make it a bit brighter"')
    edit.add_argument("--out", required=True, help="output image file (format from the extension)")
    edit.add_argument(
        "--editor",
        default="classical",
        help="'classical' (default, exact and offline) or a diffusers editing pipeline id or directory",
    )
    edit.add_argument("--seed", type=int, help="random seed (grain pattern, diffusion noise; default 0)")
    edit.add_argument(
        "--strength",
        type=float,
        help=f"scale of the edit in (0, 1] (default {DEFAULT_STRENGTH:g}, as in the app); yes/no edits "
        "(square crop, black and white) ignore it",
    )
    edit.add_argument("--steps", type=int, help="diffusion editors: number of inference steps")
    add_model_options(edit, EDITOR_OPTIONS)
    edit.add_argument("--cpu-offload", action="store_true", help="diffusion editors: model CPU offload")
    edit.add_argument("--full-resolution", action="store_true", help=FULL_RESOLUTION_HELP)
    edit.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    edit.set_defaults(func=run)


def _check_output(out: str, image: str) -> Path:
    """The output path, after checking its folder exists, its extension is a known image format and it
    is not the input file."""
    from PIL import Image

    path = Path(out)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{out}: output folder {str(path.parent)!r} does not exist")
    if path.suffix.lower() not in Image.registered_extensions():
        raise InputError(f"{out}: unknown image extension {path.suffix!r} (use .png, .jpg, .webp, ...)")
    if Path(image).exists() and path.exists() and path.resolve() == Path(image).resolve():
        raise InputError(f"{out}: refusing to overwrite the input image")
    return path


def _editor_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options given for the editor (diffusion flags are refused for an editor without them), and
    the working resolution for an editor that takes one."""
    from red_aes.editing import EDITORS
    from red_aes.registry import given

    chosen = model_kwargs(args, EDITOR_OPTIONS) | given(
        {"num_inference_steps": args.steps, "cpu_offload": args.cpu_offload or None}
    )
    refused = [name for name in chosen if not EDITORS.accepts(args.editor, name)]
    if refused:
        flags = ", ".join("--" + k.replace("num_inference_", "").replace("_", "-") for k in refused)
        raise InputError(f"{flags} only apply to diffusion editors, not {args.editor!r}")
    if EDITORS.accepts(args.editor, "long_side"):
        chosen["long_side"] = long_side(args)
    if args.full_resolution and EDITORS.accepts(args.editor, "max_work"):
        chosen["max_work"] = None  # every pixel was asked for, on the user's own machine: no work bound
    return chosen


def run(args: argparse.Namespace) -> int:
    from red_aes.editing import load_editor
    from red_aes.images import load_image

    out = _check_output(args.out, args.image)
    image = load_image(args.image, long_side=long_side(args))
    editor = load_editor(args.editor, **_editor_options(args))
    result = editor.edit(image, args.prompt, seed=args.seed, strength=args.strength)
    # JPEG at quality 95: PIL's default 75 would add compression artefacts to the edit being assessed.
    result.image.save(out, **({"quality": 95} if out.suffix.lower() in {".jpg", ".jpeg"} else {}))
    if args.json:
        record = {
            "image": args.image,
            "out": str(out),
            "backend": result.backend,
            "instruction": result.instruction,
            "params": result.params,
        }
        print(json.dumps(record))
    else:
        print(f"wrote {out} ({result.image.width}x{result.image.height}, {result.backend} editor)")
        for op in result.params.get("operations", []):
            extra = ", ".join(f"{k}={v}" for k, v in op.items() if k not in {"op", "amount", "text"})
            print(f"  {op['op']} {op['amount']:+g}" + (f" ({extra})" if extra else ""))
    return 0
