"""Training: RED-Aes VLM adapters with TRL + PEFT in three stages driven by YAML recipes, and RED-Lite.

- :mod:`red_aes.train.rewards`: the GRPO reward functions (``format_reward``,
  ``pair_consistency_reward``, ``group_rank_reward``), usable by dotted name.
- :mod:`red_aes.train.data`: RED dataset rows -> SFT conversations, pair prompts, group prompts.
- :mod:`red_aes.train.sft`, :mod:`red_aes.train.grpo`: entry points (``python -m``, ``accelerate launch``).
- :mod:`red_aes.train.config`, :mod:`red_aes.train.modeling`, :mod:`red_aes.train.outputs`: recipe
  arguments, policy loading, and what a stage saves and pushes.
- :mod:`red_aes.train.lite`: RED-Lite's head (``red-aes lite train``), from capture ladders or a RED
  dataset; no TRL.

Recipes and launch commands: ``training_recipes/README.md``.
"""
