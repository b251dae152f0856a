"""Training RED-Lite's head (``red-aes lite train``): pairs by construction, never a human rating.

It lives above :mod:`red_aes.data` (a RED dataset, the photo lists) and the model it trains lives below
:mod:`red_aes.scoring` (:mod:`red_aes.lite`), so the scorer never reaches training code.

One concept per module: :mod:`.synthetic` (photos -> crops -> capture ladders -> cached features and the
pairs they imply), :mod:`.pairs` (training pairs from a RED dataset), :mod:`.losses`, :mod:`.trainer`
(``LiteTrainConfig`` and the training loop) and :mod:`.card` (the weights folder's model card).
"""
