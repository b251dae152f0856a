"""Push a built RED dataset to the Hub: the card and build files, then the data as Parquet.

The card (``README.md``), ``build_config.yaml`` and ``build_stats.json`` go first through
:func:`red_aes.hub.push_folder`; then ``DatasetDict.push_to_hub`` uploads ``data/<split>-*.parquet``
and refreshes the card's ``dataset_info``/``configs`` metadata in place, keeping its text. ``endpoint``
points both at another Hub (a mirror, or a local stub in tests).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from red_aes.data.card import BUILD_CONFIG, BUILD_STATS, CARD
from red_aes.data.loading import load_red_dataset
from red_aes.hub import push_folder

#: The files of the output folder uploaded next to the data (the shards and the Arrow copy stay home).
PUSHED_FILES: tuple[str, ...] = (CARD, BUILD_CONFIG, BUILD_STATS)


@contextlib.contextmanager
def _datasets_endpoint(endpoint: str | None) -> Iterator[None]:
    """``datasets`` reads its Hub URL from ``datasets.config.HF_ENDPOINT``; set it for one push."""
    import datasets.config

    if endpoint is None:
        yield
        return
    previous = datasets.config.HF_ENDPOINT
    datasets.config.HF_ENDPOINT = endpoint.rstrip("/")
    try:
        yield
    finally:
        datasets.config.HF_ENDPOINT = previous


def push_dataset(
    out_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
) -> str:
    """Upload the build in ``out_dir`` to the dataset repo ``repo_id``; returns the data commit URL."""
    out = Path(out_dir)
    missing = [name for name in PUSHED_FILES if not (out / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{out}: missing {missing}; push the output folder of `red-aes data build`")
    dataset = load_red_dataset(out)
    push_folder(
        out,
        repo_id,
        repo_type="dataset",
        private=private,
        token=token,
        endpoint=endpoint,
        commit_message="Add RED-Aes dataset card and build files",
        allow_patterns=list(PUSHED_FILES),
    )
    with _datasets_endpoint(endpoint):
        info = dataset.push_to_hub(
            repo_id, private=private, token=token, commit_message="Upload RED-Aes pairs"
        )
    return str(info.commit_url)
