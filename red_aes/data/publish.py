"""Push a built RED dataset to the Hub: the card and build files, then the data as Parquet.

The card (``README.md``), ``build_config.yaml``, ``build_stats.json`` and, for photo-list sources, the
per-photo licences ``sources.csv`` go first through :func:`red_aes.hub.push_folder`, with every local
path the build config names written as its last component (as on the card: nothing of the builder's
file system reaches the Hub); then ``DatasetDict.push_to_hub`` uploads ``data/<split>-*.parquet``
and refreshes the card's ``dataset_info``/``configs`` metadata in place, keeping its text. ``endpoint``
points both at another Hub (a mirror, or a local stub in tests).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from red_aes.data.card import BUILD_CONFIG, BUILD_STATS, CARD, local_paths, without_local_paths
from red_aes.data.config import BuildConfig
from red_aes.data.debian import SOURCES_FILE
from red_aes.data.loading import load_red_dataset
from red_aes.hub import push_folder

#: The files of the output folder uploaded next to the data (the shards and the Arrow copy stay home).
PUSHED_FILES: tuple[str, ...] = (CARD, BUILD_CONFIG, BUILD_STATS)
#: Uploaded too when the build wrote them.
OPTIONAL_FILES: tuple[str, ...] = (SOURCES_FILE,)


def stage_build_files(out: Path, staging: Path) -> list[str]:
    """Copy the files to push into ``staging``, the build files with local paths shortened; returns
    their names."""
    paths = local_paths(BuildConfig.from_yaml(out / BUILD_CONFIG).to_dict())
    names = [*PUSHED_FILES, *(name for name in OPTIONAL_FILES if (out / name).is_file())]
    for name in names:
        if name in (BUILD_CONFIG, BUILD_STATS):
            text = (out / name).read_text(encoding="utf-8")
            (staging / name).write_text(without_local_paths(text, paths), encoding="utf-8")
        else:
            shutil.copyfile(out / name, staging / name)
    return names


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
    with tempfile.TemporaryDirectory(prefix="red-aes-push-") as tmp:
        names = stage_build_files(out, Path(tmp))
        push_folder(
            tmp,
            repo_id,
            repo_type="dataset",
            private=private,
            token=token,
            endpoint=endpoint,
            commit_message="Add RED-Aes dataset card and build files",
            allow_patterns=names,
        )
    with _datasets_endpoint(endpoint):
        info = dataset.push_to_hub(
            repo_id, private=private, token=token, commit_message="Upload RED-Aes pairs"
        )
    return str(info.commit_url)
