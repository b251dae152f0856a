#!/usr/bin/env bash
# The installed wheel works outside the checkout (tests/test_wheel.py runs this; so does `make test`).
#
# 1. Builds the wheel from a copy of the checkout's files (what a fresh clone has: tracked and unignored
#    files), with `pip wheel --no-deps --no-build-isolation`.
# 2. Installs it, alone, into a NEW virtual environment, then gives that environment the locked
#    dependencies already installed in PYTHON's environment (a .pth naming its site-packages; the .pth
#    files there, such as the checkout's editable install, are not run), so red_aes comes from the wheel
#    only: the script checks that red_aes.__file__ lies inside the new environment.
# 3. From an empty folder outside the checkout, offline, runs what a user runs first: compare, score,
#    edit, data build (the packaged laptop config), data card, lite train (tiny), eval --benchmark
#    edit-ladder (the packaged photos by default), demo --help, and pipeline("red-aes") in Python. Each must
#    exit 0 without a traceback.
#
# Usage: scripts/wheel_check.sh [PYTHON]    (default: .venv/bin/python of the checkout)
# The work folder is removed at the end; KEEP=1 keeps it (its path is printed).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${1:-$repo/.venv/bin/python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/red-aes-wheel.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then echo "work folder: $work"; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/src" "$work/dist" "$work/run"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "wheel check FAILED: $*" >&2; exit 1; }

step "copy the checkout's files and build the wheel"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # tracked and unignored files that exist (a file deleted in the working tree is left out)
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' path; do [[ -f "$path" ]] && printf '%s\0' "$path"; done \
    | tar --null -T - -cf -) | tar -xf - -C "$work/src"
else
  tar -C "$repo" --exclude=./.venv --exclude=./.git --exclude=./build -cf - . | tar -xf - -C "$work/src"
fi
"$python" -m pip wheel -q --no-deps --no-build-isolation -w "$work/dist" "$work/src"
wheel=("$work"/dist/red_aes-*.whl)
[[ -f "${wheel[0]}" ]] || fail "no wheel was built"
echo "${wheel[0]##*/}"

step "install it into a new environment"
"$python" -m venv --without-pip "$work/venv"
venv_python="$work/venv/bin/python"
# the wheel first, alone: with the locked set visible, pip would see the checkout's editable red-aes
"$python" -m pip --python "$venv_python" install -q --no-deps --no-index "${wheel[0]}"
locked="$("$python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
target="$("$venv_python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
echo "$locked" > "$target/red_aes_locked_dependencies.pth"

cd "$work/run"
unset PYTHONPATH
export PATH="$work/venv/bin:$PATH" PYTHONNOUSERSITE=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
  TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False TQDM_DISABLE=1
[[ "$(command -v red-aes)" == "$work/venv/bin/red-aes" ]] || fail "red-aes is not the new environment's"

# run NAME CMD...: CMD must exit 0 and print no traceback (its output is shown on failure)
run() {
  local name="$1" log="$work/run/$1.log"
  shift
  step "$name: $*"
  if ! "$@" >"$log" 2>&1; then cat "$log"; fail "$name exited with an error"; fi
  if grep -q "Traceback (most recent call last)" "$log"; then cat "$log"; fail "$name printed a traceback"; fi
  tail -n 3 "$log"
}

run where "$venv_python" -c '
import sys, red_aes
from red_aes import resources
assert red_aes.__file__.startswith(sys.prefix + "/"), ("red_aes is not the wheel", red_aes.__file__)
assert str(resources.ROOT).startswith(sys.prefix + "/"), ("shipped files not packaged", resources.ROOT)
print(red_aes.__file__)
print(resources.example_photos())
'
photos="$("$venv_python" -c 'from red_aes.resources import example_photos; print(example_photos())')"
laptop="$("$venv_python" -c 'from red_aes.resources import example_config; print(example_config("data_laptop.yaml"))')"
cp "$photos/chelsea.png" a.png
cp "$photos/coffee.png" b.png

run compare red-aes compare a.png b.png
run score red-aes score a.png b.png
run edit red-aes edit a.png --prompt "make it a bit brighter and warmer" --out edited.png
run data-build red-aes data build --config "$laptop" --out red --pairs-per-source 2 --max-side 160 --no-progress
run data-card red-aes data card red
run lite-train red-aes lite train --dataset red --output-dir lite --long-side 96 --max-epochs 5 --patience 5 \
  --no-progress
run eval-ladder red-aes eval --model measured --benchmark edit-ladder --attributes exposure --strengths 1 \
  --bootstrap 0 --out eval
run demo-help red-aes demo --help
run pipeline "$venv_python" -c '
import sys
from red_aes.pipeline import pipeline
result = pipeline("red-aes")({"original": "a.png", "edited": "b.png"})
assert result["valid"] and result["model"] == "red-lite", result
extras = [m for m in ("gradio", "trl", "diffusers", "bitsandbytes") if m in sys.modules]
assert not extras, extras
print(result["delta"])
'
grep -qF "\"source\": \"$photos\"" eval/results.json || fail "the edit ladder did not default to the packaged photos"
[[ -f red/README.md && -f lite/README.md && -f edited.png ]] || fail "an output is missing"

step "the installed wheel works outside the checkout"
