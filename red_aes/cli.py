"""``python -m red_aes.cli``: the same as ``python -m red_aes``; the command line itself is
:mod:`red_aes.commands.red_aes_cli`."""

import sys

from red_aes.commands.red_aes_cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
