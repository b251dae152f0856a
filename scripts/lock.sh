#!/usr/bin/env bash
# Compile the dependency lock from pyproject.toml + requirements.in (run by `make lock` / `make lock-upgrade`).
#   scripts/lock.sh [--upgrade]
# Writes requirements-lock.txt (every package of `.[all,dev]`, pinned, with hashes: what `make install`
# installs) and requirements.txt (the Space's runtime set, pinned to the same versions).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
COMPILE=("$VENV/bin/pip-compile" -q --strip-extras --no-emit-index-url --no-emit-find-links)
# `all` names red-aes itself; its own line is dropped: `make install` installs the checkout editable.
drop_self() { sed -i -e '/^red-aes @ /,/^    # via red-aes/d' -e '/^# WARNING: pip install will require/,+1d' "$1"; }

"${COMPILE[@]}" "$@" --generate-hashes --allow-unsafe --extra all --extra dev \
  -o requirements-lock.txt pyproject.toml requirements.in
drop_self requirements-lock.txt
# The Space: runtime + the `space` extra, constrained to the lock, without hashes (the Space adds its own
# packages).
"${COMPILE[@]}" --extra space -c requirements-lock.txt \
  -o requirements.txt pyproject.toml requirements.in
drop_self requirements.txt
