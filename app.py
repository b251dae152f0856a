"""RED-Aes Gradio Space: edit a photo and see how much the edit changed its aesthetics, with the model's
reasoning; compare two images; score and rank several; cull a shoot.

The Space's entry point only: the app is :mod:`red_aes.demo.ui` (the logic is in :mod:`red_aes.demo`), and
``python app.py [flags]`` runs ``red-aes demo [flags]``, which serves the same app from an install.

Scale and sign: scores in [1, 10]; delta = score(edited) - score(original), positive = improvement.

Configuration: every flag has a ``RED_AES_*`` environment variable, and a flag overrides its variable
(``python app.py --help`` lists them with their defaults). With nothing configured, or when a configured
model cannot be loaded, the app runs on the offline default (classical editor + RED-Lite scorer) and
shows a notice saying so and why.

API (gradio_client, ``api_name=``): ``/edit_and_assess``, ``/auto_enhance``, ``/compare``, ``/score``,
``/cull`` (docs/demo.md).
"""

from __future__ import annotations

import sys

from red_aes.commands.red_aes_cli import main
from red_aes.demo import load_config, return_freed_memory
from red_aes.demo.ui import build_demo

if __name__ == "__main__":  # what a Space runs
    sys.exit(main(["demo", *sys.argv[1:]]))
else:  # imported (``gradio app.py`` reload mode, tests): the app configured from the RED_AES_* variables
    return_freed_memory()
    CONFIG = load_config(())
    demo = build_demo(CONFIG)
