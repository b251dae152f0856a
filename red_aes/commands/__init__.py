"""Sub-command groups of the ``red-aes`` CLI; the entry point is :mod:`red_aes.commands.red_aes_cli`."""
