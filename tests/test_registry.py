"""The one registry helper: entries with metadata, fallbacks, import paths, and every name -> code lookup
of the package going through it; the scorer base class's per-item default."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from red_aes.registry import Entry, Registry, RegistryError, resolve
from red_aes.scoring import SCORERS, ScorerEntry
from red_aes.scoring.base import BaseScorer
from red_aes.scoring.measured import MeasuredScorer
from red_aes.types import AestheticDelta, AestheticScore

PACKAGE = Path(__file__).resolve().parent.parent / "red_aes"


def test_entries_are_entries_whether_given_as_strings_or_with_metadata() -> None:
    table = Registry(
        "judge",
        {
            "ladder": "red_aes.data.judges:LadderJudge",
            "measured": Entry("red_aes.data.judges:measured_judge", "measured attribute changes"),
        },
    )
    assert table["ladder"] == Entry("red_aes.data.judges:LadderJudge", "")
    assert table.entry("measured").description == "measured attribute changes"
    assert table.build("ladder", scale=2.0).scale == 2.0
    with pytest.raises(RegistryError, match="unknown judge 'ladderr'; known: ladder, measured; did you mean"):
        table.entry("ladderr")
    with pytest.raises(ValueError, match="either a fallback or import paths"):
        Registry("x", {}, fallback="json:dumps", import_paths=True)


def test_every_scorer_entry_says_what_its_class_says() -> None:
    """Relative or absolute, score range and direction: the registry (read without importing a backend)
    agrees with each backend class, the VLM fallback included."""
    from red_aes.scoring.vlm import RedAesScorer

    entries = {name: SCORERS[name] for name in SCORERS} | {"some/vlm": SCORERS.entry("some/vlm")}
    for name, entry in entries.items():
        assert isinstance(entry, ScorerEntry) and entry.description, name
        cls = SCORERS.target(name).__self__  # the targets are the classes' from_pretrained
        assert issubclass(cls, BaseScorer)
        assert (entry.relative, entry.score_range, entry.higher_is_better) == (
            cls.relative,
            cls.score_range,
            cls.higher_is_better,
        ), name
    assert SCORERS.target("some/vlm").__self__ is RedAesScorer
    assert [n for n in SCORERS if not SCORERS[n].relative] == [
        "measured",
        "red-lite",
        "stat-colorfulness",
        "stat-sharpness",
    ]


def test_reading_scorer_metadata_imports_no_backend() -> None:
    code = (
        "import json, sys\n"
        "from red_aes.scoring import SCORERS\n"
        "kinds = {n: SCORERS.entry(n).description for n in [*SCORERS, 'owner/any-vlm']}\n"
        "print(json.dumps([kinds, sorted(m for m in sys.modules if m.startswith('red_aes.scoring.'))]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    kinds, modules = json.loads(result.stdout)
    assert modules == ["red_aes.scoring.base"]
    assert "vision-language model" in kinds["owner/any-vlm"] and "RED-Lite" in kinds["red-lite"]


def test_import_paths_resolve_a_users_callable_with_clear_errors() -> None:
    table = Registry("reward function", {"dumps": "json:dumps"}, import_paths=True)
    assert table.target("dumps") is json.dumps and table.target("json.loads") is json.loads
    assert table.entry("json.loads") == Entry("json:loads")
    with pytest.raises(RegistryError, match=r"not registered \(dumps\) and not a dotted import path"):
        table.target("loads")
    with pytest.raises(RegistryError, match="did you mean `dumps`"):
        table.target("dump")
    with pytest.raises(RegistryError, match=r"cannot import module 'no_such_package\.module'"):
        table.target("no_such_package.module.reward")
    with pytest.raises(RegistryError, match="json has no callable 'nope'"):
        table.target("json.nope")
    with pytest.raises(RegistryError, match="json has no callable '__doc__'"):  # there, but not callable
        table.target("json.__doc__")


def test_resolve_reads_dotted_attributes() -> None:
    assert (
        resolve("red_aes.scoring.measured:MeasuredScorer.from_pretrained") == MeasuredScorer.from_pretrained
    )


def test_no_module_imports_code_from_a_string_outside_the_registry() -> None:
    """Every name -> code lookup goes through ``red_aes.registry``; the only other ``import_module`` calls
    are the packages' lazy public names (``_lazy``) and RED-Lite's weight package, imported by name."""
    calls = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in {"import_module", "__import__"}:
                    calls.add(path.relative_to(PACKAGE).as_posix())
    assert calls == {"registry.py", "_lazy.py", "lite/backbone.py"}


class _OneAtATime(BaseScorer):
    """A backend that only knows how to answer one item: the base class batches it."""

    name = "one-at-a-time"

    def _compare_one(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, decoding: str
    ) -> AestheticDelta:
        delta = float(edited.getpixel((0, 0))[0] - original.getpixel((0, 0))[0]) / 100
        return self.computed_delta(delta, instruction, decoding)

    def _score_one(self, image: Image.Image, decoding: str) -> AestheticScore:
        return self.computed_score(1 + image.getpixel((0, 0))[0] / 100, None, decoding)


def test_a_per_item_backend_gets_batches_with_the_instruction_of_each_pair() -> None:
    grey = [Image.new("RGB", (8, 8), (v, v, v)) for v in (100, 150, 200)]
    scorer = _OneAtATime(batch_size=2)
    deltas = scorer.compare(grey[:2], grey[1:], ["first", "second"], decoding="fast")
    assert [(d.delta, d.reasoning) for d in deltas] == [(0.5, "first"), (0.5, "second")]
    assert [s.score for s in scorer.score(grey)] == [2.0, 2.5, 3.0]
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_reasoning_tokens'"):
        scorer.score(grey[0], max_reasoning_tokens=4)  # a backend refuses options it does not have


def test_a_backend_without_either_method_says_so() -> None:
    class Empty(BaseScorer):
        pass

    with pytest.raises(NotImplementedError, match="Empty implements neither _compare_batch nor _compare_one"):
        Empty().compare(Image.new("RGB", (4, 4)), Image.new("RGB", (4, 4)))
    with pytest.raises(NotImplementedError, match="Empty implements neither _score_batch nor _score_one"):
        Empty().score(Image.new("RGB", (4, 4)))


def test_the_measured_scorer_answers_a_batch_as_it_answers_each_pair(photo_paths: list[Path]) -> None:
    """The default batch method changes no number: a batch equals the pairs asked one by one."""
    scorer = MeasuredScorer()
    originals, edited = photo_paths[:3], photo_paths[1:4]
    batch = scorer.compare(originals, edited, decoding="reasoning")
    alone = [scorer.compare(o, e, decoding="reasoning") for o, e in zip(originals, edited, strict=True)]
    assert [d.to_dict() for d in batch] == [d.to_dict() for d in alone]
    assert [s.to_dict() for s in scorer.score(originals)] == [scorer.score(o).to_dict() for o in originals]
