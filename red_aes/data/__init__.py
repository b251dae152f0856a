"""The RED dataset: build edit pairs with judged deltas and rationales, load and check, push to the Hub.

``build_dataset(BuildConfig.from_yaml(...))`` or ``red-aes data build --config ...`` builds one;
``load_red_dataset(path_or_id)`` loads and validates one against :data:`FEATURES`.
"""

from red_aes.data.builder import build_dataset
from red_aes.data.config import BuildConfig
from red_aes.data.loading import load_red_dataset
from red_aes.data.publish import push_dataset
from red_aes.data.schema import DIRECTIONS, FEATURES, SPLITS, SchemaError

__all__ = [
    "DIRECTIONS",
    "FEATURES",
    "SPLITS",
    "BuildConfig",
    "SchemaError",
    "build_dataset",
    "load_red_dataset",
    "push_dataset",
]
