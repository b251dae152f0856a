"""Sub-command groups of the ``red-aes`` CLI (see ``red_aes.cli``)."""
