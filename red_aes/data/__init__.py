"""The RED dataset: build edit pairs with judged deltas and rationales, load and check, push to the Hub.

``build_dataset(BuildConfig.from_yaml(...))`` or ``red-aes data build --config ...`` builds one;
``load_red_dataset(path_or_id)`` loads and validates one against :data:`FEATURES`.
"""

from typing import TYPE_CHECKING

from red_aes._lazy import lazy_getattr

if TYPE_CHECKING:
    from red_aes.data.builder import build_dataset
    from red_aes.data.config import BuildConfig
    from red_aes.data.loading import load_red_dataset
    from red_aes.data.publish import push_dataset
    from red_aes.data.schema import DIRECTIONS, FEATURES, SPLITS, SchemaError

#: Public name -> the module that defines it, imported on first access (data/__init__ stays light).
__getattr__ = lazy_getattr(
    __name__,
    {
        "build_dataset": "red_aes.data.builder",
        "BuildConfig": "red_aes.data.config",
        "load_red_dataset": "red_aes.data.loading",
        "push_dataset": "red_aes.data.publish",
        "DIRECTIONS": "red_aes.data.schema",
        "FEATURES": "red_aes.data.schema",
        "SPLITS": "red_aes.data.schema",
        "SchemaError": "red_aes.data.schema",
    },
)

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
