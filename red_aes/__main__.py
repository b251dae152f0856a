"""``python -m red_aes``: the ``red-aes`` command line (e.g. under ``accelerate launch -m red_aes``)."""

import sys

from red_aes.commands.red_aes_cli import main

if __name__ == "__main__":
    sys.exit(main())
