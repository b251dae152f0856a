"""``red-aes env``: the versions a bug report needs, as ``diffusers-cli env`` prints them.

Examples::

    red-aes env
    red-aes env --json

Prints the package, Python and platform, then each library RED-Aes uses (``not installed`` for an extra
that is absent), and whether PyTorch sees a GPU. Nothing is imported beyond what is needed to read a
version: installed distributions are read from their metadata.
"""

from __future__ import annotations

import argparse
import json
import platform
from importlib import metadata

#: The distributions a RED-Aes bug report lists, in order: the core, then each extra's.
LIBRARIES = (
    "torch",
    "transformers",
    "huggingface-hub",
    "safetensors",
    "pillow",
    "numpy",
    "scipy",
    "efficientnet-lite-pytorch",
    "peft",
    "accelerate",
    "bitsandbytes",
    "diffusers",
    "trl",
    "datasets",
    "gradio",
    "spaces",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    env = subparsers.add_parser(
        "env",
        help="print versions for a bug report",
        description="Print the versions of RED-Aes, Python, the platform and the libraries it uses.",
    )
    env.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    env.set_defaults(func=run)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def report() -> dict[str, str]:
    """Name -> version (or state) of everything a bug report should show."""
    from red_aes._version import __version__

    info = {"red-aes": __version__, "python": platform.python_version(), "platform": platform.platform()}
    info |= {name: _version(name) for name in LIBRARIES}
    if info["torch"] != "not installed":
        import torch

        info["cuda available"] = str(torch.cuda.is_available())
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    return info


def run(args: argparse.Namespace) -> int:
    info = report()
    if args.json:
        print(json.dumps(info))
        return 0
    width = max(map(len, info))
    print("\n".join(f"- {name:<{width}} {value}" for name, value in info.items()))
    return 0
