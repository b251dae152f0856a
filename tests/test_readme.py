"""The README and the docs pages written for its readers run as written.

Every fenced code block of :data:`DOCUMENTS` is extracted and run:

- a ```python block as one program, ``python -c`` in a fresh subprocess;
- a ```bash block command by command (a line, or lines joined by a trailing backslash), each through
  ``bash -e -c``, in order, with the virtualenv's ``bin`` first on ``PATH``;
- a ```bibtex block is data, not a program (:data:`NOT_PROGRAMS`); a block in any other language, or in
  none, fails :func:`test_every_block_is_run_or_marked`, so that nothing is left out silently.

What is not run is marked where it is written, with a comment that starts with one of :data:`MARKERS`
(``# needs network``, ``# needs a GPU``, ``# long``, optionally followed by ``:`` and a reason): a bash
command whose trailing comment is a marker is skipped, and a python block whose first line is a marker
comment is skipped whole. Each skipped command or block is its own test item that reports as skipped
with its marker, so ``pytest -rs tests/test_readme.py`` lists them all. The check that these are the only
skips (a marker inside a python block, or a near miss such as ``# needs internet``, fails) is
:func:`test_every_block_is_run_or_marked`.

Working directory: each block runs in its own fresh temporary directory that mirrors the checkout's top
level with symlinks (``examples/``, ``app.py``, ``training_recipes/``, ...). So the docs are written as a
reader in the checkout types them (``examples/photos/chelsea.png``, ``--out edited.png``); every block
makes what it uses, since readers jump to the section they need; and what the blocks write stays in the
temporary directory instead of the checkout. The subprocesses run offline (``HF_HUB_OFFLINE=1`` and the
other offline switches) and inherit the rest of the environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
#: The documents whose code blocks run: the README and the pages under docs/ written for its readers.
DOCUMENTS: tuple[str, ...] = (
    "README.md",
    "docs/prompts.md",
    "docs/demo.md",
    "docs/vlm.md",
    "docs/datasets.md",
    "docs/evaluation.md",
    "docs/cull.md",
)
#: The comments that mark what is not run, at the start of a command's trailing comment (bash) or as
#: the first line of a block (python).
MARKERS: tuple[str, ...] = ("needs network", "needs a GPU", "long")
#: Block languages that are data, not programs, and why they are not run.
NOT_PROGRAMS: dict[str, str] = {"bibtex": "a citation entry"}
#: Words that start a comment meant as a marker; with no marker after them, the comment is a typo.
MARKER_LIKE = re.compile(r"(needs|requires|slow|skip|gpu|network)\b", re.IGNORECASE)
#: Top-level entries of the checkout that are not mirrored into a block's working directory.
NOT_MIRRORED = {"__pycache__", "red_aes.egg-info"}
#: Seconds one command or python block may run.
TIMEOUT = 300
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


@dataclass(frozen=True)
class Block:
    """One fenced code block: its document, the line of its opening fence, language and text."""

    document: str
    line: int
    language: str
    text: str

    @property
    def name(self) -> str:
        return f"{self.document}:{self.line}"


@dataclass(frozen=True)
class Command:
    """One bash command of a block (continuation lines joined) with its marker, or None if it runs."""

    line: int
    text: str
    marker: str | None


def blocks(document: str) -> list[Block]:
    """The fenced code blocks of ``document`` (a path relative to the checkout), in order."""
    found, language, start, lines = [], None, 0, []
    for number, line in enumerate((REPO / document).read_text(encoding="utf-8").splitlines(), start=1):
        if language is None and line.startswith("```"):
            language, start, lines = line[3:].strip(), number, []
        elif language is not None and line.startswith("```"):
            found.append(Block(document, start, language, "\n".join(lines) + "\n"))
            language = None
        elif language is not None:
            lines.append(line)
    assert language is None, f"{document}: the fence opened on line {start} is never closed"
    return found


def comment(line: str) -> str | None:
    """The text after the ``#`` that starts ``line``'s comment, if any (outside quotes; a ``#`` starts a
    comment at the start of the line or after whitespace, as in bash)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[index + 1 :].strip()
    return None


def marker(text: str | None) -> str | None:
    """The marker a comment starts with, or None."""
    for name in MARKERS:
        if text and re.match(rf"{re.escape(name)}(?![\w-])", text):
            return name
    return None


def commands(block: Block) -> list[Command]:
    """The commands of a bash block: blank lines and whole-line comments left out, continuation lines
    joined; the marker is read from the command's last line (a comment cannot follow a backslash)."""
    found, pending, first = [], [], 0
    for offset, line in enumerate(block.text.splitlines(), start=1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        first = first if pending else block.line + offset
        pending.append(line)
        if not line.rstrip().endswith("\\"):
            found.append(Command(first, "\n".join(pending), marker(comment(line))))
            pending = []
    assert not pending, f"{block.name}: the block ends inside a continued command"
    return found


def python_marker(block: Block) -> str | None:
    """The marker of a python block: its first line, when that is a marker comment."""
    first = block.text.splitlines()[0] if block.text.strip() else ""
    return marker(comment(first)) if first.startswith("#") else None


ALL_BLOCKS: list[Block] = [block for document in DOCUMENTS for block in blocks(document)]
#: What runs: each python block without a marker, and each bash block with at least one unmarked command.
RUNS: list[Block] = [
    block
    for block in ALL_BLOCKS
    if (block.language == "python" and python_marker(block) is None)
    or (block.language == "bash" and any(c.marker is None for c in commands(block)))
]
#: What is skipped: (where, marker, text) of each marked python block and each marked bash command.
SKIPS: list[tuple[str, str, str]] = [
    (block.name, marker_, block.text.splitlines()[0])
    for block in ALL_BLOCKS
    if block.language == "python" and (marker_ := python_marker(block))
] + [
    (f"{block.document}:{command.line}", command.marker, command.text)
    for block in ALL_BLOCKS
    if block.language == "bash"
    for command in commands(block)
    if command.marker
]


def _environment() -> dict[str, str]:
    env = {**os.environ, **OFFLINE}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _workdir(tmp_path: Path) -> Path:
    """A fresh directory mirroring the checkout's top level with symlinks (see the module docstring)."""
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    for entry in REPO.iterdir():
        if not entry.name.startswith(".") and entry.name not in NOT_MIRRORED:
            (workdir / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return workdir


def _run(argv: list[str], workdir: Path, what: str) -> float:
    """Run ``argv`` in ``workdir``; fail with its output unless it exits 0. Returns the seconds taken."""
    started = time.monotonic()
    done = subprocess.run(
        argv, cwd=workdir, env=_environment(), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-3000:]
        pytest.fail(f"{what} exited with {done.returncode}:\n{output}", pytrace=False)
    return time.monotonic() - started


def test_every_block_is_run_or_marked() -> None:
    """Every block is a program that runs or data; every skip carries a marker; no near-miss markers."""
    problems = []
    for block in ALL_BLOCKS:
        if block.language in NOT_PROGRAMS:
            continue
        if block.language not in {"python", "bash"}:
            problems.append(
                f"{block.name}: a ```{block.language or '(no language)'} block is neither run nor data"
            )
            continue
        lines = block.text.splitlines()
        if block.language == "python":
            marked = python_marker(block) is not None
            for offset, line in enumerate(lines[1:] if marked else lines, start=2 if marked else 1):
                text = comment(line)
                if marker(text) or (text and MARKER_LIKE.match(text)):
                    problems.append(
                        f"{block.document}:{block.line + offset}: a python block runs whole; "
                        f"mark it on its first line only ({line.strip()!r})"
                    )
            continue
        for command in commands(block):
            text = comment(command.text.splitlines()[-1])
            if command.marker is None and text and MARKER_LIKE.match(text):
                problems.append(f"{block.document}:{command.line}: not a marker: # {text}")
    skipped = {where for where, _, _ in SKIPS}
    for block in ALL_BLOCKS:  # the partition: each command is run or skipped with a marker, never both
        if block.language == "bash":
            for command in commands(block):
                where = f"{block.document}:{command.line}"
                assert (where in skipped) == (command.marker is not None), where
    print("\nNot run (marked):")
    print("\n".join(f"  {where} [{name}] {text.splitlines()[0]}" for where, name, text in SKIPS))
    assert not problems, "\n".join(problems)


def test_the_marker_rules() -> None:
    block = Block(
        "x.md",
        10,
        "bash",
        'make demo   # long: serves\n# a comment\nred-aes edit "a # b" \\\n  --out x.png  # needs network\n'
        "red-aes env  # needs networking\nred-aes env # a long list\n",
    )
    assert [(c.line, c.marker) for c in commands(block)] == [
        (11, "long"),
        (13, "needs network"),
        (15, None),
        (16, None),
    ]
    assert python_marker(Block("x.md", 1, "python", "# needs a GPU and network: 7B\nimport red_aes\n"))
    assert python_marker(Block("x.md", 1, "python", "import red_aes  # needs a GPU\n")) is None


def test_the_front_matter_is_a_space_config_and_the_quickstart_is_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("---\n")
    config = yaml.safe_load(readme.split("---\n")[1])
    assert config["sdk"] == "gradio" and config["app_file"] == "app.py"
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    (block,) = [
        b for b in ALL_BLOCKS if b.document == "README.md" and f"```{b.language}\n{b.text}" in quickstart
    ]
    assert [c.text.split("#")[0].strip() for c in commands(block)] == ["make demo", "make test"]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_relative_links_resolve(document: str) -> None:
    text = (REPO / document).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)\)", text)
    missing = [t for t in targets if "://" not in t and not (REPO / document).parent.joinpath(t).exists()]
    assert not missing, f"{document} links to missing files: {missing}"


@pytest.mark.parametrize(("where", "marker_", "text"), SKIPS, ids=[where for where, _, _ in SKIPS])
def test_marked_command(where: str, marker_: str, text: str) -> None:
    """Each marked command or block, reported as skipped with its marker (``pytest -rs``)."""
    command = " ".join(line.strip().rstrip("\\").strip() for line in text.splitlines())
    pytest.skip(f"{marker_}: {command}")


@pytest.mark.slow  # about 45 s for all blocks on 2 busy cores: each block starts Python and loads a model
@pytest.mark.parametrize("block", RUNS, ids=[block.name for block in RUNS])
def test_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    workdir = _workdir(tmp_path)
    if block.language == "python":
        seconds = _run([sys.executable, "-c", block.text], workdir, f"the python block at {block.name}")
        print(f"{block.name}: {seconds:.1f} s")
        return
    for command in commands(block):
        if command.marker is None:
            where = f"{block.document}:{command.line}"
            seconds = _run(["bash", "-e", "-c", command.text], workdir, f"{where}: {command.text!r}")
            print(f"{where}: {seconds:.1f} s  {command.text}")
