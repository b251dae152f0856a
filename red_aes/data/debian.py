"""Fetch licensed photographs from Debian packages into a photo folder (a build source).

A list (``package,version,path,license,credit,kind``; ``training_recipes/red-lite/sources.csv``) names
each photo by its Debian package and installed path. :func:`fetch_debian_photos` downloads each package
once with ``apt-get download`` (no root, nothing installed), extracts it with ``dpkg-deb -x``, copies the
listed files into ``out`` as ``<package>__<path>``, and writes ``out/sources.csv``: the list plus
each copy's file name and ``source_id`` (content hash, as the builder computes it), so every row of a
dataset built from the folder can be traced to its package, file and licence.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tqdm.auto import tqdm

from red_aes.data.sources import source_id
from red_aes.errors import InputError

SOURCES_FILE = "sources.csv"
COLUMNS = ("package", "version", "path", "license", "credit", "kind")
#: Licence kinds a build may use; anything else (NC, ND, unknown) is refused.
ALLOWED_KINDS = ("permissive", "share-alike")


def read_photo_list(path: str | Path) -> list[dict[str, str]]:
    """The rows of a photo list, checked: every column present and every licence kind allowed."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        missing = [c for c in COLUMNS if not row.get(c)]
        if missing:
            raise InputError(f"{path}:{number}: missing {', '.join(missing)}")
        if row["kind"] not in ALLOWED_KINDS:
            raise InputError(f"{path}:{number}: licence kind {row['kind']!r} is not one of {ALLOWED_KINDS}")
    return rows


def _run(command: list[str], cwd: Path) -> None:
    try:
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError(
            f"{command[0]} not found: fetching Debian photos needs a Debian/Ubuntu system"
        ) from None
    except subprocess.CalledProcessError as err:
        raise RuntimeError(f"{' '.join(command)} failed: {err.stderr.strip()[-500:]}") from None


def fetch_debian_photos(photo_list: str | Path, out: str | Path, *, progress: bool = True) -> Path:
    """Download the listed photos into ``out`` (skipping files already there); returns ``out``."""
    rows = read_photo_list(photo_list)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    packages = sorted({row["package"] for row in rows})
    with tempfile.TemporaryDirectory(prefix="red-aes-debs-") as tmp:
        work = Path(tmp)
        for package in tqdm(packages, desc="packages", disable=not progress):
            wanted = [r for r in rows if r["package"] == package]
            if all((out / _file_name(r)).is_file() for r in wanted):
                continue
            _run(["apt-get", "download", package], cwd=work)
            debs = sorted(work.glob(f"{package}_*.deb"))
            if not debs:
                raise RuntimeError(f"apt-get download {package} produced no .deb file")
            root = work / package
            _run(["dpkg-deb", "-x", str(debs[-1]), str(root)], cwd=work)
            for row in wanted:
                file = root / row["path"].lstrip("/")
                if not file.is_file():
                    raise FileNotFoundError(
                        f"{package}: {row['path']} is not in the package (version changed?)"
                    )
                shutil.copyfile(file, out / _file_name(row))
            shutil.rmtree(root)
    staging = out / f".{SOURCES_FILE}.tmp{os.getpid()}"
    with open(staging, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, "file", "source_id"])
        writer.writeheader()
        for row in rows:
            name = _file_name(row)
            writer.writerow({**row, "file": name, "source_id": source_id((out / name).read_bytes())})
    os.replace(staging, out / SOURCES_FILE)
    return out


def cached_photo_folder(photo_list: str | Path) -> Path:
    """The photos of ``photo_list``, fetched on first use into ``$RED_AES_CACHE/debian-photos/<list hash>``
    (default ``~/.cache/red-aes``): the ``debian`` source type of a data build."""
    digest = hashlib.sha256(Path(photo_list).read_bytes()).hexdigest()[:12]
    root = Path(os.environ.get("RED_AES_CACHE", Path.home() / ".cache" / "red-aes"))
    return fetch_debian_photos(photo_list, root / "debian-photos" / digest)


def _file_name(row: dict[str, str]) -> str:
    """``<package>__<installed path below /usr/share, '/' as '_'>`` (KDE names every file 2560x1600.jpg)."""
    path = Path(row["path"])
    parts = path.relative_to("/usr/share").parts if path.is_relative_to("/usr/share") else path.parts[1:]
    return f"{row['package']}__{'_'.join(parts)}"
